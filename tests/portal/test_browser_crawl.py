"""A real browser walks the city as each of its users would: every public page, every /me page of
a subject and every /console page of the staff, reached by following the links of the pages
(navigation first). No page may show a developer's word (RULES.md, 种子, Xinyong 默认) or a raw
rule/state code from the list in ``test_no_raw_codes``; a code in small print beside its Chinese
name (``<small class="code">``) is allowed. The grade on /me is the very string the CLI's
``xinyong evaluate explain`` prints for the same subject."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from tests.portal.console_seed import ADMIN, COMPANY_USER, MARKET_OFFICER, OFFICE, ConsoleCity
from tests.portal.live import log_in, serve
from tests.portal.test_no_raw_codes import problems
from xinyong.cli import app
from xinyong.core.db import Database
from xinyong.evaluation import service as evaluation_service

pytestmark = pytest.mark.browser
MAX_PAGES = 60

# The text a person reads: the page without scripts, styles, <code> and small-print codes.
_VISIBLE_TEXT_JS = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll('script, style, code, small.code').forEach(e => e.remove());
  return body.innerText;
}"""


@pytest.fixture
def city_server(db: Database, console_city: ConsoleCity, session: Session) -> Iterator[str]:
    evaluation_service.evaluate_subjects(session, [console_city.city.company_id])
    session.commit()
    with serve(db) as url:
        yield url


def _open(browser: Any, base: str, username: str | None, start: str) -> tuple[Any, Any]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    if username is None:
        page.goto(base + start)
        return context, page
    log_in(page, base, username, start)
    return context, page


def _crawl(
    page: Any, base: str, starts: list[str], prefixes: tuple[str, ...]
) -> tuple[set[str], dict[str, list[str]]]:
    seen: set[str] = set()
    bad: dict[str, list[str]] = {}
    todo = list(starts)
    while todo and len(seen) < MAX_PAGES:
        path = todo.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(base + path)
        if (
            response is None
            or response.status != 200
            or "text/html" not in response.headers.get("content-type", "")
        ):
            continue
        found = problems(page.evaluate(_VISIBLE_TEXT_JS))
        if found:
            bad[path] = found
        # navigation links first, then the rest of the page's links
        hrefs = page.eval_on_selector_all(
            "nav a[href], main a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc or not parts.path.startswith(prefixes) or "page=" in parts.query:
                continue
            if (
                parts.path.endswith((".xlsx", ".csv", ".json", ".pdf", ".png", ".zip"))
                or parts.path.startswith("/static/")
                or parts.path.endswith("/export")  # a file download, not a page
            ):
                continue
            todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen, bad


@pytest.mark.parametrize(
    ("user", "start", "prefixes"),
    [
        (None, "/", ("/",)),
        (COMPANY_USER, "/me", ("/me",)),
        (MARKET_OFFICER, "/console", ("/console",)),
        (OFFICE, "/console", ("/console", "/lists")),
        (ADMIN, "/console", ("/console", "/account")),
    ],
    ids=["public", "subject", "provider", "credit_office", "admin"],
)
def test_every_page_speaks_to_users(
    browser: Any, city_server: str, user: str | None, start: str, prefixes: tuple[str, ...]
) -> None:
    context, page = _open(browser, city_server, user, start)
    try:
        seen, bad = _crawl(page, city_server, [start], prefixes)
    finally:
        context.close()
    assert len(seen) >= 3, seen  # the walk reached beyond the start page
    assert not bad, "\n".join(f"{url}: {words}" for url, words in sorted(bad.items()))


def test_the_grade_on_me_is_the_clis(browser: Any, city_server: str, console_city: ConsoleCity) -> None:
    cli = CliRunner().invoke(
        app, ["evaluate", "explain", console_city.city.company_uscc], env={"COLUMNS": "200"}
    )
    assert cli.exit_code == 0, cli.output
    match = re.search(r"主体 \d+：(\S+（\S+）) 得分", cli.output)
    assert match, cli.output
    cli_grade = match.group(1)
    context, page = _open(browser, city_server, COMPANY_USER, "/me/grade")
    try:
        shown = page.locator("main").inner_text()
    finally:
        context.close()
    assert cli_grade in shown, (cli_grade, shown[:300])
