"""Commitments and self-declarations in the portal: the company signs a 容缺受理 commitment and
declares an honour in /me, the market regulator's officer verifies both in /console; the public
page then shows the commitment (未履约) and the declaration (经核实)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import COMPANY_USER, MARKET_OFFICER, ConsoleCity, signed_in
from tests.portal.seed import COMPANY, MARKET

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_sign_in_me_and_verify_in_console(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, COMPANY_USER)
    page = client.get("/me/commitments")
    assert page.status_code == 200
    assert "容缺受理型" in page.text and "信用承诺书（容缺受理型）" in page.text
    assert 'href="/me/commitments" aria-current="page"' in page.text
    token = form_token(page.text)
    form = {
        "commitment_type": "accept_with_gaps",
        "matter": "食品经营许可证核发（容缺补齐健康证明）",
        "department_code": "TZ-SCJG",
        "csrf_token": token,
    }
    refused = client.post("/me/commitments", data=form)
    assert refused.status_code == 422 and "本人已阅读并同意作出上述承诺" in refused.text
    r = client.post("/me/commitments", data={**form, "agree": "1"}, follow_redirects=False)
    assert r.status_code == 303
    mine = _text(client.get(r.headers["location"]).text)
    assert "承诺已签署并公开" in mine and "履约中" in mine and "补齐容缺材料" in mine
    assert re.search(r"台信诺容〔\d{4}〕1号", mine) and MARKET in mine
    # The overview links to the commitments page instead of a placeholder.
    assert 'href="/me/commitments"' in client.get("/me").text

    # A declaration with its proof.
    page = client.get("/me/declarations")
    r = client.post(
        "/me/declarations",
        data={
            "declaration_type": "award",
            "title": "浙江省守合同重信用企业",
            "department_code": "TZ-SCJG",
            "csrf_token": form_token(page.text),
        },
        files=[("files", ("公示文件.pdf", PDF, "application/pdf"))],
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert "待核实" in client.get(r.headers["location"]).text

    # The market regulator's officer verifies both in the console.
    signed_in(client, MARKET_OFFICER)
    console = client.get("/console/commitments")
    assert console.status_code == 200 and COMPANY in console.text and "核查履约情况" in console.text
    cid = re.search(r'action="/console/commitments/(\d+)/verify"', console.text).group(1)
    token = form_token(console.text)
    refused = client.post(
        f"/console/commitments/{cid}/verify", data={"outcome": "breached", "csrf_token": token}
    )
    assert refused.status_code == 422 and "认定未履约须写明理由" in refused.text
    r = client.post(
        f"/console/commitments/{cid}/verify",
        data={"outcome": "breached", "text": "逾期未补齐健康证明", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert "未履约" in client.get(r.headers["location"]).text
    decl = client.get("/console/declarations")
    did = re.search(r'action="/console/declarations/(\d+)/step"', decl.text).group(1)
    r = client.post(
        f"/console/declarations/{did}/step",
        data={"action": "verify", "csrf_token": form_token(decl.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303

    public = _text(client.get(f"/subjects/{console_city.city.company_uscc}").text)
    assert "食品经营许可证核发" in public and "未履约" in public
    assert "浙江省守合同重信用企业" in public and "经核实" in public
