"""Search by Chinese name fragments (current and former names), by code prefix; ranked, paginated."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from tests.subjects.util import ric, uscc
from xinyong.core.errors import InvalidInput
from xinyong.subjects import service as subjects


def _names(page: subjects.SearchPage) -> list[str]:
    return [i.subject.name for i in page.items]


@pytest.fixture
def city(session: Session) -> dict[str, int]:
    ids = {
        "machinery": subjects.create_subject(
            session,
            kind="enterprise",
            name="台州市椒江区鑫达机械制造有限公司",
            uscc=uscc(1),
            former_names=["台州市椒江鑫达机械厂"],
        ),
        "trade": subjects.create_subject(session, kind="enterprise", name="温岭市鑫达贸易商行", uscc=uscc(2)),
        "exact": subjects.create_subject(session, kind="enterprise", name="鑫达", uscc=uscc(3)),
        "prefix": subjects.create_subject(
            session, kind="individual_business", name="鑫达小吃店", uscc=uscc(4, entity_type="2")
        ),
        "other": subjects.create_subject(session, kind="enterprise", name="台州市黄岩区模具厂", uscc=uscc(5)),
        "school": subjects.create_subject(
            session,
            kind="organisation",
            name="台州市椒江区实验学校",
            uscc=uscc(6, authority="1", entity_type="2"),
        ),
        "person": subjects.create_subject(session, kind="natural_person", name="王鑫达", id_number=ric(11)),
    }
    session.commit()
    return ids


def test_two_character_fragment_finds_every_name_containing_it(
    session: Session, city: dict[str, int]
) -> None:
    page = subjects.search(session, "鑫达")
    assert page.total == 5
    assert {i.subject.id for i in page.items} == {
        city["machinery"],
        city["trade"],
        city["exact"],
        city["prefix"],
        city["person"],
    }


def test_three_plus_character_fragment(session: Session, city: dict[str, int]) -> None:
    assert _names(subjects.search(session, "机械制造")) == ["台州市椒江区鑫达机械制造有限公司"]
    assert _names(subjects.search(session, "黄岩区模具")) == ["台州市黄岩区模具厂"]
    assert subjects.search(session, "不存在的名称").total == 0


def test_former_name_is_searchable_and_reported(session: Session, city: dict[str, int]) -> None:
    page = subjects.search(session, "鑫达机械厂")
    assert [i.subject.id for i in page.items] == [city["machinery"]]
    assert page.items[0].matched_name == "台州市椒江鑫达机械厂"
    assert page.items[0].subject.name == "台州市椒江区鑫达机械制造有限公司"


def test_renamed_subject_found_by_old_and_new_name(session: Session, city: dict[str, int]) -> None:
    subjects.rename_subject(session, city["other"], "台州市黄岩区精工模具有限公司")
    session.commit()
    assert [i.subject.id for i in subjects.search(session, "模具厂").items] == [city["other"]]
    assert [i.subject.id for i in subjects.search(session, "精工模具").items] == [city["other"]]
    view = subjects.get_subject(session, city["other"])
    assert view.name == "台州市黄岩区精工模具有限公司"
    assert view.former_names == ["台州市黄岩区模具厂"]


def test_ranking_exact_name_then_prefix_then_fragment_shorter_first(
    session: Session, city: dict[str, int]
) -> None:
    page = subjects.search(session, "鑫达")
    assert [i.match for i in page.items] == ["name", "prefix", "fragment", "fragment", "fragment"]
    assert _names(page) == [
        "鑫达",
        "鑫达小吃店",
        "王鑫达",
        "温岭市鑫达贸易商行",
        "台州市椒江区鑫达机械制造有限公司",
    ]


def test_code_prefix_and_exact_code(session: Session, city: dict[str, int]) -> None:
    page = subjects.search(session, "913310")
    assert page.total == 4  # the 91-prefixed codes (not the 92 shop, the 12 school or the person)
    assert all(i.match == "prefix" for i in page.items)
    exact = subjects.search(session, uscc(2).lower())
    assert exact.items[0].subject.id == city["trade"]
    assert exact.items[0].match == "code"
    school_code = subjects.get_subject(session, city["school"]).uscc
    assert school_code is not None and school_code.startswith("12")
    assert [i.subject.id for i in subjects.search(session, school_code[:4]).items] == [city["school"]]


def test_exact_code_outranks_exact_name(session: Session, city: dict[str, int]) -> None:
    # A subject named like another's code: the code holder comes first.
    named = subjects.create_subject(session, kind="enterprise", name=uscc(5), uscc=uscc(7))
    session.commit()
    page = subjects.search(session, uscc(5))
    assert [i.subject.id for i in page.items] == [city["other"], named]
    assert [i.match for i in page.items] == ["code", "name"]


def test_id_numbers_match_exactly_and_only_masked(session: Session, city: dict[str, int]) -> None:
    number = ric(11)
    page = subjects.search(session, number)
    assert [i.subject.id for i in page.items] == [city["person"]]
    assert page.items[0].subject.id_number_masked == number[:6] + "********" + number[-4:]
    assert number not in repr(page)
    # Never by prefix.
    assert subjects.search(session, number[:10]).total == 0
    assert subjects.search(session, number[:17]).total == 0


def test_kind_filter(session: Session, city: dict[str, int]) -> None:
    page = subjects.search(session, "鑫达", kind="individual_business")
    assert [i.subject.id for i in page.items] == [city["prefix"]]
    with pytest.raises(InvalidInput):
        subjects.search(session, "鑫达", kind="company")


def test_pagination(session: Session) -> None:
    for n in range(25):
        subjects.create_subject(
            session, kind="enterprise", name=f"台州市第{n:02d}建筑工程有限公司", uscc=uscc(100 + n)
        )
    session.commit()
    first = subjects.search(session, "建筑工程", per_page=10)
    second = subjects.search(session, "建筑工程", page=2, per_page=10)
    third = subjects.search(session, "建筑工程", page=3, per_page=10)
    assert first.total == second.total == third.total == 25
    assert (len(first.items), len(second.items), len(third.items)) == (10, 10, 5)
    ids = [i.subject.id for p in (first, second, third) for i in p.items]
    assert len(set(ids)) == 25
    assert subjects.search(session, "建筑工程", page=4, per_page=10).items == []


def test_query_too_short_and_wildcards_are_literal(session: Session, city: dict[str, int]) -> None:
    with pytest.raises(InvalidInput) as exc:
        subjects.search(session, "鑫")
    assert exc.value.code == "subject.query_too_short"
    assert subjects.search(session, "%%").total == 0
    assert subjects.search(session, "__").total == 0
    assert subjects.search(session, '"鑫达').total == 0


def test_merged_subjects_leave_the_results(session: Session, city: dict[str, int]) -> None:
    dup = subjects.create_subject(session, kind="enterprise", name="温岭市鑫达贸易商行", uscc=uscc(8))
    session.commit()
    assert subjects.search(session, "鑫达贸易").total == 2
    subjects.detect_cases(session)
    case = subjects.list_cases(session, kind="name_multiple_codes").items[0]
    subjects.resolve_case(session, case.id, "merge", by="张科员", target_subject_id=city["trade"])
    session.commit()
    assert [i.subject.id for i in subjects.search(session, "鑫达贸易").items] == [city["trade"]]
    # The merged subject's code now leads to the one it was merged into.
    assert subjects.get_by_code(session, uscc(8)).id == city["trade"]
    assert dup != city["trade"]


def test_bulk_inserted_names_stay_searchable(session: Session) -> None:
    """Names added outside the service (bulk loads) are indexed too (triggers / trgm index)."""
    from sqlalchemy import insert

    from xinyong.subjects.models import Subject, SubjectName

    sid = session.execute(
        insert(Subject).values(
            kind="enterprise", name="三门县海洋渔业合作社", status="存续", provisional=False
        )
    ).inserted_primary_key[0]
    session.execute(insert(SubjectName).values(subject_id=sid, name="三门县海洋渔业合作社", current=True))
    session.commit()
    assert [i.subject.id for i in subjects.search(session, "海洋渔业").items] == [sid]
    assert [i.subject.id for i in subjects.search(session, "渔业").items] == [sid]
