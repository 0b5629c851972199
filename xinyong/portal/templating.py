"""Jinja2 environment and page rendering for the portal.

Autoescape is always on. Pages carry no inline script or style, so a strict Content-Security-Policy
is sent with every page: nothing may load from anywhere but the platform itself.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from xinyong import __version__
from xinyong.accounts.deps import request_principal
from xinyong.accounts.principal import ROLE_NAMES_ZH, Principal
from xinyong.core.site import get_site
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


CHINA = timezone(timedelta(hours=8))


def fmt_china_time(value: datetime | None) -> str:
    """A moment in China Standard Time, to the minute (naive values are UTC, as stored)."""
    if value is None:
        return t("subject.none")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def static_url(path: str) -> str:
    # The version in the query string busts caches after an upgrade.
    return f"{STATIC_URL}/{path}?v={__version__}"


def query(base: str, **params: Any) -> str:
    """A URL with the non-empty params, e.g. for pagination links that keep the filters."""
    clean = {k.rstrip("_"): v for k, v in params.items() if v not in (None, "")}
    return f"{base}?{urlencode(clean)}" if clean else base


# Roles that work in the staff console (/console); a provider sees its own department's parts.
CONSOLE_ROLES: tuple[str, ...] = ("provider", "credit_office", "admin")


def signed_in_user() -> Principal | None:
    """The signed-in portal user of the request being rendered (None: anonymous or an API key);
    only for the navigation, never for access decisions."""
    principal = request_principal()
    return principal if principal is not None and principal.kind == "user" else None


def nav_links(request_path: str) -> list[tuple[str, str, bool]]:
    """(href, string key, current) of the site navigation for the user of this request."""
    links = [
        ("/", "nav.home"),
        ("/search", "nav.search"),
        ("/publicity", "nav.publicity"),
        ("/lists", "nav.lists"),
        ("/catalog", "nav.catalog"),
        ("/content/notices", "nav.content"),
    ]
    user = signed_in_user()
    if user is None:
        links.append(("/login", "nav.login"))
    else:
        if user.role == "subject":
            links.append(("/me", "nav.me"))
        if user.role in CONSOLE_ROLES:
            links.append(("/console", "nav.console"))
        links.append(("/account", "nav.account"))
    out = []
    for href, key in links:
        current = (
            request_path == href
            or (href not in ("/", "/lists") and request_path.startswith(href + "/"))
            or (href == "/lists" and request_path.startswith("/lists/") and request_path != "/lists/queue")
            or (href == "/search" and request_path.startswith("/subjects/"))
            or (href == "/console" and request_path == "/lists/queue")
            or (href == "/me" and request_path == "/my/viewers")
        )
        out.append((href, key, current))
    return out


def fmt_score(value: Decimal | float | int | str | None) -> str:
    """A score as people read it: 91.25 (not 91.2500), 90 (not 90.00), 0 (never -0)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return str(value)
    if number == 0:
        return "0"
    text = format(number, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_points(value: Decimal | float | int | str | None, kind: str = "") -> str:
    """Points of a reason: 「+5 分」, 「-3.5 分」, and 「0 分（无加分）」 rather than -0 or +0."""
    shown = fmt_score(value)
    if shown in ("", "0"):
        return t("me.points.none_cost") if kind in ("cost", "veto", "cap") else t("me.points.none_gain")
    sign = "+" if not shown.startswith("-") else ""
    return t("me.points", points=f"{sign}{shown}")


def division_name(code: str | None) -> str:
    """玉环市 for 331083 (the site's district names); the code itself when the site has no name."""
    return get_site().division_name(code) or (code or "")


def role_name(role: str) -> str:
    """A role's Chinese name (the role code itself when it has none)."""
    return ROLE_NAMES_ZH.get(role, role)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja environment of every page: the public site, ``me/``, ``console/``,
    ``account/`` and ``lists/`` templates all live under ``templates/``."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        t=t,
        t_or=t_or,
        static_url=static_url,
        query=query,
        lang=DEFAULT_LANG,
        nav_links=nav_links,
        role_name=role_name,
        site_info=get_site,
        division_name=division_name,
    )
    env.filters.update(
        date=fmt_date, amount=fmt_amount, china_time=fmt_china_time, score=fmt_score, points=fmt_points
    )
    return env


def render(
    request: Request | None,
    template: str,
    context: dict[str, Any],
    status_code: int = 200,
    *,
    private: bool = False,
) -> HTMLResponse:
    """A page; ``private``: a signed-in user's page, never stored by a cache. ``request`` None:
    a page answered before any route runs (the access middleware's refusal), no link current."""
    request_path = request.url.path if request is not None else ""
    html = environment().get_template(template).render(request_path=request_path, **context)
    headers = {**SECURITY_HEADERS, "Cache-Control": "no-store"} if private else SECURITY_HEADERS
    return HTMLResponse(html, status_code=status_code, headers=headers)


def render_fragment(template: str, context: dict[str, Any]) -> HTMLResponse:
    """An HTML fragment for htmx requests (no page frame)."""
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, headers=SECURITY_HEADERS)
