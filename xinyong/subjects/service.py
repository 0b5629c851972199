"""Subjects service. CONTRACT: other domains rely on these names and shapes.

Subjects (信用主体), their names and relations, search, and 重错码 governance. This module is what
other domains import (``from xinyong.subjects import service as subjects_service``); the work is
in the modules named for what they do, re-exported here.

Identity: legal persons and other organisations by USCC, natural persons by ID number (Shenzhen
2023 §24). ID numbers are stored only as ciphertext + keyed blind index + masked form.
"""

from __future__ import annotations

from xinyong.subjects.common import (
    CasePage,
    CaseView,
    GovernanceReport,
    RelationView,
    SearchItem,
    SearchPage,
    SubjectBrief,
    SubjectView,
)
from xinyong.subjects.disclosure import (
    public_brief,
    public_person_name,
    public_relations,
    public_search_page,
    public_subject_view,
    reencrypt_id_numbers,
    reveal_id_number,
)
from xinyong.subjects.governance import (
    detect_cases,
    get_case,
    governance_report,
    list_cases,
    open_error_codes,
    register_record_mover,
    resolve_case,
)
from xinyong.subjects.kinds import kind_from_category
from xinyong.subjects.lookup import (
    EvaluationSubject,
    brief_by_code,
    brief_by_code_fast,
    briefs,
    evaluation_subjects,
    find_by_code,
    get_brief_by_code,
    get_by_code,
    get_subject,
    ids_of_kind,
    subject_not_found,
)
from xinyong.subjects.models import RELATION_ROLES, SUBJECT_KINDS
from xinyong.subjects.register import create_subject, create_subjects, rename_subject
from xinyong.subjects.register_updates import (
    add_former_name,
    apply_register_entry,
    apply_register_relation,
    industry_section,
)
from xinyong.subjects.relations import add_relation, list_relations
from xinyong.subjects.resolve import ResolvedSubject, resolve_subject
from xinyong.subjects.resolve_batch import SubjectRef, resolve_subjects
from xinyong.subjects.search import search

__all__ = [
    "RELATION_ROLES",
    "SUBJECT_KINDS",
    "CasePage",
    "CaseView",
    "EvaluationSubject",
    "GovernanceReport",
    "RelationView",
    "ResolvedSubject",
    "SearchItem",
    "SearchPage",
    "SubjectBrief",
    "SubjectRef",
    "SubjectView",
    "add_former_name",
    "add_relation",
    "apply_register_entry",
    "apply_register_relation",
    "brief_by_code",
    "brief_by_code_fast",
    "briefs",
    "create_subject",
    "create_subjects",
    "detect_cases",
    "evaluation_subjects",
    "find_by_code",
    "get_brief_by_code",
    "get_by_code",
    "get_case",
    "get_subject",
    "governance_report",
    "ids_of_kind",
    "industry_section",
    "kind_from_category",
    "list_cases",
    "list_relations",
    "open_error_codes",
    "public_brief",
    "public_person_name",
    "public_relations",
    "public_search_page",
    "public_subject_view",
    "reencrypt_id_numbers",
    "register_record_mover",
    "rename_subject",
    "resolve_case",
    "resolve_subject",
    "resolve_subjects",
    "reveal_id_number",
    "search",
    "subject_not_found",
]
