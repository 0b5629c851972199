"""Reports service: what other modules (API, CLI, portal, demo) import.

``issue_report`` (who may get which report, the signed PDF, the register, the query log, the
ledger), ``verify_number`` / ``verify_file`` (验真), the register (``list_reports``,
``report_pdf``), authorisations (``grant`` …) and report uses (``record_use`` …). The work is in
the modules named for what they do; see docs/reports.md.
"""

from __future__ import annotations

from xinyong.reports.authorisations import AuthorisationView, grant, list_for_subject, revoke
from xinyong.reports.content import (
    SECTION_SOURCES,
    Entry,
    ReportContent,
    SectionContent,
    register_section_source,
)
from xinyong.reports.issue import (
    WINDOW_ROLES,
    IssuedReport,
    assemble,
    find_subject,
    free_reports_left,
    issue_report,
    kind_name,
    render_signed,
)
from xinyong.reports.register import (
    CHANNEL_ZH,
    RegisterPage,
    RegisterRow,
    get_report,
    list_reports,
    may_download,
    report_pdf,
)
from xinyong.reports.rules import (
    KIND_NAMES_ZH,
    REPORT_KINDS,
    Rules,
    get_reports_rules,
    reset_reports_rules_cache,
)
from xinyong.reports.signing import certificate_pem, check_signature
from xinyong.reports.uses import UseView, matters, record_use, use_counts, uses_of
from xinyong.reports.verify import STATUS_ZH, Verification, verify_file, verify_number

__all__ = [
    "CHANNEL_ZH",
    "KIND_NAMES_ZH",
    "REPORT_KINDS",
    "SECTION_SOURCES",
    "STATUS_ZH",
    "WINDOW_ROLES",
    "AuthorisationView",
    "Entry",
    "IssuedReport",
    "RegisterPage",
    "RegisterRow",
    "ReportContent",
    "Rules",
    "SectionContent",
    "UseView",
    "Verification",
    "assemble",
    "certificate_pem",
    "check_signature",
    "find_subject",
    "free_reports_left",
    "get_report",
    "get_reports_rules",
    "grant",
    "issue_report",
    "kind_name",
    "list_for_subject",
    "list_reports",
    "matters",
    "may_download",
    "record_use",
    "register_section_source",
    "render_signed",
    "report_pdf",
    "reset_reports_rules_cache",
    "revoke",
    "use_counts",
    "uses_of",
    "verify_file",
    "verify_number",
]
