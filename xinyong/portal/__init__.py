"""Portal: the public site (server-rendered pages and their static assets)."""
