"""Content sections: staff write Markdown (sanitised), attach files checked by their bytes, publish
(written to the ledger); the public reads the sections, the articles and the home page's latest."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import MARKET_OFFICER, OFFICE, ConsoleCity, signed_in
from xinyong.content.service import render_markdown, sniff
from xinyong.ledger.models import LedgerEntry

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def test_markdown_is_rendered_and_sanitised() -> None:
    html = render_markdown(
        "## 关于开展信用修复培训的通知\n\n**时间**：12月10日\n\n"
        "<script>alert(1)</script>\n\n[点我](javascript:alert(1)) [信用中国](https://www.creditchina.gov.cn)\n\n"
        '<img src=x onerror="alert(1)">\n\n| 区 | 人数 |\n|---|---|\n| 椒江区 | 30 |\n'
    )
    assert "<h2>关于开展信用修复培训的通知</h2>" in html and "<strong>时间</strong>" in html
    # raw HTML never passes: it is shown as text, never as a tag; no javascript: link survives
    assert "<script" not in html and "<img" not in html and "&lt;script&gt;" in html
    assert 'href="javascript' not in html
    assert 'href="https://www.creditchina.gov.cn"' in html and "<table>" in html


def test_files_are_known_by_their_bytes() -> None:
    assert sniff(PDF) == ("application/pdf", ".pdf")
    assert sniff(_docx())[1] == ".docx"  # type: ignore[index]
    assert sniff(b"\x89PNG\r\n\x1a\n....")[0] == "image/png"  # type: ignore[index]
    assert sniff(b"MZ\x90\x00 an exe renamed to .pdf") is None
    assert sniff(b"PK\x03\x04 not really a zip") is None


def test_api_write_publish_read(
    client: TestClient, session: Session, auth_headers: Callable[..., dict[str, str]]
) -> None:
    staff = auth_headers("credit_office")
    r = client.post(
        "/api/v1/content/posts",
        json={
            "section": "notices",
            "title": "关于信用修复的通知",
            "body_md": "请于 **12 月 31 日** 前办理。",
        },
        headers=staff,
    )
    assert r.status_code == 201, r.text
    post = r.json()
    assert post["status"] == "draft" and post["status_zh"] == "草稿" and "<strong>" in post["body_html"]
    pid = post["id"]
    # a draft is not public
    assert client.get(f"/api/v1/content/posts/{pid}").status_code == 404
    assert client.get("/api/v1/content/posts").json()["total"] == 0
    # attachments: a real PDF is taken, a renamed program is refused in words
    ok = client.post(
        f"/api/v1/content/posts/{pid}/attachments",
        files={"file": ("通知.pdf", PDF, "application/pdf")},
        headers=staff,
    )
    assert ok.status_code == 201, ok.text
    bad = client.post(
        f"/api/v1/content/posts/{pid}/attachments",
        files={"file": ("通知.pdf", b"MZ\x90\x00fake", "application/pdf")},
        headers=staff,
    )
    assert bad.status_code == 422
    assert "不是允许的文件类型" in bad.json()["error"]["message_zh"]
    # publish: public now, and in the ledger
    r = client.post(f"/api/v1/content/posts/{pid}/publish", headers=staff)
    assert r.status_code == 200 and r.json()["status"] == "published"
    assert r.json()["published_at"].endswith(("+00:00", "Z"))
    public = client.get(f"/api/v1/content/posts/{pid}").json()
    assert public["title"] == "关于信用修复的通知" and len(public["attachments"]) == 1
    listing = client.get("/api/v1/content/posts", params={"section": "notices"}).json()
    assert [p["id"] for p in listing["items"]] == [pid]
    entries = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "content.published")).all()
    assert len(entries) == 1 and entries[0].ref == f"content:{pid}"
    download = client.get(f"/api/v1/content/attachments/{public['attachments'][0]['id']}")
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    # unknown section said in words; bounded ids
    r = client.post(
        "/api/v1/content/posts", json={"section": "blog", "title": "x", "body_md": ""}, headers=staff
    )
    assert r.status_code == 422 and "没有栏目" in r.json()["error"]["message_zh"]
    assert client.get("/api/v1/content/posts/0").status_code == 422


def test_only_the_credit_office_writes(
    client: TestClient, auth_headers: Callable[..., dict[str, str]]
) -> None:
    body = {"section": "news", "title": "x", "body_md": ""}
    assert client.post("/api/v1/content/posts", json=body).status_code == 401
    assert client.post("/api/v1/content/posts", json=body, headers=auth_headers("bank")).status_code == 403


def test_staff_edit_in_the_console_and_the_public_reads(
    client: TestClient, console_city: ConsoleCity
) -> None:
    signed_in(client, OFFICE)
    page = client.get("/console/content")
    assert page.status_code == 200 and "新建文章" in page.text
    token = form_token(page.text)
    r = client.post(
        "/console/content",
        data={
            "csrf_token": token,
            "section": "policies",
            "title": "台州市公共信用信息管理办法",
            "body_md": "第一条 为了……",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    edit_url = r.headers["location"]
    pid = int(edit_url.rsplit("/", 1)[1])
    editor = client.get(edit_url).text
    assert "草稿" in editor
    r = client.post(
        f"/console/content/{pid}/attachments",
        data={"csrf_token": form_token(editor)},
        files={"file": ("附件.docx", _docx(), "application/octet-stream")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    r = client.post(
        f"/console/content/{pid}/publish", data={"csrf_token": form_token(editor)}, follow_redirects=False
    )
    assert r.status_code == 303
    client.cookies.clear()
    section = client.get("/content/policies").text
    assert "台州市公共信用信息管理办法" in section
    article = client.get(f"/content/policies/{pid}").text
    assert "第一条 为了……" in article and "附件.docx" in article
    home = client.get("/").text
    assert "最新通知与动态" in home and f'href="/content/policies/{pid}"' in home
    assert client.get("/content/blog").status_code == 404
    # a provider has no editor
    signed_in(client, MARKET_OFFICER)
    assert client.get("/console/content").status_code == 403


def test_the_demo_city_has_an_article_in_each_section(client: TestClient, session: Session) -> None:
    from xinyong.demo.content import seed_content

    assert seed_content(session) == 3
    session.commit()
    assert seed_content(session) == 0  # once
    for section in ("notices", "policies", "news"):
        assert client.get("/api/v1/content/posts", params={"section": section}).json()["total"] == 1
    assert "台州市企业信用促进条例" in client.get("/").text
