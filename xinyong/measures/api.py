"""HTTP API of the measures domain (thin: it calls the services). Access rules per route are in
``xinyong/accounts/policy.py``; the handlers pass the caller's plain values to the services."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal, principal_of
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_db, get_session
from xinyong.core.errors import TooLarge
from xinyong.core.params import DbId, Offset
from xinyong.core.settings import get_settings
from xinyong.measures import catalog_reads, check_reads, checklog, feedback, push, subject_file
from xinyong.measures.caller import Caller
from xinyong.measures.checks import answer_json, check_fast, check_many
from xinyong.measures.schemas import (
    BatchAnswer,
    BatchCheckRequest,
    CaseOut,
    CatalogOut,
    CheckAnswer,
    CheckPage,
    CheckRequest,
    DeliveryOut,
    DeliveryPage,
    FeedbackOut,
    FeedbackRequest,
    FeedbackStats,
    MatterOut,
    MeasureOut,
    SubscriptionOut,
    SubscriptionRequest,
    TypicalCaseRequest,
    VerifyRequest,
    VerifyResult,
)

router = APIRouter(prefix="/api/v1", tags=["measures"])


def caller_of(principal: Principal) -> Caller:
    """The caller as plain values: its label, role and department (a provider's department is
    its provider code when no accounts department is linked)."""
    return Caller(
        label=principal.label,
        role=principal.role,
        department_code=principal.department_code or principal.provider_code,
        principal=principal,
    )


# --- catalog (public: only published measures may be applied) --------------------------------


@router.get("/measures", response_model=CatalogOut, summary="联合奖惩措施清单")
def measures(
    kind: str | None = Query(
        None, pattern="^(reward|punishment)$", description="reward 激励 / punishment 惩戒"
    ),
    matter: str | None = Query(None, description="只看适用于该事项的措施"),
) -> CatalogOut:
    return CatalogOut(
        version=catalog_reads.catalog_version(),
        measures=catalog_reads.list_measures(kind=kind, matter=matter),
    )


@router.get("/measures/matters", response_model=list[MatterOut], summary="核查事项")
def matters() -> list[MatterOut]:
    return catalog_reads.list_matters()


@router.get("/measures/cases", response_model=list[CaseOut], summary="联合奖惩典型案例")
def cases(
    limit: int = Query(100, ge=1, le=500), session: Session = Depends(get_session, scope="function")
) -> list[CaseOut]:
    return feedback.typical_cases(session, limit=limit)


@router.get("/measures/{code}", response_model=MeasureOut, summary="一项措施")
def measure(code: str) -> MeasureOut:
    return catalog_reads.get_measure(code)


# --- checks ------------------------------------------------------------------------------


@router.post(
    "/checks",
    summary="联合奖惩核查（查询式、嵌入式）",
    response_model=CheckAnswer,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": CheckRequest.model_json_schema()}},
        }
    },
)
async def check(request: Request) -> Response:
    """Which rewards and punishments apply to the subject for the matter, why (list entries,
    records, grade), on which legal basis, until when; with a signed receipt. Logged.

    The body is a ``CheckRequest``, validated here rather than by FastAPI's body machinery: this
    is the call every other system makes before it acts, and that machinery (plus building and
    re-serialising the answer model) cost more than the check itself."""
    req = _check_request(await request.body())
    principal = principal_of(request)
    db = get_db(request)
    # The hot path of embedded checks (嵌入式) runs on the event loop: its reads are two indexed
    # lookups on a kept-open connection (tens of microseconds), cheaper than a hand-off to a
    # worker thread, which under load waits for the GIL. The log rows are group-committed on the
    # loop, and the answer leaves only after they are committed.
    answer, rows, query_rows = check_fast(
        db,
        subject_code=req.subject,
        matter_code=req.matter,
        purpose=req.purpose,
        caller=caller_of(principal),
    )
    await checklog.async_log_for(db).write(rows, query_rows)
    return Response(answer_json(answer), media_type="application/json")


def _check_request(body: bytes) -> CheckRequest:
    """The body as a ``CheckRequest``; errors in the same shape as FastAPI's body validation."""
    try:
        return CheckRequest.model_validate_json(body)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors, body=body) from None


