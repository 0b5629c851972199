"""Subject self-service (/me) as a company's account holder uses it: the whole file with ended
records and every version, the grade with its reasons and what-if, who viewed the file, the list
procedure with its deadline and the statement form; reading the file is in the query log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.accounts.helpers import form_token
from tests.portal.console_seed import COMPANY_USER, OFFICE, REGULATOR, ConsoleCity, signed_in
from tests.portal.seed import COMPANY, ECOLOGY, PENALTY_DOC, PERSON_PENALTY_DOC
from xinyong.evaluation import service as evaluation_service
from xinyong.ingest import service as ingest_service
from xinyong.lists import service as lists_service
from xinyong.querylog import service as querylog
from xinyong.querylog.service import LogFilter


def _correct_company_penalty(session: Session, cc: ConsoleCity) -> None:
    """The ecology bureau sends the company's penalty again with a corrected content: version 2."""
    from tests.portal.seed import _working_day_before

    decided = _working_day_before(cc.city.today, 3).isoformat()
    row = {
        "CF_XDR_MC": COMPANY,
        "CF_XDR_LB": "法人及非法人组织",
        "CF_XDR_SHXYM": cc.city.company_uscc,
        "CF_WSH": PENALTY_DOC,
        "CF_WFXW": "超标排放大气污染物",
        "CF_SY": "该公司喷涂车间废气排放浓度超过国家规定的排放标准。",
        "CF_YJ": "《中华人民共和国大气污染防治法》第九十九条第二项",
        "CF_CFLB": "罚款",
        "CF_NR": "罚款人民币贰拾伍万元整",
        "CF_NR_FK": "25",
        "CF_JDRQ": decided,
        "CF_CFJG": ECOLOGY,
        "CF_SJLY": ECOLOGY,
    }
    result = ingest_service.submit(session, "TZ-STHJ", "administrative_penalty", [row])
    assert result.rows_corrected == 1, result.problems


def test_my_whole_file_with_versions_is_logged(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    _correct_company_penalty(session, console_city)
    signed_in(client, COMPANY_USER)
    html = client.get("/me/records").text
    assert COMPANY in html and console_city.city.company_uscc in html
    assert PENALTY_DOC in html and ECOLOGY in html
    # Both versions, newest first, each with the fields the subject may see.
    assert "第 2 版 · 更正" in html and "第 1 版 · 首次报送" in html
    assert html.index("罚款人民币贰拾伍万元整") < html.index("罚款人民币贰拾万元整")
    # Nobody else's records (the natural person's penalty is not the company's).
    assert PERSON_PENALTY_DOC not in html
    # The read is in the query log as the subject's own query, not among "who viewed me".
    entries = querylog.search(session, LogFilter(subject_id=console_city.city.company_id))
    mine = [e for e in entries.items if e.action == "me.file"]
    assert mine and mine[0].purpose == "self_query" and mine[0].role == "subject"
    assert querylog.viewers_of(session, console_city.city.company_id).total == 0


def test_who_viewed_my_file(client: TestClient, session: Session, console_city: ConsoleCity) -> None:
    signed_in(client, REGULATOR)
    r = client.get(f"/subjects/{console_city.city.company_uscc}?purpose=supervision")
    assert r.status_code == 200 and "监管执法" in r.text
    signed_in(client, COMPANY_USER)
    overview = client.get("/me").text
    section = overview[overview.index('id="viewers-title"') :]
    assert "台州市发展和改革委员会" in section and "监管执法" in section
    assert 'href="/my/viewers"' in section
    assert "台州市发展和改革委员会" in client.get("/my/viewers").text


def test_my_grade_with_reasons_and_what_if(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    signed_in(client, COMPANY_USER)
    assert "尚无公共信用综合评价结果" in client.get("/me/grade").text
    evaluation_service.evaluate_subjects(session, [console_city.city.company_id])
    session.commit()
    result = evaluation_service.explain(session, console_city.city.company_id)
    html = client.get("/me/grade").text
    assert result.grade_display_zh in html and f"得分 {result.score}" in html
    for reason in result.reasons:
        assert reason.name_zh in html
    # What-if: the company's penalty, and the grade without it.
    whatif = evaluation_service.whatif(session, console_city.city.company_id)
    assert whatif.records, "the penalty is negative information in force"
    section = html[html.index('id="whatif-title"') :]
    assert "行政处罚" in section and f"#{whatif.records[0].record_id}" in section
    assert result.grade_display_zh in client.get("/me").text


def test_my_list_procedure_and_a_statement(
    client: TestClient, session: Session, console_city: ConsoleCity
) -> None:
    pid = console_city.procedure_id
    signed_in(client, COMPANY_USER)
    html = client.get("/me/lists").text
    assert "严重失信主体名单" in html and "已提议" in html
    assert f'action="/me/lists/{pid}/statement"' not in html  # no statement before the notice
    lists_service.notice(session, pid, actor=lists_service.Actor(f"user:{OFFICE}", "credit_office"))
    session.commit()
    html = client.get("/me/lists").text
    due = lists_service.get_procedure(
        session, pid, actor=lists_service.Actor("t", "credit_office")
    ).statement_due
    assert due is not None and f"请于 {due.isoformat()} 前提交" in html
    assert "可陈述申辩" in client.get("/me").text
    token = form_token(html)
    r = client.post(f"/me/lists/{pid}/statement", data={"text": " ", "csrf_token": token})
    assert r.status_code == 422 and "请填写陈述申辩内容" in r.text
    r = client.post(
        f"/me/lists/{pid}/statement",
        data={"text": "我公司已取得许可证并整改完毕，请求不予列入。", "hearing": "1", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    after = client.get(r.headers["location"]).text
    assert "陈述申辩已提交" in after and "已陈述申辩" in after and "我公司已取得许可证并整改完毕" in after
    session.expire_all()
    view = lists_service.get_procedure(session, pid, actor=lists_service.Actor("t", "credit_office"))
    assert view.status == "heard" and view.steps[-1].data.get("hearing_requested") is True


def test_coming_later_entry_points_are_plain_notes(client: TestClient, console_city: ConsoleCity) -> None:
    signed_in(client, COMPANY_USER)
    html = client.get("/me").text
    for text in ("异议申请", "信用修复申请", "信用承诺", "功能建设中"):
        assert text in html
    section = html[html.index('id="later-title"') :]
    assert "<form" not in section
    # The navigation names the subject's own pages.
    assert 'href="/me" aria-current="page"' in html and 'href="/account"' in html and "/console" not in html
