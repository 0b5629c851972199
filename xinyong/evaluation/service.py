"""Evaluation service: the package's public face (model versions, batch and incremental
evaluation, grades, explanations, what-if, monitoring).

Callers outside the package import this module (``from xinyong.evaluation import service``);
the code lives in the modules named for what they do: ``versions.py`` (model files, sync,
drafts), ``run.py`` (batch and incremental runs, the outbox consumer, the credit state
writes), ``reading.py`` (explain, history, runs, reproduce), ``whatif.py`` (what-if, draft
previews, items returned) and ``monitoring.py`` (distributions, PSI, reports, backtests).
"""

from __future__ import annotations

from xinyong.evaluation.limits import admit_run, reset_admissions
from xinyong.evaluation.monitoring import auc_ks, backtest, grade_counts, psi, results_table, run_report
from xinyong.evaluation.reading import explain, get_run, history, list_runs, reproduce
from xinyong.evaluation.run import (
    CONSUMER,
    GRADE_CHANGED,
    compiled_for,
    evaluate_subjects,
    process_events,
    run_batch,
)
from xinyong.evaluation.versions import (
    create_draft,
    get_model,
    get_model_files,
    list_models,
    load_model_files,
    models_dir,
    models_in_force,
    public_grade_name,
    reset_model_files_cache,
    sync_models,
)
from xinyong.evaluation.whatif import items_returned, preview_draft, subject_under_model, whatif

__all__ = [
    "CONSUMER",
    "GRADE_CHANGED",
    "admit_run",
    "auc_ks",
    "backtest",
    "compiled_for",
    "create_draft",
    "evaluate_subjects",
    "explain",
    "get_model",
    "get_model_files",
    "get_run",
    "grade_counts",
    "history",
    "items_returned",
    "list_models",
    "list_runs",
    "load_model_files",
    "models_dir",
    "models_in_force",
    "preview_draft",
    "process_events",
    "psi",
    "public_grade_name",
    "reproduce",
    "reset_admissions",
    "reset_model_files_cache",
    "results_table",
    "run_batch",
    "run_report",
    "subject_under_model",
    "sync_models",
    "whatif",
]
