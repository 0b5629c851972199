"""Jinja2 environment and page rendering for the portal.

Autoescape is always on. Pages carry no inline script or style, so a strict Content-Security-Policy
is sent with every page: nothing may load from anywhere but the platform itself.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from xinyong import __version__
from xinyong.portal.strings import DEFAULT_LANG, t, t_or

PORTAL_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PORTAL_DIR / "templates"
STATIC_DIR = PORTAL_DIR / "static"
STATIC_URL = "/static/portal"

# 'self' only: the portal must work on a closed network, so it never needs another origin.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def fmt_date(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return t("subject.none")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def fmt_amount(value: Decimal | float | int | str | None) -> str:
    """A money amount (万元) without trailing zeros, with thousands separators."""
    if value is None or value == "":
        return t("subject.none")
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    text = f"{d:,.4f}".rstrip("0").rstrip(".")
    return text


def static_url(path: str) -> str:
    # The version in the query string busts caches after an upgrade.
    return f"{STATIC_URL}/{path}?v={__version__}"


def query(base: str, **params: Any) -> str:
    """A URL with the non-empty params, e.g. for pagination links that keep the filters."""
    clean = {k.rstrip("_"): v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(clean)}" if clean else base


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=t, t_or=t_or, static_url=static_url, query=query, lang=DEFAULT_LANG)
    env.filters.update(date=fmt_date, amount=fmt_amount)
    return env


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    html = environment().get_template(template).render(request_path=request.url.path, **context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def render_fragment(template: str, context: dict[str, Any]) -> HTMLResponse:
    """An HTML fragment for htmx requests (no page frame)."""
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)
