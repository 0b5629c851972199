"""HTTP API of the querylog domain (thin: it calls the service).

* ``GET /purposes``: the purposes and which roles may use them (public: callers need the codes).
* ``GET /me/viewers``: a subject's account sees who looked at its file (谁查询了我).
* ``GET /query-log``, ``/query-log/export.csv``, ``/query-log/flags``: staff search, export and
  unusual-volume flags. Searching and exporting the log are themselves logged (purpose ``audit``).
"""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.core.params import PageNo
from xinyong.querylog import service
from xinyong.querylog.schemas import LogPageOut, PurposeOut, ViewingPageOut, VolumeFlagOut

router = APIRouter(prefix="/api/v1", tags=["query log"])


@router.get("/purposes", response_model=list[PurposeOut], summary="查询用途及可使用的角色")
def purposes(role: str | None = Query(None, description="只看某一角色可用的用途")) -> list[PurposeOut]:
    found = service.purposes_for_role(role) if role else service.list_purposes()
    return [PurposeOut.model_validate({**p.__dict__, "roles": list(p.roles)}) for p in found]


@router.get("/me/viewers", response_model=ViewingPageOut, summary="谁查询了我（本主体的被查询记录）")
def my_viewers(
    page: PageNo = 1,
    per_page: int = Query(20, ge=1, le=200),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> ViewingPageOut:
    """Who read the caller's non-public information: organisation, role, purpose, time."""
    if principal.subject_id is None:
        raise Forbidden(
            "This account speaks for no subject", "该账户未绑定信用主体", code="querylog.no_subject"
        )
    return ViewingPageOut.model_validate(
        service.viewers_of(session, principal.subject_id, page=page, per_page=per_page)
    )


def _filter(
    subject: str | None = Query(None, description="被查询主体：统一社会信用代码、身份证号码或主体编号"),
    actor: str | None = Query(None, description="查询人，如 user:zhangsan、key:xy_3f2a…"),
    organisation: str | None = Query(None, description="查询单位名称片段"),
    role: str | None = Query(None),
    purpose: str | None = Query(None, description="查询用途代码或名称"),
    action: str | None = Query(None),
    item: str | None = Query(None, description="返回了该目录项的记录"),
    date_from: date | None = Query(None, alias="from", description="起始日期（含，北京时间）"),
    date_to: date | None = Query(None, alias="to", description="截止日期（含，北京时间）"),
    session: Session = Depends(get_session, scope="function"),
) -> service.LogFilter:
    return service.LogFilter(
        subject_id=service.subject_ref(session, subject) if subject else None,
        actor=actor,
        organisation=organisation,
        role=role,
        purpose=purpose,
        action=action,
        item=item,
        date_from=date_from,
        date_to=date_to,
    )


@router.get("/query-log", response_model=LogPageOut, summary="检索查询记录（信用办）")
def search_log(
    f: service.LogFilter = Depends(_filter),
    page: PageNo = 1,
    per_page: int = Query(50, ge=1, le=500),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> LogPageOut:
    out = service.search(session, f, page=page, per_page=per_page)
    service.log_audit(session, principal, f, action="query_log.search", result_count=len(out.items))
    return LogPageOut.model_validate(out)


@router.get("/query-log/export.csv", summary="导出查询记录（CSV，信用办）")
def export_log(
    f: service.LogFilter = Depends(_filter),
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> Response:
    text, n = service.export_csv(session, f)
    service.log_audit(session, principal, f, action="query_log.export", result_count=n)
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="query-log.csv"', "Cache-Control": "no-store"},
    )


@router.get("/query-log/flags", response_model=list[VolumeFlagOut], summary="查询量异常的用户（信用办）")
def volume_flags(
    day: date | None = Query(None, alias="date", description="哪一天（北京时间），默认今天"),
    all_users: bool = Query(False, alias="all", description="列出当天所有查询人（含未超阈值的）"),
    session: Session = Depends(get_session, scope="function"),
) -> list[VolumeFlagOut]:
    return [
        VolumeFlagOut.model_validate(f)
        for f in service.unusual_volume(session, day, only_flagged=not all_users)
    ]
