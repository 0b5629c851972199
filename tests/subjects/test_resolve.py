"""Which subject a record names: attach, flag 重码, create provisional subjects, never drop."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.subjects.util import ric, uscc, uscc_inner_mismatch
from xinyong.core.errors import InvalidInput
from xinyong.subjects import service as subjects
from xinyong.subjects.models import Subject


def _codes(result: subjects.ResolvedSubject) -> list[str]:
    return [w["code"] for w in result.warnings]


def _company(
    session: Session, n: int = 1, name: str = "台州市椒江区鑫达机械制造有限公司", **kw: object
) -> int:
    sid = subjects.create_subject(session, kind="enterprise", name=name, uscc=uscc(n), **kw)  # type: ignore[arg-type]
    session.commit()
    return sid


def test_known_code_and_name_attaches_silently(session: Session) -> None:
    sid = _company(session)
    r = subjects.resolve_subject(
        session, name="台州市椒江区鑫达机械制造有限公司", kind="enterprise", uscc=uscc(1)
    )
    assert (r.subject_id, r.created, r.provisional, r.warnings) == (sid, False, False, [])


def test_former_name_and_bracket_variants_count_as_the_same_name(session: Session) -> None:
    sid = _company(session, name="台州市鑫达（集团）有限公司", former_names=["台州市鑫达机械厂"])
    for name in ("台州市鑫达机械厂", "台州市鑫达(集团)有限公司", " 台州市鑫达（集团） 有限公司 "):
        r = subjects.resolve_subject(session, name=name, kind="enterprise", uscc=uscc(1).lower())
        assert (r.subject_id, r.warnings) == (sid, [])


def test_known_code_with_another_name_attaches_and_opens_one_case(session: Session) -> None:
    sid = _company(session)
    first = subjects.resolve_subject(
        session, name="温岭市某某贸易商行", kind="enterprise", uscc=uscc(1), source="市监局"
    )
    assert first.subject_id == sid and not first.created
    assert _codes(first) == ["subject.name_differs"]
    again = subjects.resolve_subject(session, name="温岭市某某贸易商行", kind="enterprise", uscc=uscc(1))
    third = subjects.resolve_subject(session, name="另一个名字", kind="enterprise", uscc=uscc(1))
    session.commit()
    cases = subjects.list_cases(session, kind="code_multiple_names")
    assert cases.total == 1
    case = cases.items[0]
    assert case.code == uscc(1)
    assert case.subject_ids == [sid]
    assert set(case.details["names"]) == {
        "台州市椒江区鑫达机械制造有限公司",
        "温岭市某某贸易商行",
        "另一个名字",
    }
    assert again.warnings[0]["case_id"] == third.warnings[0]["case_id"] == case.id


def test_unknown_code_creates_a_provisional_subject_and_case(session: Session) -> None:
    r = subjects.resolve_subject(
        session, name="路桥区新开张五金店", kind="individual_business", uscc=uscc(9, entity_type="2")
    )
    assert r.created and r.provisional
    assert _codes(r) == ["subject.provisional"]
    session.commit()
    s = subjects.get_subject(session, r.subject_id)
    assert (s.provisional, s.uscc, s.kind, s.name) == (
        True,
        uscc(9, entity_type="2"),
        "individual_business",
        "路桥区新开张五金店",
    )
    cases = subjects.list_cases(session, kind="provisional_subject")
    assert cases.total == 1 and cases.items[0].subject_ids == [r.subject_id]
    # The next record naming the code attaches to the same provisional subject.
    again = subjects.resolve_subject(
        session, name="路桥区新开张五金店", kind="individual_business", uscc=uscc(9, entity_type="2")
    )
    assert (again.subject_id, again.created, again.provisional) == (r.subject_id, False, True)
    assert subjects.list_cases(session, kind="provisional_subject").total == 1


def test_inner_check_mismatch_opens_a_case_but_attaches(session: Session) -> None:
    code = uscc_inner_mismatch(42)
    r = subjects.resolve_subject(session, name="错码测试有限公司", kind="enterprise", uscc=code)
    assert "subject.inner_check_mismatch" in _codes(r)
    session.commit()
    case = subjects.list_cases(session, kind="inner_check_mismatch").items[0]
    assert case.code == code and case.subject_ids == [r.subject_id]


def test_natural_person_by_id_number(session: Session) -> None:
    number = ric(7)
    pid = subjects.create_subject(session, kind="natural_person", name="李四", id_number=number)
    session.commit()
    r = subjects.resolve_subject(session, name="李四", kind="natural_person", id_number=number.lower())
    assert (r.subject_id, r.warnings) == (pid, [])
    unknown = subjects.resolve_subject(session, name="王五", kind="natural_person", id_number=ric(9))
    assert unknown.created and unknown.provisional
    session.commit()
    stored = session.get(Subject, unknown.subject_id)
    assert stored is not None
    # Only ciphertext, blind index and the masked form are stored.
    assert stored.id_number_masked == ric(9)[:6] + "********" + ric(9)[-4:]
    assert ric(9) not in (stored.id_number_enc or "") and ric(9) != stored.id_number_hash
    from xinyong.core.crypto import decrypt

    assert decrypt(stored.id_number_enc or "") == ric(9)
    case = subjects.list_cases(session, kind="provisional_subject").items[0]
    assert case.code == stored.id_number_masked


def test_no_code_resolves_by_name_to_one_provisional_subject(session: Session) -> None:
    r1 = subjects.resolve_subject(session, name="椒江区老字号酱园", kind="enterprise")
    r2 = subjects.resolve_subject(session, name="椒江区老字号酱园", kind="enterprise")
    assert r1.created and not r2.created and r1.subject_id == r2.subject_id
    assert "subject.no_code" in _codes(r1) and "subject.provisional" in _codes(r1)


def test_placeholders_never_become_identities(session: Session) -> None:
    r = subjects.resolve_subject(session, name="某某公司", kind="enterprise", uscc="00000000000000000X")
    assert "subject.placeholder_code" in _codes(r)
    session.commit()
    assert session.scalar(select(Subject.uscc).where(Subject.id == r.subject_id)) is None
    with pytest.raises(InvalidInput) as exc:
        subjects.create_subject(session, kind="enterprise", name="某某公司", uscc="00000000000000000X")
    assert exc.value.code == "subject.placeholder_code"


def test_invalid_codes_are_refused(session: Session) -> None:
    bad = uscc(1)[:-1] + ("0" if uscc(1)[-1] != "0" else "1")
    with pytest.raises(InvalidInput) as exc:
        subjects.resolve_subject(session, name="某某公司", kind="enterprise", uscc=bad)
    assert exc.value.code == "subject.invalid_uscc"
    with pytest.raises(InvalidInput) as exc2:
        subjects.create_subject(session, kind="natural_person", name="某人", id_number=ric(1)[:-1] + "0")
    assert exc2.value.code == "subject.invalid_id_number"
    assert ric(1)[:-1] not in str(exc2.value.details)  # never echoed in full


def test_registration_promotes_a_provisional_subject(session: Session) -> None:
    r = subjects.resolve_subject(session, name="鑫达机械", kind="enterprise", uscc=uscc(3), source="市税务局")
    session.commit()
    sid = subjects.create_subject(
        session,
        kind="enterprise",
        name="台州市鑫达机械有限公司",
        uscc=uscc(3),
        registered_on=date(2019, 3, 1),
    )
    session.commit()
    assert sid == r.subject_id
    s = subjects.get_subject(session, sid)
    assert (s.provisional, s.name, s.registered_on) == (False, "台州市鑫达机械有限公司", date(2019, 3, 1))
    assert "鑫达机械" in s.former_names
    case = subjects.list_cases(session, status=None, kind="provisional_subject").items[0]
    assert (case.status, case.resolution, case.resolved_by) == ("resolved", "confirm", "system:registration")


def test_create_subject_is_idempotent_and_keeps_code_conflicts(session: Session) -> None:
    a = _company(session)
    assert _company(session) == a
    b = subjects.create_subject(session, kind="enterprise", name="另一家公司", uscc=uscc(1))
    assert b != a  # 重码: held until governance decides


def test_kind_from_category() -> None:
    k = subjects.kind_from_category
    assert k("自然人", None) == "natural_person"
    assert k("个体工商户", uscc(1)) == "individual_business"
    assert k("法人及非法人组织", uscc(1)) == "enterprise"
    assert k("法人及非法人组织", uscc(1, entity_type="2")) == "individual_business"
    assert k("法人及非法人组织", uscc(1, entity_type="3")) == "enterprise"  # 农民专业合作社
    assert k("法人及非法人组织", uscc(1, authority="1", entity_type="2")) == "organisation"  # 事业单位
    assert k("法人及非法人组织", uscc(1, authority="5", entity_type="1")) == "organisation"  # 社会团体
    assert k(None, uscc(1, authority="N", entity_type="2")) == "organisation"
    assert k("法人及非法人组织", None) == "enterprise"
    assert k("natural_person", None) == "natural_person"


def test_relations_both_directions(session: Session) -> None:
    company = _company(session)
    branch = _company(session, 2, name="台州市椒江区鑫达机械制造有限公司路桥分公司")
    person = subjects.create_subject(session, kind="natural_person", name="陈一", id_number=ric(3))
    r1 = subjects.add_relation(
        session, company, person, "legal_representative", since=date(2018, 1, 2), source="市监局"
    )
    assert (
        subjects.add_relation(session, company, person, "legal_representative", since=date(2018, 1, 2)) == r1
    )
    subjects.add_relation(session, company, branch, "branch", source="市监局")
    session.commit()
    rels = subjects.list_relations(session, company)
    assert {(r.direction, r.role, r.other.id) for r in rels} == {
        ("outgoing", "legal_representative", person),
        ("outgoing", "branch", branch),
    }
    mine = subjects.list_relations(session, person)
    assert [(r.direction, r.role, r.other.id, r.since, r.source) for r in mine] == [
        ("incoming", "legal_representative", company, date(2018, 1, 2), "市监局")
    ]
    with pytest.raises(InvalidInput):
        subjects.add_relation(session, company, person, "friend")
    with pytest.raises(InvalidInput):
        subjects.add_relation(session, company, company, "branch")


def test_bulk_registration_matches_one_by_one(session: Session) -> None:
    existing = _company(session, 1)
    rows = [
        {"kind": "enterprise", "name": "台州市椒江区鑫达机械制造有限公司", "uscc": uscc(1)},  # already there
        {"kind": "enterprise", "name": "批量一号有限公司", "uscc": uscc(2), "former_names": ["批量一号厂"]},
        {
            "kind": "enterprise",
            "name": "批量二号有限公司",
            "uscc": uscc(3),
            "registered_on": date(2020, 1, 2),
        },
        {"kind": "enterprise", "name": "批量二号有限公司", "uscc": uscc(3)},  # same row twice
        {"kind": "natural_person", "name": "周七", "id_number": ric(21)},
        {"kind": "enterprise", "name": "批量错码有限公司", "uscc": uscc_inner_mismatch(4)},
    ]
    ids = subjects.create_subjects(session, rows, chunk_size=4)
    session.commit()
    assert ids[0] == existing and ids[2] == ids[3]
    assert len(set(ids)) == 5
    assert subjects.get_subject(session, ids[1]).former_names == ["批量一号厂"]
    assert subjects.get_subject(session, ids[2]).registered_on == date(2020, 1, 2)
    assert subjects.get_by_code(session, ric(21)).id == ids[4]
    assert [i.subject.id for i in subjects.search(session, "批量一号厂").items] == [ids[1]]
    assert subjects.list_cases(session, kind="inner_check_mismatch").items[0].subject_ids == [ids[5]]
    assert subjects.create_subjects(session, rows) == ids  # idempotent
