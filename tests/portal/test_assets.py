"""Offline and safe by construction: no page or static file makes the browser contact another
host; pages carry no inline script (so the strict CSP holds); every UI string key exists."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.portal.seed import City
from xinyong.portal.strings import STRINGS, has
from xinyong.portal.templating import CSP, STATIC_DIR, TEMPLATES_DIR

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Where a browser would fetch something: src/href/action attributes, CSS url() and @import, and
# script fetch/XHR targets. (Vendored libraries mention URLs in comments and in XML namespaces,
# which are never fetched.)
_TARGETS = [
    re.compile(
        r"""\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?\s*(?:https?:)?//([^/"'\s>:]+)""", re.I
    ),
    re.compile(r"""url\(\s*["']?\s*(?:https?:)?//([^/"')\s:]+)""", re.I),
    re.compile(r"""@import\s+["']\s*(?:https?:)?//([^/"'\s:]+)""", re.I),
    re.compile(r"""\bfetch\(\s*["'`]\s*(?:https?:)?//([^/"'`\s:]+)""", re.I),
    re.compile(r"""\.open\(\s*["'`][A-Za-z]+["'`]\s*,\s*["'`]\s*(?:https?:)?//([^/"'`\s:]+)""", re.I),
    re.compile(r"""\bimportScripts\(\s*["'`]\s*(?:https?:)?//([^/"'`\s:]+)""", re.I),
]
PAGES = ["/", "/search?q=鑫达", "/publicity", "/catalog", "/search/suggest?q=鑫达", "/subjects/nope"]


def external_hosts(text: str) -> set[str]:
    return {m.group(1).lower() for rx in _TARGETS for m in rx.finditer(text)} - LOCAL_HOSTS


def _static_files() -> list[Path]:
    return [
        p
        for p in STATIC_DIR.rglob("*")
        if p.is_file() and not p.name.startswith(("LICENSE", "NOTICE")) and p.suffix != ".md"
    ]


def test_the_scanner_finds_external_references() -> None:
    assert external_hosts('<script src="https://cdn.example.com/x.js">') == {"cdn.example.com"}
    assert external_hosts("a{background:url(//fonts.example.org/f.woff)}") == {"fonts.example.org"}
    assert external_hosts('fetch("https://api.example.net/v1")') == {"api.example.net"}
    assert external_hosts('xhr.open("GET", "http://tracker.example/x")') == {"tracker.example"}
    assert external_hosts('<a href="http://127.0.0.1:8000/">') == set()
    assert external_hosts('/* see https://github.com/x */ <a href="/docs">') == set()


def test_no_page_references_an_external_host(client: TestClient, city: City) -> None:
    urls = [*PAGES, f"/subjects/{city.company_uscc}", f"/subjects/id/{city.person_id}"]
    for url in urls:
        html = client.get(url).text
        assert external_hosts(html) == set(), url
        # Every asset a page loads is served by the platform itself.
        for path in re.findall(r'(?:src|href)="(/static/[^"?]+)', html):
            assert client.get(path).status_code == 200, path


def test_no_static_file_references_an_external_host() -> None:
    files = _static_files()
    assert any(p.name == "htmx.min.js" for p in files) and any(p.name == "echarts.min.js" for p in files)
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert external_hosts(text) == set(), path


def test_vendored_libraries_keep_their_licences(client: TestClient) -> None:
    for lib in ("htmx", "echarts"):
        assert (STATIC_DIR / "vendor" / lib / "LICENSE").is_file()
    r = client.get("/static/portal/vendor/echarts/echarts.min.js")
    assert r.status_code == 200 and len(r.content) > 100_000


def test_pages_have_no_inline_script_or_style_and_send_a_strict_csp(client: TestClient, city: City) -> None:
    for url in [*PAGES, f"/subjects/{city.company_uscc}"]:
        r = client.get(url)
        assert r.headers["content-security-policy"] == CSP
        assert "script-src 'self'" in CSP and "unsafe-inline" not in CSP
        html = r.text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert " src=" in tag, (url, tag)
        assert not re.search(r"<script\b[^>]*>(?!</script>)", html), url  # script tags are empty
        assert not re.search(r"\son[a-z]+\s*=", html), url  # no onclick= handlers
        assert not re.search(r"\sstyle\s*=", html), url
        assert "<style" not in html, url


def test_templates_use_only_known_strings() -> None:
    used = set()
    for path in TEMPLATES_DIR.rglob("*.html"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")))
    assert used, "templates should use t()"
    # Keys built in the template ("kind." ~ kind) are checked by the pages that render them.
    missing = sorted(k for k in used if not k.endswith(".") and not has(k))
    assert missing == []
    assert all(v.strip() for v in STRINGS["zh-CN"].values())


def test_css_uses_system_cjk_fonts_only() -> None:
    css = (STATIC_DIR / "css" / "portal.css").read_text(encoding="utf-8")
    assert "Noto Sans CJK SC" in css and "Microsoft YaHei" in css and "PingFang SC" in css
    assert "@font-face" not in css
