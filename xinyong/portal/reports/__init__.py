"""Report pages: the public verification page (/verify), a subject's reports and authorisations
(/me/reports) and the window's report desk and register (/console/reports)."""
