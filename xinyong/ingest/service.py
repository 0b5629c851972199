"""Ingest service (归集): providers, submissions by API and file, quarantine, timeliness, metrics.

The package's public face: other domains, the API, the CLI and the tests import ``service`` and use
``service.name``. The code lives in modules named for what they do; this module only re-exports.

A submission of up to one batch (1,000 rows) commits in ONE transaction: its Submission row,
every per-row result, every quarantined row and every record version. A bigger one is staged
(copied to ``var/ingest-staging``), read through once, then applied batch by batch, each batch
its own short transaction, with the status ``applying`` and the outbox held, so nothing derived
from it shows until its final commit; ``recover`` finishes one a crash interrupted. Re-sending
the same rows is a no-op (records answer ``unchanged``). After the commit the outbox is processed
so each subject's credit state is current.
"""

from __future__ import annotations

# Providers (departments that submit, their items and keys) are accounts' since issue 14; ingest's
# face names them too, for the callers that register a provider in order to submit.
from xinyong.accounts.service import (
    ProviderInfo,
    authenticate,
    create_provider,
    get_provider,
    list_providers,
    rotate_key,
    set_active,
    set_items,
    set_requires_approval,
)
from xinyong.core.clock import CHINA_TZ
from xinyong.ingest.approval import (
    ApprovalResult,
    PendingSubmission,
    approve_submission,
    pending_submissions,
)
from xinyong.ingest.metrics import (
    item_metrics,
    provider_metrics,
)
from xinyong.ingest.quality_facts import SubmissionFacts, submission_facts
from xinyong.ingest.quarantine import (
    correct_and_resubmit,
    discard,
    get_quarantine,
    list_quarantine,
)
from xinyong.ingest.recovery import applying, recover
from xinyong.ingest.rows import (
    ProgressCallback,
    late_warning,
)
from xinyong.ingest.submission import (
    ACCEPTED,
    CHANNELS,
    get_submission,
    list_submission_rows,
    list_submissions,
    submit,
    submit_file,
)
from xinyong.ingest.views import (
    ItemMetrics,
    Page,
    ProviderMetrics,
    QuarantineInfo,
    RowResult,
    SubmissionResult,
)

__all__ = [
    "ACCEPTED",
    "CHANNELS",
    "CHINA_TZ",
    "ApprovalResult",
    "ItemMetrics",
    "Page",
    "PendingSubmission",
    "ProgressCallback",
    "ProviderInfo",
    "ProviderMetrics",
    "QuarantineInfo",
    "RowResult",
    "SubmissionFacts",
    "SubmissionResult",
    "applying",
    "approve_submission",
    "authenticate",
    "correct_and_resubmit",
    "create_provider",
    "discard",
    "get_provider",
    "get_quarantine",
    "get_submission",
    "item_metrics",
    "late_warning",
    "list_providers",
    "list_quarantine",
    "list_submission_rows",
    "list_submissions",
    "pending_submissions",
    "provider_metrics",
    "recover",
    "rotate_key",
    "set_active",
    "set_items",
    "set_requires_approval",
    "submission_facts",
    "submit",
    "submit_file",
]
