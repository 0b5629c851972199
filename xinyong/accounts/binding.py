"""Binding a self-registered account to its subject, behind a pluggable ``SubjectBinder``.

The default ``RegistryBinder`` checks the claim against the subject record held by the
platform (through ``xinyong.subjects.service``): an enterprise or organisation by its USCC, the
legal representative's name and the legal representative's ID number (matched by the keyed
blind index, never in clear); a natural person by their own ID number and name. Real platforms
bind through the e-business licence (电子营业执照) or a national identity service: implement
``SubjectBinder`` and select it with ``XINYONG_SUBJECT_BINDER=package.module:ClassName``.
"""

from __future__ import annotations

import importlib
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.orm import Session

from xinyong.core.errors import Forbidden, InvalidInput
from xinyong.core.settings import get_settings
from xinyong.subjects import service as subjects_service


@dataclass(frozen=True)
class BindingClaim:
    """What a registrant asserts. ``code``: the subject's USCC (or, for a natural person, the
    ID number). ``legal_representative_*``: the legal representative's name and ID number (for a
    natural person: their own). ``evidence``: extra material a binder may need (licence token)."""

    code: str
    legal_representative_name: str
    legal_representative_id_number: str
    evidence: dict[str, Any] = field(default_factory=dict)


class BindingFailed(Forbidden):
    code = "accounts.binding_failed"


def _failed() -> BindingFailed:
    # One message for every mismatch: the form must not reveal which part was wrong.
    return BindingFailed(
        "The details do not match the subject's registration record",
        "所填信息与登记信息不一致，无法完成主体身份核验。请核对统一社会信用代码、法定代表人姓名和身份证号码。",
    )


@runtime_checkable
class SubjectBinder(Protocol):
    name: str

    def bind(self, session: Session, claim: BindingClaim) -> int:
        """The id of the subject the claim proves, or raise ``BindingFailed``."""
        ...


def _key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name or "").split()).upper()


class RegistryBinder:
    """Matches the claim against the platform's own subject record."""

    name = "registry"

    def bind(self, session: Session, claim: BindingClaim) -> int:
        code = claim.code.strip()
        rep_name = claim.legal_representative_name.strip()
        rep_id = claim.legal_representative_id_number.strip()
        if not code or not rep_name or not rep_id:
            raise InvalidInput(
                "Code, legal representative's name and ID number are required",
                "请填写统一社会信用代码、法定代表人姓名和身份证号码",
                code="accounts.binding_incomplete",
            )
        subject = subjects_service.find_by_code(session, code)
        if subject is None or subject.provisional or subject.merged_into_id is not None:
            raise _failed()
        # The ID number is looked up through its blind index (subjects.find_by_code).
        person = subjects_service.find_by_code(session, rep_id)
        if person is None or person.kind != "natural_person" or _key(person.name) != _key(rep_name):
            raise _failed()
        if subject.kind == "natural_person":
            if person.id != subject.id:
                raise _failed()
            return subject.id
        if _key(subject.legal_representative or "") != _key(rep_name):
            raise _failed()
        today = date.today()
        for rel in subjects_service.list_relations(session, subject.id):
            if (
                rel.direction == "outgoing"
                and rel.role == "legal_representative"
                and rel.related_subject_id == person.id
                and (rel.until is None or rel.until >= today)
            ):
                return subject.id
        raise _failed()


_BUILTIN: dict[str, type] = {"registry": RegistryBinder}
_override: SubjectBinder | None = None


def set_binder(binder: SubjectBinder | None) -> None:
    """Install a binder for this process (None: back to the configured one)."""
    global _override
    _override = binder


def get_binder() -> SubjectBinder:
    """The binder in use: ``set_binder``, else ``XINYONG_SUBJECT_BINDER`` (a built-in name or
    ``package.module:ClassName``), else the registry binder."""
    if _override is not None:
        return _override
    spec = get_settings().subject_binder
    if spec in _BUILTIN:
        return _BUILTIN[spec]()
    module, _, attr = spec.partition(":")
    binder = getattr(importlib.import_module(module), attr)()
    if not isinstance(binder, SubjectBinder):
        raise TypeError(f"{spec} is not a SubjectBinder")
    return binder
