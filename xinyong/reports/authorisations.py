"""A subject's authorisations of third parties (查询授权): who (a department, i.e. an
organisation's accounts, or one user), which reports (kinds, optionally one field), why, until
when. Granted and revoked by the subject itself (``/me/reports``, API); each grant and
revocation is in the ledger. A report issued under one names it in the register."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from xinyong.accounts.principal import Principal
from xinyong.core.clock import today_china
from xinyong.core.db import utcnow
from xinyong.core.errors import Forbidden, InvalidInput, NotFound
from xinyong.ledger import service as ledger
from xinyong.reports.models import ReportAuthorisation
from xinyong.reports.rules import KIND_NAMES_ZH, REPORT_KINDS

# The longest an authorisation may run (days): a subject renews it rather than giving it for good.
MAX_DAYS = 366


@dataclass(frozen=True)
class AuthorisationView:
    id: int
    grantee: str
    grantee_kind: str  # department | user
    kinds: list[str]
    kinds_zh: str
    field: str | None
    purpose_zh: str
    expires_on: date
    created_at: datetime
    revoked_at: datetime | None
    uses: int
    active: bool


def _view(row: ReportAuthorisation, today: date) -> AuthorisationView:
    names = "、".join(KIND_NAMES_ZH.get(k, k) for k in row.kinds)
    return AuthorisationView(
        id=row.id,
        grantee=row.grantee_department or row.grantee_username or "",
        grantee_kind="department" if row.grantee_department else "user",
        kinds=list(row.kinds),
        kinds_zh=f"{names}（{row.field}）" if row.field else names,
        field=row.field,
        purpose_zh=row.purpose_zh,
        expires_on=row.expires_on,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        uses=row.uses,
        active=row.revoked_at is None and row.expires_on >= today,
    )


def _own_subject(principal: Principal) -> int:
    if principal.role != "subject" or principal.subject_id is None:
        raise Forbidden(
            "Only the subject itself may authorise a third party",
            "只有信用主体本人可以授权第三方获取其信用报告",
            code="reports.not_subject",
        )
    return principal.subject_id


def grant(
    session: Session,
    principal: Principal,
    *,
    grantee_department: str | None = None,
    grantee_username: str | None = None,
    kinds: list[str],
    field: str | None = None,
    purpose_zh: str,
    expires_on: date,
    today: date | None = None,
) -> AuthorisationView:
    """The subject of ``principal`` authorises one department or one user."""
    subject_id = _own_subject(principal)
    today = today or today_china()
    department = (grantee_department or "").strip() or None
    username = (grantee_username or "").strip() or None
    if (department is None) == (username is None):
        raise InvalidInput(
            "Name either a department code or a username",
            "请填写被授权单位代码或被授权用户名（二选一）",
            code="reports.grantee_required",
            field="grantee",
        )
    bad = [k for k in kinds if k not in REPORT_KINDS]
    if not kinds or bad:
        raise InvalidInput(
            "Authorised report kinds must be public and/or special",
            "授权范围须为公共信用信息报告和/或专项信用报告",
            code="reports.bad_scope",
            field="kinds",
            value=bad or kinds,
            allowed=list(REPORT_KINDS),
        )
    if not purpose_zh.strip():
        raise InvalidInput(
            "State the purpose", "请填写授权用途（如 贷款审批、投标资格审查）", field="purpose_zh"
        )
    if not today <= expires_on or (expires_on - today).days > MAX_DAYS:
        raise InvalidInput(
            f"The authorisation must end between today and {MAX_DAYS} days from now",
            f"授权截止日期须在今天至 {MAX_DAYS} 天之内",
            code="reports.bad_expiry",
            field="expires_on",
            value=expires_on.isoformat(),
            rule=f"max {MAX_DAYS} days",
        )
    row = ReportAuthorisation(
        subject_id=subject_id,
        grantee_department=department,
        grantee_username=username,
        kinds=sorted(set(kinds)),
        field=(field or "").strip() or None,
        purpose_zh=purpose_zh.strip()[:200],
        expires_on=expires_on,
        created_by=principal.label[:120],
        uses=0,
    )
    session.add(row)
    session.flush()
    ledger.append(
        session,
        "report.authorisation_granted",
        f"report_authorisation:{row.id}",
        {
            "subject_id": subject_id,
            "grantee_department": department,
            "grantee_username": username,
            "kinds": row.kinds,
            "field": row.field,
            "purpose_zh": row.purpose_zh,
            "expires_on": expires_on.isoformat(),
            "by": row.created_by,
        },
    )
    return _view(row, today)


def revoke(session: Session, principal: Principal, authorisation_id: int) -> AuthorisationView:
    subject_id = _own_subject(principal)
    row = session.get(ReportAuthorisation, authorisation_id)
    if row is None or row.subject_id != subject_id:
        raise NotFound("No such authorisation", "未找到该授权", code="reports.authorisation_not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        ledger.append(
            session,
            "report.authorisation_revoked",
            f"report_authorisation:{row.id}",
            {
                "subject_id": subject_id,
                "by": principal.label,
                "at": row.revoked_at.astimezone(UTC).isoformat(),
            },
        )
        session.flush()
    return _view(row, today_china())


def list_for_subject(session: Session, subject_id: int) -> list[AuthorisationView]:
    today = today_china()
    rows = session.scalars(
        select(ReportAuthorisation)
        .where(ReportAuthorisation.subject_id == subject_id)
        .order_by(ReportAuthorisation.id.desc())
    )
    return [_view(r, today) for r in rows]


def active_for(
    session: Session, principal: Principal, subject_id: int, kind: str, field: str | None, today: date
) -> ReportAuthorisation | None:
    """The subject's authorisation in force covering ``principal`` for this report, if any."""
    who = []
    if principal.department_code:
        who.append(ReportAuthorisation.grantee_department == principal.department_code)
    if principal.username and principal.kind == "user":
        who.append(ReportAuthorisation.grantee_username == principal.username)
    if not who:
        return None
    rows = session.scalars(
        select(ReportAuthorisation)
        .where(
            ReportAuthorisation.subject_id == subject_id,
            ReportAuthorisation.revoked_at.is_(None),
            ReportAuthorisation.expires_on >= today,
            or_(*who),
        )
        .order_by(ReportAuthorisation.id.desc())
    )
    for row in rows:
        if kind in row.kinds and (row.field is None or field is None or row.field == field):
            if kind == "special" and row.field is not None and field != row.field:
                continue
            return row
    return None


def count_use(session: Session, authorisation_id: int) -> None:
    row = session.get(ReportAuthorisation, authorisation_id)
    if row is not None:
        row.uses = (row.uses or 0) + 1
