"""Accounts: self-registration of subject accounts (the subject binder proves the subject)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.accounts.binding import get_binder
from xinyong.accounts.models import User
from xinyong.accounts.passwords import _require_good_password
from xinyong.accounts.users import _USERNAME, create_user
from xinyong.accounts.views import UserInfo, _clean_username, _invalid
from xinyong.core.errors import Conflict

# ---------------------------------------------------------------------------------------------
# Subject accounts: self-registration


def register_subject_account(
    session: Session,
    *,
    claim: Any,
    username: str,
    display_name: str,
    password: str,
    binder: Any = None,
) -> UserInfo:
    """Self-registration of a subject account: the ``SubjectBinder`` (default: the registry
    binder, USCC + legal representative's name + ID number matching the subject record) proves
    which subject the registrant speaks for. Username and password are checked first, so a
    binding attempt is never wasted on a bad form."""
    name = _clean_username(username)
    if not _USERNAME.match(name):
        raise _invalid(
            "username",
            "Username: 3-64 characters, lower-case letters, digits, _ . @ -",
            "用户名应为 3-64 位小写字母、数字或 _ . @ -，以字母或数字开头",
            value=username,
        )
    if session.scalar(select(User.id).where(User.username == name)) is not None:
        raise Conflict(
            f"User {name!r} exists", f"用户名“{name}”已被使用", code="accounts.user_exists", value=name
        )
    _require_good_password(password, name)
    chosen = binder or get_binder()
    subject_id = chosen.bind(session, claim)
    return create_user(
        session,
        username=name,
        display_name=display_name,
        role="subject",
        password=password,
        subject_id=subject_id,
        by="self-registration",
        bound_by=f"self:{chosen.name}",
    )
