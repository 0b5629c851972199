"""HTTP API of the accounts domain (thin: it calls the service). Who may call what is declared
in ``xinyong.accounts.policy``; handlers only add what the table cannot say."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from xinyong.accounts import api_keys, departments, users, views
from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import ROLE_NAMES_ZH, Principal
from xinyong.accounts.schemas import (
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyOut,
    DepartmentIn,
    DepartmentOut,
    PrincipalOut,
    RotateIn,
    UserIn,
    UserOut,
)
from xinyong.core.deps import get_session
from xinyong.core.errors import Forbidden
from xinyong.core.params import DbId

router = APIRouter(prefix="/api/v1", tags=["accounts"])


def _key_out(info: views.ApiKeyInfo) -> ApiKeyOut:
    return ApiKeyOut.model_validate({**info.__dict__, "status": info.status})


@router.get("/me", response_model=PrincipalOut, summary="当前调用者（用户或 API 密钥）")
def me(principal: Principal = Depends(current_principal)) -> PrincipalOut:
    return PrincipalOut(
        kind=principal.kind,
        role=principal.role,
        role_zh=ROLE_NAMES_ZH.get(principal.role, principal.role),
        username=principal.username,
        display_name=principal.display_name,
        department_code=principal.department_code,
        department_name=principal.department_name,
        provider_code=principal.provider_code,
        subject_id=principal.subject_id,
        api_key_prefix=principal.api_key_prefix,
        scopes=sorted(principal.scopes),
        items=sorted(principal.items) if principal.items is not None else None,
    )


@router.get("/accounts/users", response_model=list[UserOut], summary="用户列表")
def list_users(
    role: str | None = None,
    department: str | None = Query(None, description="department code"),
    session: Session = Depends(get_session, scope="function"),
) -> list[UserOut]:
    return [
        UserOut.model_validate(u) for u in users.list_users(session, role=role, department_code=department)
    ]


@router.post("/accounts/users", response_model=UserOut, status_code=201, summary="创建用户")
def create_user(
    body: UserIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> UserOut:
    """Administrators create any account; credit office staff create subject accounts."""
    if principal.role != "admin" and body.role != "subject":
        raise Forbidden(
            "Credit office staff create subject accounts only",
            "信用办工作人员只能创建信用主体账户",
            code="auth.role_denied",
            role=principal.role,
        )
    user = users.create_user(
        session,
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password=body.password,
        department_code=body.department_code,
        provider_code=body.provider_code,
        subject_code=body.subject_code,
        by=principal.label,
    )
    session.commit()  # before the answer goes out (the request-scoped session commits after it)
    return UserOut.model_validate(user)


@router.post("/accounts/users/{username}/lock", response_model=UserOut, summary="停用（锁定）用户")
def lock_user(
    username: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> UserOut:
    user = users.lock_user(session, username, by=principal.label)
    session.commit()
    return UserOut.model_validate(user)


@router.post("/accounts/users/{username}/unlock", response_model=UserOut, summary="解锁用户")
def unlock_user(
    username: str,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> UserOut:
    user = users.unlock_user(session, username, by=principal.label)
    session.commit()
    return UserOut.model_validate(user)


@router.get("/accounts/departments", response_model=list[DepartmentOut], summary="部门列表")
def list_departments(session: Session = Depends(get_session, scope="function")) -> list[DepartmentOut]:
    return [DepartmentOut.model_validate(d) for d in departments.list_departments(session)]


@router.post("/accounts/departments", response_model=DepartmentOut, status_code=201, summary="登记部门")
def create_department(
    body: DepartmentIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> DepartmentOut:
    department = departments.create_department(
        session, body.code, body.name, provider_code=body.provider_code, by=principal.label
    )
    session.commit()
    return DepartmentOut.model_validate(department)


@router.get("/accounts/keys", response_model=list[ApiKeyOut], summary="API 密钥列表（不含密钥本身）")
def list_keys(
    department: str | None = Query(None, description="department code"),
    include_revoked: bool = False,
    session: Session = Depends(get_session, scope="function"),
) -> list[ApiKeyOut]:
    return [
        _key_out(k)
        for k in api_keys.list_api_keys(session, department_code=department, include_revoked=include_revoked)
    ]


@router.post(
    "/accounts/keys", response_model=ApiKeyCreated, status_code=201, summary="签发 API 密钥（仅显示一次）"
)
def create_key(
    body: ApiKeyIn,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> ApiKeyCreated:
    info, key = api_keys.create_api_key(
        session,
        name=body.name,
        role=body.role,
        scopes=body.scopes,
        items=body.items,
        department_code=body.department_code,
        provider_code=body.provider_code,
        username=body.username,
        subject_code=body.subject_code,
        expires_in_days=body.expires_in_days,
        by=principal.label,
    )
    session.commit()  # the key is shown once: it must exist when the caller reads it
    return ApiKeyCreated(**_key_out(info).model_dump(), key=key)


@router.post("/accounts/keys/{key_id}/revoke", response_model=ApiKeyOut, summary="吊销 API 密钥")
def revoke_key(
    key_id: DbId,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> ApiKeyOut:
    info = api_keys.revoke_api_key(session, key_id, by=principal.label)
    session.commit()
    return _key_out(info)


@router.post(
    "/accounts/keys/{key_id}/rotate",
    response_model=ApiKeyCreated,
    summary="轮换 API 密钥（新密钥仅显示一次）",
)
def rotate_key(
    key_id: DbId,
    body: RotateIn | None = None,
    principal: Principal = Depends(current_principal),
    session: Session = Depends(get_session, scope="function"),
) -> ApiKeyCreated:
    info, key = api_keys.rotate_api_key(
        session, key_id, by=principal.label, grace_minutes=body.grace_minutes if body else 0
    )
    session.commit()
    return ApiKeyCreated(**_key_out(info).model_dump(), key=key)