@router.post("/checks/batch", response_model=BatchAnswer, summary="批量核查（JSON）")
def check_batch(
    req: BatchCheckRequest,
    request: Request,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> BatchAnswer:
    return check_many(
        session,
        subject_codes=req.subjects,
        matter_code=req.matter,
        purpose=req.purpose,
        caller=caller_of(principal),
        log=checklog.writer_for(get_db(request)).write,
    )


@router.post("/checks/batch/file", response_model=BatchAnswer, summary="批量核查（上传 CSV / XLSX）")
def check_batch_file(
    request: Request,
    file: UploadFile = File(
        ..., description="CSV（UTF-8 或 GBK）或 XLSX；一列“统一社会信用代码”或“证件号码”"
    ),
    matter: str = Form(..., max_length=64),
    purpose: str | None = Form(None, max_length=64, description="查询用途代码（见 /api/v1/purposes）"),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> BatchAnswer:
    limit = get_settings().max_upload_bytes
    content = file.file.read(limit + 1)
    if len(content) > limit:
        raise TooLarge("The file is too large", "文件过大", code="measures.file_too_large", limit=limit)
    codes = subject_file.parse_subject_file(file.filename or "", content)
    return check_many(
        session,
        subject_codes=codes,
        matter_code=matter,
        purpose=purpose,
        caller=caller_of(principal),
        log=checklog.writer_for(get_db(request)).write,
    )


@router.post("/checks/verify", response_model=VerifyResult, summary="核查回执验真")
def verify(req: VerifyRequest, session: Session = Depends(get_session, scope="function")) -> VerifyResult:
    """Anyone may check a receipt: its Ed25519 signature (public key at /api/v1/ledger/public-key)
    and, if the answer is given, that its measures match ``answer_sha256``."""
    return check_reads.verify_receipt(session, req.receipt, req.answer)


@router.get("/checks", response_model=CheckPage, summary="核查记录（本部门；信用办可看全部）")
def checks(
    overdue: bool = Query(False, description="只看逾期未反馈的核查"),
    department: str | None = Query(None, description="信用办：只看某部门"),
    limit: int = Query(100, ge=1, le=500),
    offset: Offset = 0,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> CheckPage:
    return check_reads.list_checks(
        session,
        caller_of(principal),
        overdue_only=overdue,
        department_code=department,
        limit=limit,
        offset=offset,
    )


@router.get("/checks/{check_id}", summary="一次核查（回执与措施）")
def get_check(
    check_id: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> dict[str, Any]:
    return check_reads.get_check(session, check_id, caller_of(principal))


# --- feedback ----------------------------------------------------------------------------


@router.post("/feedback", response_model=FeedbackOut, status_code=201, summary="反馈奖惩措施实施情况")
def report_feedback(
    req: FeedbackRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> FeedbackOut:
    return feedback.report_feedback(session, req, caller_of(principal))


@router.get("/feedback", response_model=list[FeedbackOut], summary="反馈记录")
def list_feedback(
    measure: str | None = Query(None),
    typical: bool | None = Query(None),
    limit: int = Query(100, ge=1, le=500),
    offset: Offset = 0,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> list[FeedbackOut]:
    return feedback.list_feedback(
        session, caller_of(principal), measure=measure, typical=typical, limit=limit, offset=offset
    )


@router.get("/feedback/stats", response_model=FeedbackStats, summary="反馈统计（按部门、按措施）")
def feedback_stats(
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> FeedbackStats:
    return feedback.feedback_stats(session, caller_of(principal))


@router.post("/feedback/{feedback_id}/typical", response_model=FeedbackOut, summary="标记为典型案例")
def mark_typical(
    feedback_id: DbId,
    req: TypicalCaseRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> FeedbackOut:
    return feedback.mark_typical(session, feedback_id, req.text, caller_of(principal))


# --- push subscriptions --------------------------------------------------------------------


@router.post(
    "/subscriptions", response_model=SubscriptionOut, status_code=201, summary="登记推送订阅（触发式）"
)
def create_subscription(
    req: SubscriptionRequest,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> SubscriptionOut:
    """The response carries the signing secret (``whsec_…``) ONCE: keep it to verify deliveries."""
    caller = caller_of(principal)
    return push.create_subscription(
        session,
        department_code=caller.department_code or "",
        name=req.name,
        url=req.url,
        events=req.events,
        lists=req.lists,
        items=req.items,
        grades=req.grades,
        by=caller.label,
    )


@router.get("/subscriptions", response_model=list[SubscriptionOut], summary="本部门的推送订阅")
def subscriptions(
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> list[SubscriptionOut]:
    return push.list_subscriptions(session, caller_of(principal))


@router.get("/subscriptions/{subscription_id}", response_model=SubscriptionOut, summary="一个推送订阅")
def subscription(
    subscription_id: DbId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> SubscriptionOut:
    return push.get_subscription(session, subscription_id, caller_of(principal))


@router.post(
    "/subscriptions/{subscription_id}/deactivate", response_model=SubscriptionOut, summary="停用推送订阅"
)
def deactivate(
    subscription_id: DbId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> SubscriptionOut:
    return push.deactivate_subscription(session, subscription_id, caller_of(principal))


@router.get(
    "/subscriptions/{subscription_id}/deliveries", response_model=DeliveryPage, summary="推送投递记录"
)
def deliveries(
    subscription_id: DbId,
    status: str | None = Query(None, pattern="^(pending|sending|delivered|dead)$"),
    limit: int = Query(100, ge=1, le=500),
    offset: Offset = 0,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> DeliveryPage:
    return push.list_deliveries(
        session,
        caller=caller_of(principal),
        subscription_id=subscription_id,
        status=status,
        limit=limit,
        offset=offset,
    )


@router.get("/push/dead-letters", response_model=DeliveryPage, summary="死信队列（信用办）")
def dead_letters(
    limit: int = Query(100, ge=1, le=500),
    offset: Offset = 0,
    session: Session = Depends(get_session, scope="function"),
) -> DeliveryPage:
    return push.list_deliveries(session, status="dead", limit=limit, offset=offset)


@router.post(
    "/push/dead-letters/{delivery_id}/replay",
    response_model=list[DeliveryOut],
    summary="重新投递死信（信用办）",
)
def replay(
    delivery_id: DbId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> list[DeliveryOut]:
    return push.replay(session, [delivery_id], by=principal.label)
