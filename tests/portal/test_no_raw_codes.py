"""No developer's word on a page: every public, /me and /console page reachable from the navigation
(TestClient, each role that has pages) is crawled and its visible text checked for file names,
seed words and raw rule/state codes. The Playwright crawl (test_browser_crawl.py) does the same
in a real browser; this one runs in every test run."""

from __future__ import annotations

import html as html_lib
import re
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.testclient import TestClient

from tests.portal.console_seed import ADMIN, COMPANY_USER, MARKET_OFFICER, OFFICE, ConsoleCity, signed_in

# Words a user must never read. Codes are matched as whole words of the visible text.
FORBIDDEN_TEXT = ("RULES.md", "种子", "Xinyong 默认", "seed file")
RAW_CODES = (
    "negative_by_severity",
    "while_valid",
    "ingest.date_format",
    "government_procurement",
    "administrative_penalty",
    "administrative_licence",
    "licence",
    "proposed",
    "listed",
    "exited",
    "small_entities",
    "credit_office",
    "natural_person",
    "open",
    "resolved",
    "in_force",
    "dismissed",
    "stable",
    "duckdb",
)
MAX_PAGES = 120


def visible_text(page: str) -> str:
    """The text a person reads: no tags, scripts, styles, attribute values or <code>/<small
    class="code"> fine print (a code in small print beside its Chinese name is allowed)."""
    page = re.sub(r"<(script|style|code)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r'<small class="code">.*?</small>', " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return html_lib.unescape(page)


def problems(text: str) -> list[str]:
    found = [w for w in FORBIDDEN_TEXT if w in text]
    found += [c for c in RAW_CODES if re.search(rf"(?<![\w./-]){re.escape(c)}(?![\w/-])", text)]
    return found


def crawl(client: TestClient, starts: list[str], prefixes: tuple[str, ...]) -> dict[str, list[str]]:
    seen: set[str] = set()
    todo = list(starts)
    bad: dict[str, list[str]] = {}
    while todo and len(seen) < MAX_PAGES:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        r = client.get(url)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            continue
        found = problems(visible_text(r.text))
        if found:
            bad[url] = found
        for href in re.findall(r'href="([^"#]+)"', r.text):
            link = urljoin(url, html_lib.unescape(href))
            parts = urlsplit(link)
            if parts.netloc or not parts.path.startswith(prefixes):
                continue
            if parts.path.endswith((".xlsx", ".csv", ".json", ".pdf")) or "/static/" in parts.path:
                continue
            # one page of each list is enough; the query string of filters is kept
            if "page=" in parts.query:
                continue
            todo.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return bad


@pytest.mark.parametrize(
    ("user", "starts", "prefixes"),
    [
        (None, ["/", "/publicity", "/catalog", "/search?q=鑫达"], ("/",)),
        (COMPANY_USER, ["/me"], ("/me",)),
        (MARKET_OFFICER, ["/console"], ("/console",)),
        (OFFICE, ["/console"], ("/console", "/lists")),
        (ADMIN, ["/console"], ("/console", "/account")),
    ],
    ids=["public", "subject", "provider", "credit_office", "admin"],
)
def test_no_page_shows_developer_words(
    client: TestClient,
    console_city: ConsoleCity,
    user: str | None,
    starts: list[str],
    prefixes: tuple[str, ...],
) -> None:
    if user is not None:
        signed_in(client, user)
    bad = crawl(client, starts, prefixes)
    assert not bad, "\n".join(f"{url}: {words}" for url, words in sorted(bad.items()))
