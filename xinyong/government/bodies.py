"""Public bodies (机关、事业单位) among the subjects: USCCs registered by the 机构编制 authority
(first character 1) with entity type 1 (机关) or 2 (事业单位), GB 32100-2015 表1; and the
register of their superiors and departments."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.errors import InvalidInput
from xinyong.government.models import GovernmentBody
from xinyong.ledger import service as ledger
from xinyong.subjects import service as subjects_service

BODY_TYPES = {"1": "机关", "2": "事业单位"}


def body_type(uscc: str | None) -> str | None:
    """机关 / 事业单位 from a USCC (None: not a public body)."""
    if not uscc or len(uscc) != 18 or uscc[0] != "1":
        return None
    return BODY_TYPES.get(uscc[1])


@dataclass
class BodyInfo:
    subject_id: int
    code: str
    name: str
    body_type: str
    division_code: str | None
    department_code: str | None
    superior_name: str
    superior_department_code: str | None


def register_body(
    session: Session,
    code: str,
    *,
    superior_name: str,
    superior_department_code: str | None = None,
    department_code: str | None = None,
    by: str = "",
) -> BodyInfo:
    """Register (or update) a public body and its superior; a ledger entry records it. The caller
    commits."""
    subject = subjects_service.get_by_code(session, code)
    kind = body_type(subject.uscc)
    if kind is None:
        raise InvalidInput(
            "Only 机关 and 事业单位 (USCC starting 11 or 12) are public bodies",
            "只有机关、事业单位（统一社会信用代码以 11 或 12 开头）可以登记为政务诚信主体",
            code="government.not_a_body",
            field="code",
            value=code,
            rule="GB 32100-2015 表1：登记管理部门代码 1（机构编制），机构类别 1 机关、2 事业单位",
        )
    if not superior_name.strip():
        raise InvalidInput(
            "superior_name is required",
            "上级主管单位名称不能为空",
            code="government.no_superior",
            field="superior_name",
        )
    row = session.get(GovernmentBody, subject.id)
    if row is None:
        row = GovernmentBody(subject_id=subject.id)
        session.add(row)
    row.body_type = kind
    row.superior_name = superior_name.strip()[:200]
    row.superior_department_code = superior_department_code or None
    row.department_code = department_code or None
    session.flush()
    ledger.append(
        session,
        "government.body_registered",
        f"subject:{subject.id}",
        {
            "body_type": kind,
            "superior_name": row.superior_name,
            "superior_department_code": row.superior_department_code,
            "department_code": row.department_code,
            "by": by,
        },
    )
    return _info(session, row)


def _info(session: Session, row: GovernmentBody) -> BodyInfo:
    s = subjects_service.get_subject(session, row.subject_id)
    return BodyInfo(
        subject_id=row.subject_id,
        code=s.uscc or "",
        name=s.name,
        body_type=row.body_type,
        division_code=s.division_code,
        department_code=row.department_code,
        superior_name=row.superior_name,
        superior_department_code=row.superior_department_code,
    )


def get_body(session: Session, subject_id: int) -> BodyInfo | None:
    row = session.get(GovernmentBody, subject_id)
    return None if row is None else _info(session, row)


def list_bodies(session: Session) -> list[BodyInfo]:
    rows = session.scalars(select(GovernmentBody).order_by(GovernmentBody.subject_id))
    return [_info(session, r) for r in rows]
