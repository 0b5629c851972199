"""Accounts: self-registration of subject accounts (the subject binder proves the subject)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from xinyong.accounts.binding import get_binder
from xinyong.accounts.passwords import _require_good_password
from xinyong.accounts.users import _require_free_username, _valid_username, create_user
from xinyong.accounts.views import UserInfo

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
    name = _valid_username(username)
    _require_free_username(session, name)
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
