"""Access (披露): which view of a subject's file a caller gets, and the query-log entry of a read.

:func:`access_for` decides, from the caller (``Principal``) and the purpose it names, which view
of a subject's file the caller gets (``access.visibility.Viewer``; the views themselves, which
records and fields each shows, are ``access.visibility``) and whether the full ID number may be
shown. :class:`FileRead` is one read of a file: it decides (``open``) and, when the read
succeeded, writes the query-log entry of a non-public view (``log``) through
``querylog.service.log_query``. API routes get one from the dependency
``access.deps.file_read``, so a handler cannot skip either; page services use :func:`reading`.
Purposes (``purposes.yaml``, :func:`querylog.service.require_purpose`) and the log itself belong
to ``xinyong.querylog``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from xinyong.access.visibility import Viewer
from xinyong.accounts import service as accounts_service
from xinyong.accounts.principal import Principal
from xinyong.core.errors import NotFound
from xinyong.querylog.service import SELF_QUERY, Purpose, log_query, require_purpose

# Roles whose reads at a non-public view need a purpose and are logged (provider: its own
# department's records only; see access.visibility).
GOVERNMENT_VIEW_ROLES: tuple[str, ...] = ("provider", "regulator", "credit_office")
# Roles allowed to see a full ID number, given a purpose (besides the subject itself).
_FULL_ID_ROLES = ("credit_office",)


@dataclass(frozen=True)
class Access:
    """What one caller may see of one subject's file, and why.

    ``viewer`` goes to the records service; ``reveal_id_number`` says whether the subject's full
    ID number may be shown; ``logged`` whether the read must be written to the query log."""

    principal: Principal
    viewer: Viewer
    purpose: Purpose | None = None
    reveal_id_number: bool = False

    @property
    def logged(self) -> bool:
        return self.viewer.visibility != "public"

    @property
    def public(self) -> bool:
        return self.viewer.visibility == "public"


def _provider_id(session: Session, principal: Principal) -> int | None:
    if not principal.provider_code:
        return None
    try:
        return accounts_service.get_provider(session, principal.provider_code).id
    except NotFound:
        return None


def access_for(
    session: Session,
    principal: Principal,
    subject_id: int | None,
    purpose: str | None,
    *,
    optional: bool = False,
    today: date | None = None,
) -> Access:
    """The view of ``subject_id``'s file that ``principal`` gets with ``purpose``.

    * public (anonymous), admin, bank, a subject account looking at another subject: the
      public view; no purpose needed, nothing logged (bank: consent-based sharing, 信易贷, is
      not built yet, so a bank sees what the public sees).
    * a subject account on its own file: the subject view; purpose ``self_query`` (implied).
    * regulator, credit office: the government view; a purpose allowed for the role is required.
    * provider: government fields of its own department's records, the public view of the rest;
      a purpose is required.

    With ``optional=True`` (portal pages) a missing purpose gives the public view instead of an
    error, so a page can offer the purpose select; a wrong purpose is still an error."""
    role = principal.role
    if role == "subject" and principal.subject_id is not None and principal.subject_id == subject_id:
        chosen = require_purpose(principal, purpose or SELF_QUERY, today)
        return Access(principal, Viewer("subject"), chosen, reveal_id_number=True)
    if role in GOVERNMENT_VIEW_ROLES:
        if optional and not (purpose and purpose.strip()):
            return Access(principal, Viewer("public"))
        chosen = require_purpose(principal, purpose, today)
        if role == "provider":
            own = _provider_id(session, principal)
            if own is None:
                # A provider officer without an ingest provider owns no records.
                return Access(principal, Viewer("public"))
            return Access(principal, Viewer("provider", own_provider_id=own), chosen)
        return Access(principal, Viewer("government"), chosen, reveal_id_number=role in _FULL_ID_ROLES)
    return Access(principal, Viewer("public"))


def public_access(principal: Principal) -> Access:
    return Access(principal, Viewer("public"))


def log_access(
    session: Session,
    access: Access,
    subject_id: int | None,
    items: Iterable[str],
    *,
    action: str,
    channel: str = "api",
    result_count: int | None = None,
    reference: str | None = None,
) -> int | None:
    """Log a read made with ``access`` if it was at a non-public view (else nothing)."""
    if not access.logged or access.purpose is None:
        return None
    return log_query(
        session,
        access.principal,
        access.purpose,
        subject_id,
        items,
        action=action,
        channel=channel,
        result_count=result_count,
        reference=reference,
    )


@dataclass
class FileRead:
    """One read of a subject's file (or of subjects, for a search): ``open`` decides the view,
    ``returned`` says what the answer holds, ``log`` writes the query-log entry of a non-public
    view once. The dependency ``access.deps.file_read`` and :func:`reading` call ``log`` when the
    read succeeded; a read that failed is not logged."""

    session: Session
    principal: Principal
    purpose: str | None
    action: str
    channel: str = "api"
    access: Access | None = None
    subject_id: int | None = None
    items: list[str] = field(default_factory=list)
    result_count: int | None = None
    reference: str | None = None
    logged_id: int | None = None
    _done: bool = False

    def open(self, subject_id: int | None, *, optional: bool = False, today: date | None = None) -> Access:
        """Decide the caller's view of ``subject_id``'s file (``access_for``); errors as there."""
        self.access = access_for(
            self.session, self.principal, subject_id, self.purpose, optional=optional, today=today
        )
        self.subject_id = subject_id
        return self.access

    def open_public(self, subject_id: int | None) -> Access:
        """The public view (nothing logged), e.g. a page falling back after a wrong purpose."""
        self.access = public_access(self.principal)
        self.subject_id = subject_id
        return self.access

    def returned(
        self, items: Iterable[str], *, result_count: int | None = None, reference: str | None = None
    ) -> None:
        """What the answer holds: the catalog item codes (and ``id_number``, ``subject_profile``
        ...), how many rows, and what to find it by (default ``subject:<id>``)."""
        self.items = list(items)
        self.result_count = result_count
        if reference is not None:
            self.reference = reference

    def log(self) -> int | None:
        """Write the entry of a non-public read (once); nothing for a public one."""
        if self._done or self.access is None:
            return self.logged_id
        self._done = True
        reference = self.reference
        if reference is None and self.subject_id is not None:
            reference = f"subject:{self.subject_id}"
        self.logged_id = log_access(
            self.session,
            self.access,
            self.subject_id,
            self.items,
            action=self.action,
            channel=self.channel,
            result_count=self.result_count,
            reference=reference,
        )
        return self.logged_id


@contextmanager
def reading(
    session: Session, principal: Principal, purpose: str | None, *, action: str, channel: str = "api"
) -> Iterator[FileRead]:
    """A :class:`FileRead` logged when the block ends without an error (page services)."""
    read = FileRead(session, principal, purpose, action, channel)
    yield read
    read.log()
