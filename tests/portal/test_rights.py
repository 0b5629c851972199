"""The subject-rights pages: an objection and a repair filed from /me (forms, attachments,
eligibility), decided in /console, followed by lookup code without login, and the 异议中 /
已修复 marks on the public subject page."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import COMPANY_USER, MARKET_OFFICER, OFFICE, ConsoleCity, signed_in
from tests.records import helpers as rh
from xinyong.ingest import service as ingest_service
from xinyong.records import service as records_service
from xinyong.repairs import service as repairs_service

PDF = b"%PDF-1.7\n%test\n"


def _old_penalty(session: Session, cc: ConsoleCity, doc: str) -> int:
    provider = ingest_service.get_provider(session, "TZ-SCJG").id
    row = rh.penalty_row(
        doc,
        decision=date(2026, 3, 2),
        types=["暂扣许可证件"],
        name="台州鑫达机械有限公司",
        code=cc.city.company_uscc,
    )
    rid = rh.store(session, cc.city.company_id, provider, row).record_id
    session.commit()
    return rid


def _submit(
    client: TestClient, url: str, data: dict[str, Any], token: str, files: dict[str, Any] | None = None
) -> str:
    """Post a form with its CSRF token; it must answer with a redirect (303): where to."""
    r = client.post(url, data={**data, "csrf_token": token}, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text[:800]
    return r.headers["location"]


def _step(client: TestClient, url: str, data: dict[str, str]) -> None:
    _submit(client, url, data, form_token(client.get(url.rsplit("/step", 1)[0]).text))


def test_objection_from_me_to_console_and_track(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    rid = _old_penalty(session, console_city, "台市监罚〔2025〕910号")
    signed_in(client, COMPANY_USER)
    html = client.get("/me").text
    assert "功能建设中" not in html.split("信用承诺")[0] and 'href="/me/objections"' in html
    page = client.get("/me/objections").text
    assert f'<option value="{rid}"' in page
    token = form_token(page)
    bad = client.post(
        "/me/objections",
        data={
            "record_id": str(rid),
            "ground": "wrong_content",
            "statement": "处罚内容有误",
            "csrf_token": token,
        },
        files={"files": ("证明.pdf", b"not a pdf at all", "application/pdf")},
    )
    assert bad.status_code == 422 and "按文件内容不是" in bad.text
    location = _submit(
        client,
        "/me/objections",
        {"record_id": str(rid), "ground": "wrong_content", "statement": "处罚内容有误"},
        token,
        files={"files": ("证明.pdf", PDF, "application/pdf")},
    )
    code = re.search(r"code=([A-Z0-9-]+)", location)
    assert code is not None
    mine = client.get(location).text
    assert code.group(1) in mine and "异议中（待比对）" in mine and "证明.pdf" in mine
    client.cookies.clear()
    public = client.get(f"/subjects/{console_city.city.company_uscc}").text
    assert "data-mark>异议中<" in public
    signed_in(client, COMPANY_USER)
    # The credit office compares: the copies agree, so the provider checks and disclosure stops.
    oid = int(re.search(r'id="objection-(\d+)"', mine).group(1))  # type: ignore[union-attr]
    signed_in(client, OFFICE)
    assert "台市监罚〔2025〕910号" in client.get("/console/objections").text
    _step(
        client, f"/console/objections/{oid}/step", {"action": "compare", "result": "matches", "text": "一致"}
    )
    client.cookies.clear()  # the public page, as anyone sees it
    pub = client.get(f"/subjects/{console_city.city.company_uscc}").text
    entry = next(e for e in pub.split('<li class="entry') if "台市监罚〔2025〕910号" in e).split("</li>", 1)[
        0
    ]
    assert "异议中（中止披露）" in entry and "record.details" not in entry and "<details>" not in entry
    signed_in(client, MARKET_OFFICER)
    _step(
        client,
        f"/console/objections/{oid}/step",
        {"action": "reply", "result": "not_holds", "text": "核查无误"},
    )
    html = client.get(f"/console/objections/{oid}").text
    assert "异议不成立，维持原信息" in html and "信用信息异议处理决定书（维持）" in html
    client.cookies.clear()
    tracked = client.get("/objections/track", params={"code": code.group(1)})
    assert (
        tracked.status_code == 200
        and "异议不成立，维持原信息" in tracked.text
        and "处罚内容有误" not in tracked.text
    )
    assert client.get("/objections/track", params={"code": "ZZZZ-ZZZZ-ZZZZ"}).status_code == 404


def test_repair_from_me_to_console_and_the_tick(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    rid = _old_penalty(session, console_city, "台市监罚〔2025〕911号")
    signed_in(client, COMPANY_USER)
    page = client.get("/me/repairs", params={"record": str(rid)}).text
    assert 'data-eligibility="yes"' in page and "可申请" in page and "信用修复不收取任何费用" in page
    token = form_token(page)
    location = _submit(
        client,
        "/me/repairs",
        {
            "record_id": str(rid),
            "statement": "罚款已缴清，已整改",
            "materials": ["performance", "rectification"],
            "commitment": "1",
        },
        token,
        files={"files": ("缴款凭证.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 16, "image/png")},
    )
    html = client.get(location).text
    rep = int(re.search(r'id="repair-(\d+)"', html).group(1))  # type: ignore[union-attr]
    assert "已申请，待受理" in html and "缴款凭证.png" in html
    signed_in(client, MARKET_OFFICER)
    assert "台市监罚〔2025〕911号" in client.get("/console/repairs").text
    _step(client, f"/console/repairs/{rep}/step", {"action": "accept"})
    _step(
        client,
        f"/console/repairs/{rep}/step",
        {"action": "decide", "outcome": "granted", "text": "已履行义务"},
    )
    assert "准予修复，待停止公示" in client.get(f"/console/repairs/{rep}").text
    repairs_service.tick(session, records_service.today_china())
    session.commit()
    signed_in(client, COMPANY_USER)
    mine = client.get("/me/repairs").text
    assert "已修复" in mine and "信用修复公告" in mine
    client.cookies.clear()
    public = client.get(f"/subjects/{console_city.city.company_uscc}").text
    assert "台市监罚〔2025〕911号" not in public  # no longer published


def test_window_filing_in_the_console(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    rid = _old_penalty(session, console_city, "台市监罚〔2025〕912号")
    signed_in(client, OFFICE)
    page = client.get("/console/objections").text
    token = form_token(page)
    location = _submit(
        client,
        "/console/objections",
        {
            "record_id": str(rid),
            "ground": "other",
            "schedule": "shenzhen",
            "statement": "书面异议申请",
            "received_on": "2026-11-02",
        },
        token,
    )
    html = client.get(location).text
    assert "窗口受理" in html and "2026-11-02" in html and "第五十一条" in html
    bad = client.post("/console/repairs", data={"record_id": str(rid), "statement": "x", "csrf_token": token})
    assert bad.status_code == 422 and "信用承诺" in bad.text  # no commitment ticked
    _submit(
        client,
        "/console/repairs",
        {
            "record_id": str(rid),
            "statement": "书面申请",
            "materials": ["performance", "rectification"],
            "commitment": "1",
        },
        token,
    )
    signed_in(client, MARKET_OFFICER)
    assert client.post("/console/objections", data={"csrf_token": token}).status_code == 403
