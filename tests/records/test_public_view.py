"""The public view: public fields only, in force inside the window, no penalties of persons."""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.records import helpers as h
from xinyong.core.db import Database
from xinyong.core.errors import InvalidInput, NotFound
from xinyong.creditstate import consumer
from xinyong.records import service as records

TODAY = date(2026, 6, 1)


def test_natural_persons_penalties_are_not_public_and_names_are_deidentified(session: Session) -> None:
    pid = h.provider(session)
    me = h.person(session, 7, name="张三丰")
    number = h.ric(7)
    penalty = h.store(
        session, me, pid, h.penalty_row("罚P", name="张三丰", id_number=number, types=["罚款"], fine="0.1")
    )
    licence = h.store(
        session,
        me,
        pid,
        h.licence_row("许P", name="张三丰", id_type="身份证", id_number=number),
        item_code=h.LICENCE,
    )

    page = records.list_subject_records(session, me, today=TODAY)
    assert [r.id for r in page.items] == [licence.record_id]
    assert page.total == 1
    fields = page.items[0].fields
    assert fields["subject_name"] == "张**"
    assert "id_number" not in fields and "id_type" not in fields
    assert number not in repr(page.model_dump())

    with pytest.raises(NotFound):
        records.view_record(session, penalty.record_id, today=TODAY)
    # The record itself is kept: staff (the internal view) still see it.
    assert records.get_record(session, penalty.record_id).versions[0].data["id_number"] == number


def test_enterprise_records_show_only_public_fields(session: Session) -> None:
    pid = h.provider(session)
    sid = h.enterprise(session, 1)
    out = h.store(session, sid, pid, h.penalty_row("罚E", code=h.uscc(1), types=["罚款"], fine="2"))
    view = records.view_record(session, out.record_id, today=TODAY)
    assert view.fields["subject_name"] == "台州市测试1号有限公司"
    assert view.fields["uscc"] == h.uscc(1)
    assert view.fields["legal_representative"] == "李四"
    # 法定代表人证件号码 is 不予公开 in the catalog.
    assert "legal_representative_id_number" not in view.fields
    assert view.severity and view.item_name_zh == "行政处罚"
    assert [(v.version, v.change) for v in view.versions] == [(1, "created")]


def test_only_records_in_force_inside_their_window_are_public(session: Session) -> None:
    pid = h.provider(session)
    sid = h.enterprise(session, 1)
    live = h.store(session, sid, pid, h.penalty_row("罚1", types=["暂扣许可证件"]))
    gone = h.store(session, sid, pid, h.penalty_row("罚2", types=["暂扣许可证件"]))
    h.store(session, sid, pid, {"document_number": "罚2"}, withdraw=True, received_on=date(2026, 5, 20))
    lic = h.store(session, sid, pid, h.licence_row("许1", name="台州市测试1号有限公司"), item_code=h.LICENCE)

    page = records.list_subject_records(session, sid, today=TODAY)
    assert {r.id for r in page.items} == {live.record_id, lic.record_id}
    assert gone.record_id not in {r.id for r in page.items}
    only = records.list_subject_records(session, sid, today=TODAY, category="行政处罚")
    assert [r.id for r in only.items] == [live.record_id]

    end = records.get_record(session, live.record_id).publicity_end
    assert end is not None
    # Past the window it is no longer public, even before the tick has run.
    later = records.list_subject_records(session, sid, today=date(end.year + 1, 1, 1))
    assert live.record_id not in {r.id for r in later.items}

    paged = records.list_subject_records(session, sid, today=TODAY, page=2, per_page=1)
    assert paged.total == 2 and len(paged.items) == 1


def test_unknown_visibility_is_refused(session: Session) -> None:
    with pytest.raises(InvalidInput) as exc:
        records.list_subject_records(session, 1, visibility="everything")
    assert exc.value.code == "records.unknown_visibility"


def test_api_lists_a_subjects_public_records_and_state(client: TestClient, db: Database) -> None:
    with db.session() as s:
        pid = h.provider(s)
        sid = h.enterprise(s, 1)
        person = h.person(s, 3)
        today = records.today_china()
        out = h.store(
            s, sid, pid, h.penalty_row("罚API", types=["吊销许可证件"], decision=today), received_on=today
        )
        h.store(
            s,
            sid,
            pid,
            h.penalty_row("罚API", types=["吊销许可证件"], decision=today, fine="1"),
            received_on=today,
        )
        h.store(
            s,
            person,
            pid,
            h.penalty_row("罚人", name="张三丰", id_number=h.ric(3), decision=today),
            received_on=today,
        )
    with db.session() as s:
        consumer.process_events(s)

    r = client.get(f"/api/v1/subjects/{h.uscc(1)}/records")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 1
    assert body["items"][0]["document_number"] == "罚API"
    assert body["items"][0]["fields"]["penalty_types"] == ["吊销许可证件"]

    r = client.get(f"/api/v1/records/{out.record_id}")
    assert r.status_code == 200
    assert [(v["version"], v["change"]) for v in r.json()["versions"]] == [(1, "created"), (2, "corrected")]

    state = client.get(f"/api/v1/subjects/{h.uscc(1)}/credit-state").json()
    assert state["records_in_force"] == 1 and state["serious_in_force"] == 1
    assert state["counts"] == {"行政处罚": 1, "行政处罚:serious": 1}

    # A natural person's penalty is not public, through the API either.
    # …nor does the public learn that the person has a file at all (issue 20 §4).
    r = client.get(f"/api/v1/subjects/{h.ric(3)}/records")
    assert r.status_code == 404 and r.json()["error"]["code"] == "subject.not_found"

    for url in ("/api/v1/subjects/913310020000000000/records", "/api/v1/records/999999"):
        r = client.get(url)
        assert r.status_code == 404
        err = r.json()["error"]
        assert set(err) == {"code", "message", "message_zh", "details"} and err["message_zh"]
