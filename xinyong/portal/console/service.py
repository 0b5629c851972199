"""The staff console's public face: what the console pages (``pages.py``) call, re-exported from
the modules that assemble each page area from the other domains' services."""

from __future__ import annotations

from xinyong.portal.console.approvals import approvals_view, approve
from xinyong.portal.console.dashboard import dashboard
from xinyong.portal.console.desk import Desk, desk_of
from xinyong.portal.console.evaluation import evaluation_view
from xinyong.portal.console.governance import governance_view, resolve_case
from xinyong.portal.console.measures import measures_view
from xinyong.portal.console.monitor import ingest_view, submission_view
from xinyong.portal.console.procedures import procedure_page, procedure_step
from xinyong.portal.console.quarantine import (
    VALUE_PREFIX,
    discard,
    form_values,
    quarantine_detail,
    quarantine_view,
    resubmit,
    resubmitted_links,
)
from xinyong.portal.console.rules import add_calendar_override, load_calendar_notice, rules_view
from xinyong.portal.console.upload import upload, upload_view

__all__ = [
    "VALUE_PREFIX",
    "Desk",
    "add_calendar_override",
    "approvals_view",
    "approve",
    "dashboard",
    "desk_of",
    "discard",
    "evaluation_view",
    "form_values",
    "governance_view",
    "ingest_view",
    "load_calendar_notice",
    "measures_view",
    "procedure_page",
    "procedure_step",
    "quarantine_detail",
    "quarantine_view",
    "resolve_case",
    "resubmit",
    "resubmitted_links",
    "rules_view",
    "submission_view",
    "upload",
    "upload_view",
]
