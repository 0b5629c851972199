"""What a subject page shows beyond the records of its first sections: the record sections of
the rest of the public file (court lists, commitments, honours, sector ratings, verified
self-declarations), the subject's entries on the published lists with their basis and dates, the
grade where the evaluation model makes it public, and the 经核实 mark of verified
self-declarations (the 异议中 / 已修复 marks come from the objections and repairs services, in
``portal.service.subject_page``). Everything comes from the domains' services and the credit
state row; nothing is recomputed here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from xinyong.creditstate import service as creditstate_service
from xinyong.evaluation import service as evaluation_service
from xinyong.lists import service as lists_service
from xinyong.lists.schemas import PublicMember
from xinyong.portal.strings import t

# Record sections after 行政许可 / 行政处罚, each the catalog items it shows (their categories
# come from the catalog). Self-declarations are public only once verified (经核实).
FILE_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("court_lists", ("dishonest_judgment_debtor",)),
    ("commitments", ("credit_commitment",)),
    ("honours", ("honour",)),
    ("ratings", ("sector_rating",)),
    ("declarations", ("self_declaration",)),
)
DECLARATION_ITEM = "self_declaration"
VERIFICATION_FIELD = "verification_status"
VERIFIED = "verified"


@dataclass
class MembershipRow:
    """One entry of the subject on a published list, as its public page shows it."""

    member: PublicMember
    announcement_href: str


@dataclass
class PublicGrade:
    grade: str
    name_zh: str
    evaluated_at: datetime | None


def memberships(session: Session, subject_id: int) -> list[MembershipRow]:
    return [
        MembershipRow(m, f"/lists/announcements/{m.procedure_id}")
        for m in lists_service.subject_public_memberships(session, subject_id)
    ]


def public_grade(session: Session, subject_id: int) -> PublicGrade | None:
    """The grade the credit state holds, only where the model that gave it makes it public."""
    state = creditstate_service.subject_summary(session, subject_id)
    name = evaluation_service.public_grade_name(session, state.model_code, state.model_version, state.grade)
    if name is None or state.grade is None:
        return None
    return PublicGrade(state.grade, name, state.evaluated_at)


def verified_mark() -> str:
    return t("mark.verified")
