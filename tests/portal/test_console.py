"""The staff console as its users work with it (TestClient, no JavaScript): a provider uploads a
file with bad rows and sees each error inline, corrects a row in the quarantine and the record is
on the public subject page; the credit office resolves a 重错码 case, adds a calendar day, moves a
list procedure one step, and reads the charts' numbers without JavaScript."""

from __future__ import annotations

import json
import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import (
    BAD_CODE_DOC,
    FUTURE_DOC,
    GOOD_DOC,
    MARKET_OFFICER,
    OFFICE,
    ConsoleCity,
    penalty_row,
    signed_in,
    upload_csv,
)
from tests.portal.seed import SHOP, _working_day_before
from xinyong.core import calendar as work_calendar
from xinyong.core.identifiers import make_uscc
from xinyong.evaluation import service as evaluation_service
from xinyong.ingest import service as ingest_service
from xinyong.ledger.models import LedgerEntry
from xinyong.lists import service as lists_service
from xinyong.subjects import service as subjects_service


def _upload(client: TestClient, cc: ConsoleCity) -> str:
    """Upload the file with bad rows through the page; returns the result page's HTML."""
    token = form_token(client.get("/console/upload").text)
    r = client.post(
        "/console/upload",
        data={"item": "administrative_penalty", "csrf_token": token},
        files={"file": ("处罚信息.csv", upload_csv(cc), "text/csv")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    return page.text


def _rows(html: str) -> list[str]:
    """The body rows of the row-problems table."""
    table = html[html.index('class="table problems"') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<tr class=\"problem problem--error\">(.*?)</tr>", table, re.S)


def test_upload_shows_each_row_error_inline(client: TestClient, console_city: ConsoleCity) -> None:
    signed_in(client, MARKET_OFFICER)
    form = client.get("/console/upload").text
    # The plain form works without JavaScript: a file input inside the drop zone, the template.
    assert 'enctype="multipart/form-data"' in form and 'type="file"' in form
    assert 'href="/catalog/administrative_penalty/template.xlsx"' in form
    html = _upload(client, console_city)
    assert "共 3 行：接收 1 行，拒绝 2 行。" in html
    rows = _rows(html)
    assert len(rows) == 2
    code_row, date_row = rows
    # Row number (the header is row 1), field, value sent, rule, Chinese message, fix link.
    assert ">3<" in code_row and "统一社会信用代码" in code_row and "CF_XDR_SHXYM" in code_row
    assert console_city.shop_bad_uscc in code_row and "uscc.check_char" in code_row
    assert "校验码不符" in code_row and "/console/quarantine/" in code_row
    assert ">4<" in date_row and "2099-01-01" in date_row and "ingest.future_date" in date_row
    assert "未来日期" in date_row
    # The good row went through: it is on the trader's public page.
    assert GOOD_DOC in TestClient(client.app).get(f"/subjects/{console_city.city.trader_uscc}").text


def test_fix_a_row_in_quarantine_and_the_record_is_public(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, MARKET_OFFICER)
    _upload(client, console_city)
    shop_page = f"/subjects/{console_city.city.shop_uscc}"
    assert BAD_CODE_DOC not in client.get(shop_page).text
    listing = client.get("/console/quarantine").text
    assert BAD_CODE_DOC in listing and FUTURE_DOC in listing and SHOP in listing
    q = ingest_service.list_quarantine(session, provider="TZ-SCJG")
    row = next(i for i in q.items if i.raw.get("CF_WSH") == BAD_CODE_DOC)
    form_html = client.get(f"/console/quarantine/{row.id}").text
    # Each value under its header; the wrong one is marked with its error.
    assert f'name="v:CF_XDR_SHXYM" value="{console_city.shop_bad_uscc}" aria-invalid="true"' in form_html
    assert "校验码不符" in form_html
    token = form_token(form_html)
    values = {f"v:{k}": ("" if v is None else str(v)) for k, v in row.raw.items()}

    # Still wrong: the page says so, nothing is stored, the row stays open.
    bad = {**values, "v:CF_XDR_SHXYM": "91331002MA2D8W1C0", "csrf_token": token}
    r = client.post(f"/console/quarantine/{row.id}/resubmit", data=bad, follow_redirects=False)
    assert r.status_code == 422 and "更正后的数据仍未通过校验" in r.text
    assert 'value="91331002MA2D8W1C0"' in r.text  # what was typed is kept
    assert ingest_service.get_quarantine(session, row.id).status == "open"

    good = {**values, "v:CF_XDR_SHXYM": console_city.city.shop_uscc, "csrf_token": token}
    r = client.post(f"/console/quarantine/{row.id}/resubmit", data=good, follow_redirects=False)
    assert r.status_code == 303
    done = client.get(r.headers["location"]).text
    assert "已更正并重新提交" in done and f'href="{shop_page}"' in done
    session.expire_all()
    assert ingest_service.get_quarantine(session, row.id).status == "resolved"
    # The record is on the shop's public page, with the department that sent it.
    public = TestClient(client.app)
    page = public.get(shop_page).text
    assert BAD_CODE_DOC in page and "台州市市场监督管理局" in page


def test_discard_needs_a_reason_and_staff_only_read(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, MARKET_OFFICER)
    _upload(client, console_city)
    row = next(
        i
        for i in ingest_service.list_quarantine(session, provider="TZ-SCJG").items
        if i.raw.get("CF_WSH") == FUTURE_DOC
    )
    token = form_token(client.get(f"/console/quarantine/{row.id}").text)
    r = client.post(f"/console/quarantine/{row.id}/discard", data={"note": " ", "csrf_token": token})
    assert r.status_code == 422 and "作废须填写原因说明" in r.text
    r = client.post(
        f"/console/quarantine/{row.id}/discard",
        data={"note": "决定日期录入错误，已另行报送", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303 and client.get(r.headers["location"]).text.count("已作废") >= 1
    session.expire_all()
    assert ingest_service.get_quarantine(session, row.id).note == "决定日期录入错误，已另行报送"
    # The credit office sees the rows of every department, read-only.
    signed_in(client, OFFICE)
    other = next(
        i
        for i in ingest_service.list_quarantine(session, provider="TZ-SCJG").items
        if i.raw.get("CF_WSH") == BAD_CODE_DOC
    )
    html = client.get(f"/console/quarantine/{other.id}").text
    assert "由报送的信息提供单位更正或作废" in html and "/resubmit" not in html
    token = form_token(client.get("/account").text)
    r = client.post(f"/console/quarantine/{other.id}/resubmit", data={"csrf_token": token})
    assert r.status_code == 403


def test_ingestion_monitor_lists_submissions_and_department_rates(
    client: TestClient, console_city: ConsoleCity
) -> None:
    signed_in(client, MARKET_OFFICER)
    _upload(client, console_city)
    signed_in(client, OFFICE)
    html = client.get("/console/ingest").text
    assert "处罚信息.csv" in html and "台州市市场监督管理局" in html
    charts = [json.loads(c.replace("&#39;", "'")) for c in re.findall(r"data-chart='([^']*)'", html)]
    error_chart = next(c for c in charts if c["title"] == "各部门报送错误率")
    rates = dict(zip(error_chart["categories"], error_chart["series"][0]["values"], strict=True))
    # The market regulator: 2 licences/penalties before + 3 rows now, 2 rejected → 40%.
    assert rates["台州市市场监督管理局"] == 40.0
    assert rates["台州市生态环境局"] == 0.0
    # The same numbers are readable without JavaScript.
    assert "<summary>图表数据</summary>" in html and "40.0%" in html
    # No inline script: the charts are drawn by a static file.
    assert "vendor/echarts/echarts.min.js" in html and "js/console.js" in html
    filtered = client.get("/console/ingest?provider=TZ-STHJ").text
    assert "处罚信息.csv" not in filtered


def test_governance_case_resolved_from_the_queue(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    # A record naming a code the registry does not know opens a provisional-subject case.
    code = make_uscc("9", "1", "331004", "MA2AAAAA")
    decided = _working_day_before(console_city.city.today, 2).isoformat()
    row = penalty_row("台州市路桥区新到贸易有限公司", code, "台市监罚〔2026〕120号", decided)
    result = ingest_service.submit(session, "TZ-SCJG", "administrative_penalty", [row])
    assert result.rows_rejected == 0
    cases = subjects_service.list_cases(session, kind="provisional_subject")
    case = cases.items[0]
    signed_in(client, OFFICE)
    html = client.get("/console/governance").text
    assert f'id="case-{case.id}"' in html and "临时主体待核实" in html and code in html
    token = form_token(html)
    r = client.post(
        f"/console/governance/{case.id}/resolve",
        data={"resolution": "merge", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "合并需指定保留的主体" in r.text  # the service's rule, shown
    r = client.post(
        f"/console/governance/{case.id}/resolve",
        data={"resolution": "confirm", "note": "已核对登记机关信息", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert f"治理事项 #{case.id} 已处理" in client.get(r.headers["location"]).text
    session.expire_all()
    done = subjects_service.get_case(session, case.id)
    assert (done.status, done.resolution, done.resolved_by) == ("resolved", "confirm", f"user:{OFFICE}")


def test_rule_tables_and_a_calendar_day_added_to_the_ledger(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, OFFICE)
    html = client.get("/console/rules").text
    for text in ("公示期限", "order36-2026", "吊销许可证件", "行政许可", "工作日历", "新增本地调整日"):
        assert text in html, text
    token = form_token(html)
    bad = client.post(
        "/console/rules/calendar",
        data={"day": "2026-09-15", "kind": "holiday", "name": "台风停工", "source": "", "csrf_token": token},
    )
    assert bad.status_code == 422 and "请填写依据" in bad.text
    r = client.post(
        "/console/rules/calendar",
        data={
            "day": "2026-09-15",
            "kind": "holiday",
            "name": "台风“梅花”停工",
            "source": "台州市人民政府2026年第5号通告",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "台风“梅花”停工" in page and "已保存并记入账本" in page
    session.expire_all()
    assert not work_calendar.load_calendar(session).is_workday(date(2026, 9, 15))
    entry = session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "calendar.override")).one()
    assert entry.ref == "calendar:2026-09-15"
    # A provider reads the rules but may not change the calendar.
    signed_in(client, MARKET_OFFICER)
    html = client.get("/console/rules").text
    assert "新增本地调整日" not in html
    r = client.post("/console/rules/calendar", data={"csrf_token": form_token(client.get("/account").text)})
    assert r.status_code == 403


def test_a_list_procedure_moves_one_step(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    pid = console_city.procedure_id
    signed_in(client, OFFICE)
    queue = client.get("/lists/queue").text
    assert f'href="/console/lists/{pid}"' in queue
    html = client.get(f"/console/lists/{pid}").text
    assert "待告知" in html and 'value="notice"' in html and "撤回提议" in html
    r = client.post(
        f"/console/lists/{pid}/step",
        data={"action": "notice", "document_number": "台信告〔2026〕1号", "csrf_token": form_token(html)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get(r.headers["location"]).text
    assert "已办理：告知" in after and "已告知（陈述申辩期）" in after and "台信告〔2026〕1号" in after
    session.expire_all()
    actor = lists_service.Actor("test", "credit_office")
    assert lists_service.get_procedure(session, pid, actor=actor).status == "noticed"
    # A step the state does not allow is refused with the lists service's reason.
    r = client.post(
        f"/console/lists/{pid}/step",
        data={"action": "publish", "csrf_token": form_token(after)},
        follow_redirects=False,
    )
    assert r.status_code == 409 and "不能公布" in r.text
    # Another department's provider may not act on it.
    signed_in(client, "t_sthj")
    assert client.get(f"/console/lists/{pid}").status_code == 404


def test_checks_and_evaluation_pages_render_from_the_services(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, OFFICE)
    html = client.get("/console/measures").text
    assert "奖惩措施反馈统计" in html and "核查记录" in html
    assert "尚未运行批量评价" in client.get("/console/evaluation").text
    runs = evaluation_service.run_batch(session)
    session.commit()
    html = client.get("/console/evaluation").text
    names = {m.code: m.name_zh for m in evaluation_service.list_models(session)}
    for run in runs:
        assert f"{names[run.model_code]}等级分布" in html
        assert f"{names[run.model_code]}（版本 {run.model_version}）" in html
        assert "单机列式计算（DuckDB）" in html and "引擎 duckdb" not in html
        assert f"{run.subjects} 个主体" in html
    dashboard = client.get("/console").text
    for label in ("隔离区待更正", "名单认定待办", "重错码待处理", "逾期未反馈的核查"):
        assert label in dashboard
