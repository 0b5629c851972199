"""``resolve_subjects`` (bulk ingest) gives what ``resolve_subject`` gives row by row: the same
subjects, names, warnings and governance cases, with a handful of statements per batch."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests.subjects.util import ric, uscc, uscc_inner_mismatch
from xinyong.core.errors import DomainError
from xinyong.subjects import service as subjects
from xinyong.subjects.models import GovernanceCase, Subject, SubjectName

Ref = subjects.SubjectRef


def _registry(session: Session) -> None:
    subjects.create_subject(session, kind="enterprise", name="台州市鑫达机械有限公司", uscc=uscc(1))
    subjects.create_subject(
        session, kind="enterprise", name="台州市海洋贸易有限公司", uscc=uscc(2), former_names=["海洋商行"]
    )
    subjects.create_subject(session, kind="natural_person", name="李四", id_number=ric(1))
    # The same code under two names already (a 重码 case waiting for governance).
    subjects.create_subject(session, kind="enterprise", name="甲公司", uscc=uscc(3))
    subjects.create_subject(session, kind="enterprise", name="乙公司", uscc=uscc(3))
    session.commit()


def _refs() -> list[Ref]:
    bad = uscc(5)[:-1] + ("0" if uscc(5)[-1] != "0" else "1")
    return [
        Ref("台州市鑫达机械有限公司", "enterprise", uscc(1)),  # known: attaches silently
        Ref("台州市鑫达机械有限公司", "法人及非法人组织", uscc(1).lower()),  # the memo answers
        Ref("海洋商行", "enterprise", uscc(2)),  # a former name
        Ref("台州市海洋贸易（集团）有限公司", "enterprise", uscc(2)),  # another name: 重码 case
        Ref("乙公司", "enterprise", uscc(3)),  # the second subject on the code
        Ref("新开张五金店", "individual_business", uscc(10, entity_type="2"), source="市监局"),
        Ref("新开张五金店", "individual_business", uscc(10, entity_type="2")),  # the new subject again
        Ref("", "enterprise", uscc(10, entity_type="2")),  # no name: the code decides
        Ref("新开张五金店（改名）", "enterprise", uscc(10, entity_type="2")),  # a new code, two names
        Ref("新开张五金店", "enterprise", uscc(11)),  # same name, another new code: merge candidate
        Ref("错码公司", "enterprise", uscc_inner_mismatch(12)),
        Ref("李四", "natural_person", None, ric(1)),
        Ref("王五", "natural_person", None, ric(2)),
        Ref("王五", "natural_person", None, ric(2).lower()),
        Ref("某某公司", "enterprise", "00000000000000000X"),  # placeholder: by name
        Ref("某某公司", "enterprise", bad),  # refused
        Ref("", "enterprise", None),  # names nothing: refused
        Ref("老字号酱园", "enterprise", None),
        Ref("老字号酱园", "enterprise", None),
        *[Ref(f"批量新主体{n}", "enterprise", uscc(100 + n)) for n in range(30)],
    ]


def _snapshot(session: Session, results: list[Any]) -> dict[str, Any]:
    """Everything observable, with ids replaced by what they stand for."""
    subject_label = {
        s.id: (s.uscc, s.id_number_hash, s.name, s.kind, s.provisional, s.legal_representative)
        for s in session.scalars(select(Subject))
    }
    cases = {c.id: c for c in session.scalars(select(GovernanceCase))}

    def case_view(c: GovernanceCase) -> tuple[Any, ...]:
        details = dict(c.details or {})
        if "candidates" in details:
            details["candidates"] = sorted((subject_label[i] for i in details["candidates"]), key=repr)
        return (
            c.kind,
            c.key.split(":")[0],
            c.code,
            c.name,
            sorted((subject_label[i] for i in c.subject_ids), key=repr),
            details,
            c.status,
        )

    def warning(w: dict[str, Any]) -> dict[str, Any]:
        w = dict(w)
        if w.get("case_id") is not None:
            w["case_id"] = case_view(cases[w["case_id"]])
        return w

    rows = []
    for r in results:
        if isinstance(r, DomainError):
            rows.append(("error", r.code))
        else:
            rows.append(
                (subject_label[r.subject_id], r.created, r.provisional, [warning(w) for w in r.warnings])
            )
    names = sorted(
        (
            (subject_label[sid], name, current)
            for sid, name, current in session.execute(
                select(SubjectName.subject_id, SubjectName.name, SubjectName.current)
            )
        ),
        key=repr,
    )
    return {
        "rows": rows,
        "subjects": sorted(subject_label.values(), key=repr),
        "names": names,
        "cases": sorted((case_view(c) for c in cases.values()), key=repr),
    }


def _one_by_one(session: Session, refs: list[Ref]) -> list[Any]:
    out: list[Any] = []
    for ref in refs:
        try:
            out.append(subjects.resolve_subject(session, **ref._asdict()))
        except DomainError as exc:
            out.append(exc)
    return out


def test_batch_resolution_matches_row_by_row(session: Session) -> None:
    _registry(session)
    refs = _refs()
    expected = _snapshot(session, _one_by_one(session, refs))
    session.rollback()
    got = _snapshot(session, subjects.resolve_subjects(session, refs))
    assert got["rows"] == expected["rows"]
    assert got == expected
    # Sent again in the same transaction (the next chunk of a file): nothing new.
    again = subjects.resolve_subjects(session, refs)
    assert _snapshot(session, again)["subjects"] == got["subjects"]
    session.commit()
    later = _snapshot(session, subjects.resolve_subjects(session, refs))
    assert later["subjects"] == got["subjects"] and later["cases"] == got["cases"]


def test_batch_of_known_and_new_codes_takes_a_few_statements(session: Session) -> None:
    for n in range(200):
        subjects.create_subject(session, kind="enterprise", name=f"已登记公司{n}", uscc=uscc(n + 1))
    session.commit()
    refs = [Ref(f"已登记公司{n}", "enterprise", uscc(n + 1)) for n in range(200)]
    refs += [Ref(f"未登记公司{n}", "enterprise", uscc(n + 1000)) for n in range(200)]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        results = subjects.resolve_subjects(session, refs)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not any(isinstance(r, DomainError) for r in results)
    assert [r.created for r in results if not isinstance(r, DomainError)] == [False] * 200 + [True] * 200
    assert len(statements) <= 12, statements
    session.commit()
    assert subjects.list_cases(session, kind="provisional_subject").total == 200
