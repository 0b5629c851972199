"""Lists service. CONTRACT: other domains (measures, portal, demo) rely on these names and shapes.

A listing is decided through a **procedure**, a state machine whose every step is dated and
whose deadlines are working days (``xinyong.core.calendar``)::

    proposed ─notice→ noticed ─statement→ heard ─decide→ listed ─publish→ published ─exit→ exited
        │                 │ (statement period over) ─decide→ listed / dismissed
        └─ decide (list types without notice) ─→ listed / dismissed
    proposed / noticed / heard ─withdraw→ withdrawn
    listed / published: interview (提示 / 警示约谈, new rectification deadline), rectification

Every transition appends a step (history, never deleted), writes an outbox event
(``list.proposed``, ``list.noticed``, ``list.statement_filed``, ``list.entered``,
``list.dismissed``, ``list.published``, ``list.interviewed``, ``list.rectified``,
``list.exited``, ``list.withdrawn``) and a ledger entry in the caller's transaction. An invalid
transition raises ``Conflict`` (code ``lists.invalid_transition``) naming the state.

The outbox consumer ``lists`` (:func:`process_events`) proposes automatically from the list
types' criteria (record events, grade changes), ends listings whose basis record was withdrawn,
and re-derives the list memberships on each named subject's credit state row
(``credit_states.lists``, written only here through ``creditstate.service.set_list_memberships``).
The daily :func:`tick` ends listings at the end of their period, proposes escalations
(经营异常名录 for 3 years → 严重违法企业名单) and fills deadlines the calendar could not compute
before.

Shape of ``credit_states.lists`` (a JSON list; empty or NULL when none)::

    {"list_type": "blacklist", "kind": "black", "name_zh": "严重失信主体名单", "procedure_id": 7,
     "status": "published", "published": true, "starts_on": "2026-03-02", "ends_on": "2029-03-01",
     "department_code": "TZ-SCJG", "decision_document": "台市监信决〔2026〕3号"}
    {"liability": "blacklist", "kind": "black", "name_zh": "严重失信主体名单", "procedure_id": 7,
     "for_subject_id": 12, "role": "legal_representative", "restricted_until": null}

The first kind is a membership of the subject itself; the second says the subject (a natural
person) is recorded as liable for an organisation's listing (浙江条例第二十七条).
"""

from xinyong.core.clock import today_china
from xinyong.lists.common import (
    ACTION_ZH,
    INTERVIEW_ZH,
    MEMBERSHIPS_CHANGED,
    SYSTEM,
    Actor,
    get_list_type,
    list_types,
)
from xinyong.lists.consumer import (
    process_events,
    settle,
)
from xinyong.lists.listing import (
    exit_list,
    publish,
    record_interview,
    record_rectification,
    withdraw,
)
from xinyong.lists.procedure import (
    decide,
    file_statement,
    notice,
    propose,
)
from xinyong.lists.queries import (
    announcement,
    announcements,
    count_procedures,
    get_procedure,
    list_procedures,
    memberships,
    procedure_exists,
    procedure_list_type,
    procedure_status_counts,
    procedure_subject_ids,
    public_counts,
    public_members,
    queue,
    subject_procedures,
    subject_public_memberships,
)
from xinyong.lists.tick import (
    tick,
)

__all__ = [
    "ACTION_ZH",
    "INTERVIEW_ZH",
    "MEMBERSHIPS_CHANGED",
    "SYSTEM",
    "Actor",
    "announcement",
    "announcements",
    "count_procedures",
    "decide",
    "exit_list",
    "file_statement",
    "get_list_type",
    "get_procedure",
    "list_procedures",
    "list_types",
    "memberships",
    "notice",
    "procedure_exists",
    "procedure_list_type",
    "procedure_status_counts",
    "procedure_subject_ids",
    "process_events",
    "propose",
    "public_counts",
    "public_members",
    "publish",
    "queue",
    "record_interview",
    "record_rectification",
    "settle",
    "subject_procedures",
    "subject_public_memberships",
    "tick",
    "today_china",
    "withdraw",
]
