"""Government routes (``/api/v1/government``): public bodies, the integrity ranking, notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from xinyong.accounts.deps import CurrentPrincipal
from xinyong.core.deps import DbSession
from xinyong.government import service
from xinyong.government.schemas import BodyIn, BodyOut, BodyScoreOut, NoticePageOut, RankingOut

router = APIRouter(prefix="/api/v1/government", tags=["government"])


@router.get("/bodies", response_model=list[BodyOut], summary="政务诚信主体（机关事业单位）")
def bodies(session: DbSession) -> list[BodyOut]:
    return [BodyOut.model_validate(b) for b in service.list_bodies(session)]


@router.post("/bodies", response_model=BodyOut, status_code=201, summary="登记机关事业单位")
def register_body(body: BodyIn, session: DbSession, principal: CurrentPrincipal) -> BodyOut:
    info = service.register_body(
        session,
        body.code,
        superior_name=body.superior_name,
        superior_department_code=body.superior_department_code,
        department_code=body.department_code,
        by=principal.username or principal.api_key_prefix or principal.kind,
    )
    session.commit()
    return BodyOut.model_validate(info)


@router.get("/ranking", response_model=RankingOut, summary="政务诚信评价排名")
def ranking(session: DbSession) -> RankingOut:
    model = service.get_government_model()
    return RankingOut(
        model_code=model.code,
        model_version=model.version,
        source=model.source,
        bodies=[BodyScoreOut.model_validate(s) for s in service.score_bodies(session, model)],
    )


@router.get("/notices", response_model=NoticePageOut, summary="政务失信通报")
def notices(
    session: DbSession,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    body_subject_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
) -> NoticePageOut:
    return NoticePageOut.model_validate(
        service.list_notices(session, page=page, per_page=per_page, body_subject_id=body_subject_id)
    )
