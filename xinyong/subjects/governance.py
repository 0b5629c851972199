"""重错码 governance: detection, the staff queue, decisions, and the error-rate report.

Case kinds: ``inner_check_mismatch`` (错码 candidate: the USCC passes GB 32100 but its embedded
GB 11714 organisation code fails), ``code_multiple_names`` (重码: one code, several subjects or
names), ``name_multiple_codes`` (one exact name under several USCCs), ``provisional_subject``
(a record named an unknown subject). Staff decide each case: ``merge``, ``correct``,
``distinct`` or ``confirm``; the decision stays on the case and is emitted as an event.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from xinyong.core.crypto import blind_index, encrypt
from xinyong.core.db import utcnow
from xinyong.core.errors import Conflict, InvalidInput, NotFound
from xinyong.core.events import emit
from xinyong.core.identifiers import check_uscc, mask_id_number
from xinyong.core.paging import check_page, paged
from xinyong.core.settings import get_settings
from xinyong.ledger import service as ledger
from xinyong.subjects.common import (
    CASE_KINDS,
    CASE_STATUSES,
    RESOLUTIONS,
    CasePage,
    CaseView,
    GovernanceReport,
    add_name,
    brief,
    clear_resolve_cache,
    inner_check_case,
    load_subject,
    name_key,
    names_of,
    open_provisional_case,
    upsert_case,
    valid_ric,
    valid_uscc,
)
from xinyong.subjects.models import GovernanceCase, Relation, Subject, SubjectName

# Kinds that count as 错码/重码 for the error rate (provisional subjects are a backlog, not errors).
_ERROR_KINDS = ("inner_check_mismatch", "code_multiple_names", "name_multiple_codes")


# ---------------------------------------------------------------------------------------------
# Detection


def detect_cases(session: Session) -> int:
    """Scan the store for 重错码 and provisional subjects; returns how many cases were opened.
    Idempotent: a second run opens nothing; decided cases are not reopened for the same facts."""
    opened = 0
    live = Subject.merged_into_id.is_(None)

    # (a) inner-check mismatches: stream the codes, write after the scan.
    mismatches: list[tuple[int, str, str]] = []
    code: str | None
    for sid, code, name in session.execute(
        select(Subject.id, Subject.uscc, Subject.name).where(live, Subject.uscc.is_not(None))
    ).yield_per(10_000):
        if code and check_uscc(code).inner_check == "mismatch":
            mismatches.append((sid, code, name))
    for sid, code, name in mismatches:
        _, created = inner_check_case(session, sid, code, name, source="detection")
        opened += created

    # (b) one code held by several live subjects (USCC, and natural persons' ID numbers).
    for column, prefix in ((Subject.uscc, ""), (Subject.id_number_hash, "ric:")):
        dup = select(column).where(live, column.is_not(None)).group_by(column).having(func.count() > 1)
        groups: dict[str, list[Subject]] = {}
        for s in session.scalars(select(Subject).where(live, column.in_(dup)).order_by(Subject.id)):
            value = s.uscc if prefix == "" else s.id_number_hash
            groups.setdefault(str(value), []).append(s)
        for value, subjects in groups.items():
            names: list[str] = []
            for s in subjects:
                if name_key(s.name) not in {name_key(n) for n in names}:
                    names.append(s.name)
            _, created = upsert_case(
                session,
                kind="code_multiple_names",
                base_key=f"code_multiple_names:{prefix}{value}",
                subject_ids=[s.id for s in subjects],
                code=subjects[0].uscc if prefix == "" else subjects[0].id_number_masked,
                name=subjects[0].name,
                details={"names": names, "same_name": len(names) == 1},
            )
            opened += created

    # (c) one exact name under several USCCs.
    dup_names = (
        select(Subject.name)
        .where(live, Subject.uscc.is_not(None))
        .group_by(Subject.name)
        .having(func.count(func.distinct(Subject.uscc)) > 1)
    )
    by_name: dict[str, list[Subject]] = {}
    for s in session.scalars(
        select(Subject)
        .where(live, Subject.uscc.is_not(None), Subject.name.in_(dup_names))
        .order_by(Subject.id)
    ):
        by_name.setdefault(s.name, []).append(s)
    for name, subjects in by_name.items():
        codes = sorted({s.uscc for s in subjects if s.uscc})
        _, created = upsert_case(
            session,
            kind="name_multiple_codes",
            base_key=f"name_multiple_codes:{name}",
            subject_ids=[s.id for s in subjects],
            code=None,
            name=name,
            details={"codes": codes},
        )
        opened += created

    # (d) provisional subjects not yet decided.
    keys = set(
        session.scalars(select(GovernanceCase.key).where(GovernanceCase.kind == "provisional_subject"))
    )
    for s in session.scalars(select(Subject).where(live, Subject.provisional.is_(True)).order_by(Subject.id)):
        if f"provisional_subject:{s.id}" not in keys:
            open_provisional_case(session, s, source="detection", code_label=s.uscc or s.id_number_masked)
            opened += 1
    session.flush()
    return opened


# ---------------------------------------------------------------------------------------------
# Queue


def _view(session: Session, case: GovernanceCase) -> CaseView:
    ids = list(case.subject_ids or [])
    subjects = {s.id: s for s in session.scalars(select(Subject).where(Subject.id.in_(ids)))} if ids else {}
    return CaseView(
        id=case.id,
        kind=case.kind,
        key=case.key if ":ric:" not in case.key else case.key.split(":ric:")[0] + ":ric",
        code=case.code,
        name=case.name,
        subject_ids=ids,
        subjects=[brief(subjects[i]) for i in ids if i in subjects],
        details=dict(case.details or {}),
        status=case.status,
        resolution=case.resolution,
        resolution_detail=dict(case.resolution_detail or {}),
        note=case.note or "",
        resolved_by=case.resolved_by,
        resolved_at=case.resolved_at,
        created_at=case.created_at,
    )


def _load_case(session: Session, case_id: int) -> GovernanceCase:
    case = session.get(GovernanceCase, case_id)
    if case is None:
        raise NotFound(
            f"Governance case {case_id} not found",
            "未找到该重错码治理事项",
            code="governance.case_not_found",
            field="case_id",
            value=case_id,
        )
    return case


def get_case(session: Session, case_id: int) -> CaseView:
    return _view(session, _load_case(session, case_id))


def list_cases(
    session: Session,
    status: str | None = "open",
    kind: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> CasePage:
    """The staff queue, oldest first. ``status=None`` lists every case."""
    if status is not None and status not in CASE_STATUSES:
        raise InvalidInput(
            f"Unknown case status {status!r}",
            "治理事项状态不正确",
            code="governance.unknown_status",
            field="status",
            value=status,
            allowed=list(CASE_STATUSES),
        )
    if kind is not None and kind not in CASE_KINDS:
        raise InvalidInput(
            f"Unknown case kind {kind!r}",
            "治理事项类型不正确",
            code="governance.unknown_kind",
            field="kind",
            value=kind,
            allowed=list(CASE_KINDS),
        )
    check_page(page, per_page, limit=100, code="governance.bad_page")
    conditions = []
    if status is not None:
        conditions.append(GovernanceCase.status == status)
    if kind is not None:
        conditions.append(GovernanceCase.kind == kind)
    total, cases = paged(session, GovernanceCase, conditions, (GovernanceCase.id,), page, per_page)
    return CasePage(total=total, page=page, per_page=per_page, items=[_view(session, c) for c in cases])


# ---------------------------------------------------------------------------------------------
# Decisions


def _decide(
    session: Session, case: GovernanceCase, resolution: str, detail: dict[str, Any], *, by: str, note: str
) -> None:
    case.status = "resolved"
    case.resolution = resolution
    case.resolution_detail = detail
    case.resolved_by = by
    case.resolved_at = utcnow()
    case.note = note
    session.flush()
    payload = {"case_id": case.id, "kind": case.kind, "resolution": resolution, "by": by, "detail": detail}
    emit(
        session,
        "governance.resolved",
        subject_id=case.subject_ids[0] if case.subject_ids else None,
        payload=payload,
    )
    # Every governance decision is traceable in the tamper-evident ledger (DESIGN: nothing
    # silently changed), in the same transaction as the decision.
    ledger.append(session, "governance.resolved", f"governance_case:{case.id}", {**payload, "note": note})


def close_provisional_case(session: Session, subject_id: int, *, by: str, note: str) -> None:
    """The registration source registered a provisional subject: its case is confirmed."""
    for case in session.scalars(
        select(GovernanceCase).where(
            GovernanceCase.kind == "provisional_subject",
            GovernanceCase.status == "open",
            GovernanceCase.key.startswith(f"provisional_subject:{subject_id}", autoescape=True),
        )
    ):
        if case.key == f"provisional_subject:{subject_id}" or case.key.startswith(
            f"provisional_subject:{subject_id}#"
        ):
            _decide(
                session,
                case,
                "confirm",
                {"confirmed_subject_ids": [subject_id], "automatic": True},
                by=by,
                note=note,
            )


# Records sit above subjects (a record names its subject), so subjects cannot call records to
# move a merged subject's records: the assembly registers the mover (``xinyong.jobs.
# register_consumers``, called by the app, the CLI and the tests). A merge without one would
# leave records on the merged subject, so it is refused rather than done halfway.
RecordMover = Callable[[Session, int, int], int]
_record_movers: list[RecordMover] = []


def register_record_mover(mover: RecordMover) -> None:
    """Have a subject merge move the records of ``from_subject_id`` to ``to_subject_id`` with
    ``mover`` (which answers how many it moved). Idempotent."""
    if mover not in _record_movers:
        _record_movers.append(mover)


def _move_records(session: Session, from_subject_id: int, to_subject_id: int) -> int:
    if not _record_movers:
        raise RuntimeError("no record mover registered: call xinyong.jobs.register_consumers() first")
    return sum(mover(session, from_subject_id, to_subject_id) for mover in _record_movers)


def _merge_one(session: Session, source: Subject, target: Subject, case_id: int) -> int:
    """Fold ``source`` into ``target``: records, names (as former names) and relations move;
    ``source`` stays, marked ``merged_into_id``, so its code still leads to ``target``."""
    moved = _move_records(session, source.id, target.id)
    for row in names_of(session, source.id):
        add_name(session, target.id, row.name, current=False, until=row.until)
    for column in (Relation.subject_id, Relation.related_subject_id):
        session.execute(update(Relation).where(column == source.id).values({column.key: target.id}))
    # A relation between the two merged subjects would now point at itself.
    session.execute(delete(Relation).where(Relation.subject_id == Relation.related_subject_id))
    source.merged_into_id = target.id
    session.flush()
    emit(
        session,
        "subject.merged",
        subject_id=target.id,
        payload={
            "from_subject_id": source.id,
            "into_subject_id": target.id,
            "case_id": case_id,
            "records_moved": moved,
        },
    )
    return moved


def resolve_case(
    session: Session,
    case_id: int,
    resolution: str,
    *,
    by: str,
    note: str = "",
    target_subject_id: int | None = None,
    corrected_code: str | None = None,
) -> CaseView:
    """Decide a case.

    - ``merge``: the case's other subjects are merged into ``target_subject_id`` (their records
      move via ``records.amend.reassign_subject``).
    - ``correct``: ``target_subject_id`` (default: the case's only subject) gets ``corrected_code``.
    - ``distinct``: staff confirm the subjects are different; nothing changes.
    - ``confirm``: provisional subjects in the case are accepted as real; for other kinds the
      code/name is confirmed as it is.
    """
    case = _load_case(session, case_id)
    if case.status != "open":
        raise Conflict(
            f"Case {case_id} is already resolved ({case.resolution})",
            "该治理事项已处理，不能重复处理",
            code="governance.case_closed",
            case_id=case_id,
            resolution=case.resolution,
        )
    if resolution not in RESOLUTIONS:
        raise InvalidInput(
            f"Unknown resolution {resolution!r}",
            "处理方式不正确",
            code="governance.unknown_resolution",
            field="resolution",
            value=resolution,
            allowed=list(RESOLUTIONS),
        )
    by = (by or "").strip()
    if not by:
        raise InvalidInput(
            "The decision needs the name of who made it",
            "请填写处理人",
            code="governance.by_required",
            field="by",
        )
    clear_resolve_cache(session)
    ids = list(case.subject_ids or [])
    detail: dict[str, Any]
    if resolution == "merge":
        detail = _resolve_merge(session, case, ids, target_subject_id)
    elif resolution == "correct":
        detail = _resolve_correct(session, case, ids, target_subject_id, corrected_code)
    elif resolution == "distinct":
        detail = {"subject_ids": ids}
    else:
        confirmed = []
        for sid in ids:
            s = session.get(Subject, sid)
            if s is not None and s.provisional and s.merged_into_id is None:
                s.provisional = False
                confirmed.append(sid)
        detail = {"confirmed_subject_ids": confirmed}
    _decide(session, case, resolution, detail, by=by, note=note or "")
    return _view(session, case)


def _resolve_merge(
    session: Session, case: GovernanceCase, ids: list[int], target_subject_id: int | None
) -> dict[str, Any]:
    if target_subject_id is None:
        raise InvalidInput(
            "A merge needs the subject to keep (target_subject_id)",
            "合并需指定保留的主体",
            code="governance.target_required",
            field="target_subject_id",
        )
    target = load_subject(session, target_subject_id)
    if target.merged_into_id is not None:
        raise Conflict(
            "The target subject has itself been merged",
            "保留的主体已被合并，请选择合并后的主体",
            code="governance.target_merged",
            target_subject_id=target.id,
            merged_into_id=target.merged_into_id,
        )
    sources = [
        s
        for s in (session.get(Subject, i) for i in ids if i != target.id)
        if s is not None and s.merged_into_id is None
    ]
    if not sources:
        raise InvalidInput(
            "Nothing to merge: the case has no other live subject",
            "该事项中没有可合并的其他主体",
            code="governance.nothing_to_merge",
            field="target_subject_id",
            value=target_subject_id,
        )
    moved = {str(s.id): _merge_one(session, s, target, case.id) for s in sources}
    if target.id not in ids:
        case.subject_ids = sorted({*ids, target.id})
    return {
        "target_subject_id": target.id,
        "merged_subject_ids": [s.id for s in sources],
        "records_moved": moved,
    }


def _resolve_correct(
    session: Session,
    case: GovernanceCase,
    ids: list[int],
    target_subject_id: int | None,
    corrected_code: str | None,
) -> dict[str, Any]:
    if not corrected_code:
        raise InvalidInput(
            "A correction needs the corrected code",
            "更正需填写正确的代码",
            code="governance.corrected_code_required",
            field="corrected_code",
        )
    if target_subject_id is None:
        if len(ids) != 1:
            raise InvalidInput(
                "Several subjects in this case: say which one to correct (target_subject_id)",
                "该事项涉及多个主体，请指定要更正代码的主体",
                code="governance.target_required",
                field="target_subject_id",
            )
        target_subject_id = ids[0]
    if target_subject_id not in ids:
        raise InvalidInput(
            "The subject to correct is not part of this case",
            "要更正的主体不属于该治理事项",
            code="governance.target_not_in_case",
            field="target_subject_id",
            value=target_subject_id,
        )
    s = load_subject(session, target_subject_id)
    if s.kind == "natural_person" and s.id_number_hash and not s.uscc:
        ric = valid_ric(corrected_code)
        h = blind_index(ric)
        _refuse_code_in_use(session, s, Subject.id_number_hash == h, mask_id_number(ric))
        old, new = s.id_number_masked, mask_id_number(ric)
        s.id_number_enc, s.id_number_hash, s.id_number_masked = encrypt(ric), h, new
    else:
        code, mismatch = valid_uscc(corrected_code)
        if mismatch:
            raise InvalidInput(
                "The corrected code still fails the embedded organisation-code check",
                "更正后的代码内嵌组织机构代码校验仍不通过",
                code="governance.corrected_code_mismatch",
                field="corrected_code",
                value=code,
            )
        _refuse_code_in_use(session, s, Subject.uscc == code, code)
        old, new = s.uscc, code
        s.uscc = code
    session.flush()
    emit(
        session,
        "subject.corrected",
        subject_id=s.id,
        payload={"case_id": case.id, "old_code": old, "new_code": new},
    )
    return {"subject_id": s.id, "old_code": old, "new_code": new}


def _refuse_code_in_use(session: Session, s: Subject, condition: Any, shown: str) -> None:
    other = session.scalar(
        select(Subject.id).where(condition, Subject.id != s.id, Subject.merged_into_id.is_(None)).limit(1)
    )
    if other is not None:
        raise Conflict(
            "Another subject already holds the corrected code: merge instead",
            "更正后的代码已被其他主体使用，请改为合并处理",
            code="governance.code_in_use",
            field="corrected_code",
            value=shown,
            subject_id=other,
        )


# ---------------------------------------------------------------------------------------------
# Report


@lru_cache(maxsize=8)
def _load_rules(path: str, mtime: float) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping")
    return data


def error_rate_target(today: date | None = None) -> dict[str, Any] | None:
    """The 重错码率 target in force ``today`` from ``governance.yaml`` (None when not configured)."""
    path = Path(get_settings().ruleset_dir) / "governance.yaml"
    if not path.exists():
        return None
    entries = _load_rules(str(path), path.stat().st_mtime).get("error_rate_target") or []
    today = today or date.today()
    in_force = [
        e for e in entries if isinstance(e, dict) and date.fromisoformat(str(e["effective_from"])) <= today
    ]
    if not in_force:
        return None
    return max(in_force, key=lambda e: str(e["effective_from"]))


def open_error_codes(session: Session) -> set[str]:
    """The USCCs in open 错码/重码 cases (the numerator of the 重错码率; also read per department
    by ``xinyong.quality``)."""
    error_codes: set[str] = set()
    for case in session.scalars(
        select(GovernanceCase).where(GovernanceCase.status == "open", GovernanceCase.kind.in_(_ERROR_KINDS))
    ):
        if ":ric:" in case.key:
            continue  # ID numbers are not USCCs: outside the 重错码率
        if case.kind == "name_multiple_codes":
            error_codes.update((case.details or {}).get("codes", []))
        elif case.code:
            error_codes.add(case.code)
    return error_codes


def governance_report(session: Session, today: date | None = None) -> GovernanceReport:
    """Counts by kind and status, and the 错码率: codes in open 错码/重码 cases per 10,000 USCCs."""
    by_kind: dict[str, dict[str, int]] = {k: {s: 0 for s in CASE_STATUSES} for k in CASE_KINDS}
    for kind, status, n in session.execute(
        select(GovernanceCase.kind, GovernanceCase.status, func.count()).group_by(
            GovernanceCase.kind, GovernanceCase.status
        )
    ):
        by_kind.setdefault(kind, {}).setdefault(status, 0)
        by_kind[kind][status] = int(n)
    open_total = sum(v.get("open", 0) for v in by_kind.values())
    codes_total = int(
        session.scalar(
            select(func.count(func.distinct(Subject.uscc))).where(
                Subject.merged_into_id.is_(None), Subject.uscc.is_not(None)
            )
        )
        or 0
    )
    error_codes = open_error_codes(session)
    rate = len(error_codes) * 10_000 / codes_total if codes_total else 0.0
    target = error_rate_target(today)
    limit = float(target["max_per_10000"]) if target else None
    provisional_open = by_kind.get("provisional_subject", {}).get("open", 0)
    unmerged_provisional = int(
        session.scalar(
            select(func.count())
            .select_from(Subject)
            .where(Subject.provisional.is_(True), Subject.merged_into_id.is_(None))
        )
        or 0
    )
    names_total = int(session.scalar(select(func.count()).select_from(SubjectName)) or 0)
    return GovernanceReport(
        by_kind=by_kind,
        open_total=open_total,
        codes_total=codes_total,
        error_codes=len(error_codes),
        error_rate_per_10000=round(rate, 4),
        target_per_10000=limit,
        target_source=str(target["source"]) if target else None,
        meets_target=(rate < limit) if limit is not None else None,
        extra={
            "provisional_open_cases": provisional_open,
            "provisional_subjects": unmerged_provisional,
            "names_indexed": names_total,
        },
    )
