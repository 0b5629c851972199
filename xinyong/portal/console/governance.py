"""重错码 governance: the cases and their resolution (from ``subjects.service``)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from xinyong.core.errors import Forbidden, NotFound
from xinyong.core.params import db_id
from xinyong.portal.console.desk import PER_PAGE, Desk
from xinyong.portal.service import Option, Pager
from xinyong.subjects import service as subjects_service
from xinyong.subjects.common import CASE_KINDS, RESOLUTIONS, CasePage, GovernanceReport


@dataclass
class GovernanceView:
    cases: CasePage
    pager: Pager
    status: str
    kind: str
    kinds: tuple[str, ...]
    resolutions: tuple[str, ...]
    report: GovernanceReport
    targets: dict[int, list[Option]]  # case id → subjects a merge may keep / a correction may fix


def governance_view(
    session: Session, *, status: str = "open", kind: str = "", page: int = 1
) -> GovernanceView:
    status = status if status in ("open", "resolved", "all") else "open"
    kind = kind if kind in CASE_KINDS else ""
    cases = subjects_service.list_cases(
        session,
        status=None if status == "all" else status,
        kind=kind or None,
        page=max(page, 1),
        per_page=PER_PAGE,
    )
    targets: dict[int, list[Option]] = {}
    for case in cases.items:
        ids = list(case.subject_ids)
        candidates = case.details.get("candidates") if isinstance(case.details, dict) else None
        ids += [c for c in candidates or [] if isinstance(c, int) and c not in ids]
        options = []
        for sid in ids:
            try:
                s = subjects_service.get_subject(session, sid)
            except NotFound:
                continue
            if s.merged_into_id is None:
                options.append(Option(str(s.id), f"{s.name}（{s.uscc or s.id_number_masked or s.id}）"))
        targets[case.id] = options
    return GovernanceView(
        targets=targets,
        cases=cases,
        pager=Pager.of(cases.total, cases.page, PER_PAGE),
        status=status,
        kind=kind,
        kinds=CASE_KINDS,
        resolutions=RESOLUTIONS,
        report=subjects_service.governance_report(session),
    )


def resolve_case(
    session: Session,
    desk: Desk,
    case_id: int,
    *,
    resolution: str,
    note: str,
    target_subject_id: str,
    corrected_code: str,
) -> None:
    """Decide a 重错码 case (the subjects service applies it and keeps who decided)."""
    if not desk.is_staff:
        raise Forbidden(
            "Only the credit office resolves cases", "重错码事项由信用办处理", code="console.staff_only"
        )
    target = db_id(target_subject_id.strip())
    subjects_service.resolve_case(
        session,
        case_id,
        resolution,
        by=desk.label,
        note=note.strip(),
        target_subject_id=target,
        corrected_code=corrected_code.strip() or None,
    )
