"""HTTP API of the evaluation domain (thin: it calls the service).

Who may call what is declared in ``xinyong/accounts/policy.py``; on top of that a subject
account sees only its own grade (checked here: the table cannot say "own").

A subject's grade, reasons, history and what-if are non-public: a regulator or credit office
caller names an allowed purpose (``X-Purpose`` header or ``purpose`` parameter; the subject
itself uses ``self_query`` implicitly), and every read leaves one query-log entry (who,
organisation, role, purpose, subject, the items returned). See docs/security.md."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.access.deps import file_read
from xinyong.access.service import Access, FileRead
from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden, NotFound
from xinyong.core.params import DB_ID_MAX, DbId
from xinyong.evaluation import service
from xinyong.evaluation.schemas import (
    Backtest,
    DraftIn,
    DraftPreview,
    HistoryEntry,
    ModelDetail,
    ModelInfo,
    RunIn,
    RunInfo,
    RunReport,
    SubjectResult,
    WhatIf,
)

router = APIRouter(prefix="/api/v1/evaluation", tags=["evaluation"])


def _access(read: FileRead, principal: Principal, subject_id: DbId) -> Access:
    """The caller's access to ``subject_id``'s evaluation: its own (a subject account), or the
    government view with an allowed purpose (``purpose.required`` / ``purpose.not_allowed``
    otherwise). An evaluation has no public view."""
    if principal.role == "subject" and principal.subject_id != subject_id:
        raise Forbidden(
            "A subject account sees only its own evaluation",
            "信用主体账号只能查看本主体的评价结果",
            code="evaluation.not_own_subject",
            subject_id=subject_id,
        )
    access = read.open(subject_id)
    if access.public:
        raise Forbidden(
            "A subject's evaluation is not public",
            "主体的公共信用综合评价结果不予公开",
            code="evaluation.not_public",
            subject_id=subject_id,
        )
    return access


@router.get("/subjects/{subject_id}", response_model=SubjectResult, summary="主体的评价等级及原因")
def subject_grade(
    subject_id: DbId,
    read: FileRead = Depends(file_read("evaluation.view"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> SubjectResult:
    """The subject's current grade, score, dimension scores and the reasons (veto, cap, the
    indicators that cost or gained most, each citing records and the rule)."""
    _access(read, principal, subject_id)
    out = service.explain(session, subject_id)
    read.returned(service.items_returned(session, out))
    return out


@router.get("/subjects/{subject_id}/history", response_model=list[HistoryEntry], summary="主体的评价历史")
def subject_history(
    subject_id: DbId,
    read: FileRead = Depends(file_read("evaluation.history"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> list[HistoryEntry]:
    _access(read, principal, subject_id)
    out = service.history(session, subject_id)
    read.returned(service.items_returned(session))
    return out


@router.get("/subjects/{subject_id}/whatif", response_model=WhatIf, summary="信用修复或公示期届满后的等级")
def subject_whatif(
    subject_id: DbId,
    read: FileRead = Depends(file_read("evaluation.whatif"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> WhatIf:
    """Which negative records, if repaired or expired, would change the grade, and the day each
    publicity window ends by itself."""
    _access(read, principal, subject_id)
    out = service.whatif(session, subject_id)
    read.returned(service.items_returned(session, out))
    return out


@router.get(
    "/subjects/{subject_id}/under/{model_id}", response_model=SubjectResult, summary="草稿模型下的等级"
)
def subject_under_model(
    subject_id: DbId,
    model_id: DbId,
    read: FileRead = Depends(file_read("evaluation.under_model"), scope="function"),
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> SubjectResult:
    """What the subject's grade would be under another stored model version (a draft), today."""
    _access(read, principal, subject_id)
    out = service.subject_under_model(session, subject_id, model_id)
    read.returned(service.items_returned(session, out))
    return out


@router.get("/models", response_model=list[ModelInfo], summary="已发布的评价模型")
def models(session: Session = Depends(get_session, scope="function")) -> list[ModelInfo]:
    """Published model versions (the rules are public: 评价规则公开)."""
    return service.list_models(session, status="published")


@router.get("/models/{model_id}", response_model=ModelDetail, summary="评价模型内容")
def model(model_id: DbId, session: Session = Depends(get_session, scope="function")) -> ModelDetail:
    detail = service.get_model(session, model_id)
    if detail.status != "published":
        raise NotFound(
            f"Evaluation model {model_id} not found",
            f"未找到评价模型 {model_id}",
            code="evaluation.model_not_found",
        )
    return detail


@router.get("/drafts", response_model=list[ModelInfo], summary="草稿模型")
def drafts(session: Session = Depends(get_session, scope="function")) -> list[ModelInfo]:
    return service.list_models(session, status="draft")


@router.post("/drafts", response_model=ModelInfo, status_code=201, summary="上传草稿模型")
def create_draft(
    body: DraftIn,
    session: Session = Depends(get_session, scope="function"),
    principal: Principal = Depends(current_principal),
) -> ModelInfo:
    """Validate and store a draft model (YAML text or JSON content)."""
    return service.create_draft(
        session, content=body.content, yaml_text=body.yaml, created_by=principal.label, note=body.note
    )


@router.get("/drafts/{model_id}", response_model=ModelDetail, summary="草稿模型内容")
def draft(model_id: DbId, session: Session = Depends(get_session, scope="function")) -> ModelDetail:
    return service.get_model(session, model_id)


@router.post("/drafts/{model_id}/preview", response_model=DraftPreview, summary="草稿模型试算")
def preview(
    model_id: DbId, body: RunIn | None = None, session: Session = Depends(get_session, scope="function")
) -> DraftPreview:
    """Evaluate every applicable subject under the draft without changing any grade."""
    body = body or RunIn()
    service.admit_run(session, f"draft:{model_id}", kinds=("draft",))
    return service.preview_draft(session, model_id, engine=body.engine, as_of=body.as_of)


@router.get("/runs", response_model=list[RunInfo], summary="评价批次")
def runs(
    kind: str | None = Query(None, description="batch | incremental | draft"),
    limit: int = Query(50, ge=1, le=500),
    session: Session = Depends(get_session, scope="function"),
) -> list[RunInfo]:
    return service.list_runs(session, kind=kind, limit=limit)


@router.post("/runs", response_model=list[RunInfo], status_code=201, summary="运行批量评价")
def run(
    body: RunIn | None = None, session: Session = Depends(get_session, scope="function")
) -> list[RunInfo]:
    """Evaluate the whole city with the models in force (one run per model)."""
    body = body or RunIn()
    service.admit_run(session, "batch", kinds=("batch",))
    return service.run_batch(session, engine=body.engine, as_of=body.as_of)


@router.get("/runs/{run_id}", response_model=RunReport, summary="评价批次报告")
def run_report(
    run_id: DbId,
    compare_to: int | None = Query(
        None, ge=1, le=DB_ID_MAX, description="another run: migration matrix and PSI"
    ),
    session: Session = Depends(get_session, scope="function"),
) -> RunReport:
    """Grade distribution against the target; with ``compare_to`` the migration matrix and the
    PSI of each dimension."""
    return service.run_report(session, run_id, compare_to)


@router.get("/backtest", response_model=Backtest, summary="回测（演示数据为合成数据）")
def backtest(
    model: str = Query("enterprise"),
    cutoff: date | None = Query(None),
    session: Session = Depends(get_session, scope="function"),
) -> Backtest:
    return service.backtest(session, model_code=model, cutoff=cutoff)
