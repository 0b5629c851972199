"""Measures service: the public face of the measures domain (联合奖惩).

Other domains, the portal and the tests import the domain's functions from here; the work is
done in modules named for what they do (they import each other directly, never this module):

- ``catalog_reads``: the published measure catalog (``catalog.py`` loads and validates it);
- ``checks``: checks (查询式 / 嵌入式) with signed receipts, batch checks, the feedback deadline;
- ``conditions``: the measure conditions applied to a subject's facts;
- ``subject_file``: the subject codes of an uploaded batch-check file;
- ``check_reads``: the check log read back, check receipts verified;
- ``feedback``: feedback reports, typical cases, statistics;
- ``caller``: who asks, as plain values;
- ``push`` (触发式 push), ``checklog`` (the check log's group commit), ``receipts`` (signing).

A check reads the subject's credit state row (grade, list memberships, counts of in-force
records) through ``creditstate.service.check_states`` and, only when the counts say a record
condition can hold, the in-force records it points to; it never recomputes a grade or a list
membership.
"""

from __future__ import annotations

from xinyong.measures.caller import STAFF_ROLES, Caller
from xinyong.measures.catalog_reads import catalog_version, get_measure, list_matters, list_measures
from xinyong.measures.check_reads import get_check, list_checks, verify_receipt
from xinyong.measures.checks import (
    MAX_BATCH,
    Due,
    LogWriter,
    answer_digest,
    answer_json,
    check,
    check_fast,
    check_many,
    feedback_due,
)
from xinyong.measures.conditions import list_entries
from xinyong.measures.feedback import (
    feedback_stats,
    list_feedback,
    mark_typical,
    report_feedback,
    typical_cases,
)
from xinyong.measures.subject_file import CODE_HEADERS, parse_subject_file

__all__ = [
    "CODE_HEADERS",
    "MAX_BATCH",
    "STAFF_ROLES",
    "Caller",
    "Due",
    "LogWriter",
    "answer_digest",
    "answer_json",
    "catalog_version",
    "check",
    "check_fast",
    "check_many",
    "feedback_due",
    "feedback_stats",
    "get_check",
    "get_measure",
    "list_checks",
    "list_entries",
    "list_feedback",
    "list_matters",
    "list_measures",
    "mark_typical",
    "parse_subject_file",
    "report_feedback",
    "typical_cases",
    "verify_receipt",
]
