"""Portal: every web page and template (the public site, ``me/``, ``console/``, ``account/``,
``lists/``), one Jinja environment (``templating``) and the static assets."""
