"""重错码 governance: each kind is detected once, each decision is kept and has its effect."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.subjects.util import ric, uscc, uscc_inner_mismatch
from xinyong.core.errors import Conflict, InvalidInput
from xinyong.core.events import Event
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects


def _events(session: Session, type_: str) -> list[Event]:
    return list(session.scalars(select(Event).where(Event.type == type_).order_by(Event.id)))


@pytest.fixture
def messy(session: Session) -> dict[str, int]:
    """A store with one case of each kind, as registration and records left it."""

    def enterprise(name: str, code: str) -> int:
        return subjects.create_subject(session, kind="enterprise", name=name, uscc=code)

    ids = {
        "mismatch": enterprise("错码实业有限公司", uscc_inner_mismatch(7)),
        # (b) one code, two differently-named subjects
        "code_a": enterprise("台州市甲乙贸易有限公司", uscc(20)),
        "code_b": enterprise("台州市丙丁贸易有限公司", uscc(20)),
        # (c) one name, two codes
        "name_a": enterprise("台州市同名科技有限公司", uscc(30)),
        "name_b": enterprise("台州市同名科技有限公司", uscc(31)),
        "clean": enterprise("台州市清白有限公司", uscc(40)),
    }
    # (d) a record named an unknown code
    ids["provisional"] = subjects.resolve_subject(
        session, name="临海市新来的有限公司", kind="enterprise", uscc=uscc(50), source="市税务局"
    ).subject_id
    session.commit()
    return ids


def _case(session: Session, kind: str) -> subjects.CaseView:
    page = subjects.list_cases(session, kind=kind)
    assert page.total == 1, page
    return page.items[0]


def test_each_kind_detected_once(session: Session, messy: dict[str, int]) -> None:
    subjects.detect_cases(session)
    session.commit()
    assert _case(session, "inner_check_mismatch").subject_ids == [messy["mismatch"]]
    b = _case(session, "code_multiple_names")
    assert b.subject_ids == sorted([messy["code_a"], messy["code_b"]]) and b.code == uscc(20)
    assert set(b.details["names"]) == {"台州市甲乙贸易有限公司", "台州市丙丁贸易有限公司"}
    c = _case(session, "name_multiple_codes")
    assert c.subject_ids == sorted([messy["name_a"], messy["name_b"]])
    assert c.details["codes"] == sorted([uscc(30), uscc(31)])
    assert _case(session, "provisional_subject").subject_ids == [messy["provisional"]]
    # Idempotent.
    before = subjects.list_cases(session, status=None).total
    assert subjects.detect_cases(session) == 0
    assert subjects.list_cases(session, status=None).total == before


def test_detection_finds_what_bypassed_the_service(session: Session) -> None:
    """Rows loaded in bulk (no resolve_subject on the way) are still found by a scan."""
    from sqlalchemy import insert

    from xinyong.subjects.models import Subject

    session.execute(
        insert(Subject),
        [
            {
                "kind": "enterprise",
                "name": "批量甲",
                "uscc": uscc(60),
                "status": "存续",
                "provisional": False,
            },
            {
                "kind": "enterprise",
                "name": "批量乙",
                "uscc": uscc(60),
                "status": "存续",
                "provisional": False,
            },
            {
                "kind": "enterprise",
                "name": "批量丙",
                "uscc": uscc_inner_mismatch(61),
                "status": "存续",
                "provisional": False,
            },
        ],
    )
    session.commit()
    assert subjects.detect_cases(session) == 2
    assert subjects.detect_cases(session) == 0


def test_merge_moves_records_names_and_relations(session: Session, messy: dict[str, int]) -> None:
    from xinyong.catalog.service import get_catalog
    from xinyong.ingest.service import create_provider
    from xinyong.records.service import get_record
    from xinyong.records.store import store

    provider, _key = create_provider(
        session, "TZ-SJJ", "台州市市场监督管理局", items=["administrative_licence"]
    )
    item = get_catalog().item("administrative_licence")
    outcome = store(
        session,
        item=item,
        subject_id=messy["code_b"],
        provider_id=provider.id,
        document_number="台市监许〔2025〕1号",
        data={
            "subject_name": "台州市丙丁贸易有限公司",
            "uscc": uscc(20),
            "document_number": "台市监许〔2025〕1号",
            "decision_date": date(2025, 6, 3),
        },
        submission_id=None,
        received_on=date(2025, 6, 4),
    )
    person = subjects.create_subject(session, kind="natural_person", name="赵六", id_number=ric(5))
    subjects.add_relation(session, messy["code_b"], person, "legal_representative")
    subjects.detect_cases(session)
    session.commit()

    case = _case(session, "code_multiple_names")
    done = subjects.resolve_case(
        session,
        case.id,
        "merge",
        by="governance-officer",
        note="同一企业，更名前后",
        target_subject_id=messy["code_a"],
    )
    session.commit()
    assert done.status == "resolved" and done.resolution == "merge"
    assert done.resolution_detail["merged_subject_ids"] == [messy["code_b"]]
    assert done.resolution_detail["records_moved"] == {str(messy["code_b"]): 1}
    assert (done.resolved_by, done.note) == ("governance-officer", "同一企业，更名前后")
    assert done.resolved_at is not None
    assert get_record(session, outcome.record_id).subject_id == messy["code_a"]
    merged = subjects.get_subject(session, messy["code_b"])
    assert merged.merged_into_id == messy["code_a"]
    kept = subjects.get_subject(session, messy["code_a"])
    assert "台州市丙丁贸易有限公司" in kept.former_names
    assert [(r.role, r.other.id) for r in subjects.list_relations(session, messy["code_a"])] == [
        ("legal_representative", person)
    ]
    assert [e.payload["from_subject_id"] for e in _events(session, "subject.merged")] == [messy["code_b"]]
    assert _events(session, "governance.resolved")[-1].payload["case_id"] == case.id
    # Decided: not reopened, and cannot be decided twice.
    assert subjects.detect_cases(session) == 0
    with pytest.raises(Conflict):
        subjects.resolve_case(session, case.id, "distinct", by="x")


def test_correct_fixes_the_code(session: Session, messy: dict[str, int]) -> None:
    subjects.detect_cases(session)
    case = _case(session, "inner_check_mismatch")
    with pytest.raises(InvalidInput):
        subjects.resolve_case(session, case.id, "correct", by="x", corrected_code=uscc_inner_mismatch(8))
    with pytest.raises(Conflict) as in_use:
        subjects.resolve_case(session, case.id, "correct", by="x", corrected_code=uscc(40))
    assert in_use.value.code == "governance.code_in_use"
    done = subjects.resolve_case(session, case.id, "correct", by="张科员", corrected_code=uscc(7))
    session.commit()
    assert done.resolution_detail == {
        "subject_id": messy["mismatch"],
        "old_code": uscc_inner_mismatch(7),
        "new_code": uscc(7),
    }
    assert subjects.get_by_code(session, uscc(7)).id == messy["mismatch"]
    assert subjects.find_by_code(session, uscc_inner_mismatch(7)) is None
    assert _events(session, "subject.corrected")[0].payload["new_code"] == uscc(7)
    assert subjects.detect_cases(session) == 0


def test_distinct_is_kept_and_not_reopened(session: Session, messy: dict[str, int]) -> None:
    subjects.detect_cases(session)
    case = _case(session, "name_multiple_codes")
    subjects.resolve_case(session, case.id, "distinct", by="张科员", note="两家不同企业，异地同名")
    session.commit()
    assert subjects.detect_cases(session) == 0
    assert subjects.list_cases(session, kind="name_multiple_codes").total == 0
    kept = subjects.get_case(session, case.id)
    assert (kept.resolution, kept.note, kept.status) == ("distinct", "两家不同企业，异地同名", "resolved")
    # The decision is in the tamper-evident ledger, with who decided and why.
    ledger.checkpoint_pending(session)
    proof = ledger.proof_for_ref(session, f"governance_case:{case.id}", include_payload=True)
    payload = json.loads(proof.entry["payload"])
    assert (proof.entry["kind"], payload["resolution"], payload["by"]) == (
        "governance.resolved",
        "distinct",
        "张科员",
    )
    assert ledger.verify(session).ok
    # New evidence after the decision (a third subject with that name) opens a fresh case.
    subjects.create_subject(session, kind="enterprise", name="台州市同名科技有限公司", uscc=uscc(32))
    assert subjects.detect_cases(session) == 1
    fresh = _case(session, "name_multiple_codes")
    assert fresh.id != case.id and len(fresh.subject_ids) == 3


def test_confirm_accepts_a_provisional_subject(session: Session, messy: dict[str, int]) -> None:
    case = _case(session, "provisional_subject")
    subjects.resolve_case(session, case.id, "confirm", by="张科员")
    session.commit()
    assert subjects.get_subject(session, messy["provisional"]).provisional is False
    assert subjects.detect_cases(session) >= 0
    assert subjects.list_cases(session, kind="provisional_subject").total == 0


def test_merge_a_provisional_subject_into_the_real_one(session: Session, messy: dict[str, int]) -> None:
    # A record named the company without a code: provisional by name, merged into the registered one.
    r = subjects.resolve_subject(session, name="台州市清白有限公司", kind="enterprise")
    session.commit()
    case = subjects.list_cases(session, kind="provisional_subject").items[-1]
    assert case.subject_ids == [r.subject_id]
    assert case.details["candidates"] == [messy["clean"]]
    done = subjects.resolve_case(session, case.id, "merge", by="张科员", target_subject_id=messy["clean"])
    assert done.resolution_detail["merged_subject_ids"] == [r.subject_id]
    assert subjects.get_subject(session, r.subject_id).merged_into_id == messy["clean"]


def test_bad_decisions_are_refused(session: Session, messy: dict[str, int]) -> None:
    subjects.detect_cases(session)
    case = _case(session, "code_multiple_names")
    with pytest.raises(InvalidInput) as e1:
        subjects.resolve_case(session, case.id, "merge", by="x")
    assert e1.value.code == "governance.target_required"
    with pytest.raises(InvalidInput) as e2:
        subjects.resolve_case(session, case.id, "delete", by="x")
    assert e2.value.code == "governance.unknown_resolution"
    with pytest.raises(InvalidInput) as e3:
        subjects.resolve_case(session, case.id, "distinct", by=" ")
    assert e3.value.code == "governance.by_required"
    with pytest.raises(InvalidInput) as e4:
        subjects.resolve_case(session, case.id, "correct", by="x", corrected_code=uscc(99))
    assert e4.value.code == "governance.target_required"


def test_report_counts_and_error_rate(session: Session, messy: dict[str, int]) -> None:
    subjects.detect_cases(session)
    report = subjects.governance_report(session)
    assert report.by_kind["inner_check_mismatch"]["open"] == 1
    assert report.by_kind["provisional_subject"]["open"] == 1
    assert report.open_total == 4
    # Codes on live subjects: mismatch, 20, 30, 31, 40, 50 → 6; in open 错码/重码 cases: mismatch, 20, 30, 31.
    assert (report.codes_total, report.error_codes) == (6, 4)
    assert report.error_rate_per_10000 == pytest.approx(4 / 6 * 10_000, rel=1e-4)
    assert report.target_per_10000 == 1  # rulesets/default/governance.yaml (盐政办发〔2020〕33号)
    assert report.target_source and "盐政办发〔2020〕33号" in report.target_source
    assert report.meets_target is False
    for case in subjects.list_cases(session).items:
        if case.kind == "code_multiple_names":
            subjects.resolve_case(session, case.id, "merge", by="x", target_subject_id=case.subject_ids[0])
        else:
            subjects.resolve_case(
                session, case.id, "distinct" if case.kind != "provisional_subject" else "confirm", by="x"
            )
    after = subjects.governance_report(session)
    assert (after.open_total, after.error_codes, after.meets_target) == (0, 0, True)
