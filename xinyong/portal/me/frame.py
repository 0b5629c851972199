"""The frame of every /me page: the self-service sections, one request's parts, a page built
from the account's subject (an account bound to none gets the not-found page saying so), what the
last step said, and a posted step (a refusal shows the page again, with the form as filled in)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from xinyong.accounts.deps import CurrentPrincipal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError, NotFound
from xinyong.portal.me.service import MeSubject, my_subject
from xinyong.portal.pages import not_found_page
from xinyong.portal.strings import t
from xinyong.portal.templating import render

# The sections of the self-service pages (href, string key).
SECTIONS = (
    ("/me", "me.nav.overview"),
    ("/me/records", "me.nav.records"),
    ("/me/grade", "me.nav.grade"),
    ("/me/lists", "me.nav.lists"),
    ("/me/objections", "me.nav.objections"),
    ("/me/repairs", "me.nav.repairs"),
    ("/me/commitments", "me.nav.commitments"),
    ("/me/declarations", "me.nav.declarations"),
    ("/my/viewers", "me.nav.viewers"),
    ("/me/reports", "me.nav.reports"),
)


def unbound(request: Request) -> HTMLResponse:
    """The page for an account bound to no subject."""
    return not_found_page(request, t("me.unbound"))


@dataclass(frozen=True)
class Said:
    """What a /me page says after a step: a notice (done), or a refusal with the form as filled
    in (``error_id``: the case whose form was refused)."""

    notice: str | None = None
    error: str | None = None
    error_id: int | None = None
    form: Mapping[str, Any] = field(default_factory=dict)
    status_code: int = 200


@dataclass(frozen=True)
class MeCall:
    """One /me request: the request, its database session and the signed-in account."""

    request: Request
    session: Session
    principal: Principal

    def render(self, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
        """A /me page (in the frame of the self-service sections)."""
        return render(self.request, template, {"sections": SECTIONS, **context}, status_code, private=True)

    def view(
        self,
        template: str,
        build: Callable[[], Any],
        context: dict[str, Any] | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """``template`` with the view ``build`` makes (as ``view``, its subject as ``me``) and
        ``context``; an account bound to no subject gets the not-found page saying so."""
        try:
            view = build()
        except NotFound:
            return unbound(self.request)
        return self.render(template, {"view": view, "me": view.me, **(context or {})}, status_code)

    def page(self, template: str, build: Callable[[MeSubject], dict[str, Any]], said: Said) -> HTMLResponse:
        """``template`` for the account's subject with the context ``build`` makes and what
        ``said``; an account bound to no subject gets the not-found page saying so."""
        try:
            me = my_subject(self.session, self.principal)
        except NotFound:
            return unbound(self.request)
        context = {
            "csrf_token": self.principal.csrf_token or "",
            "me": me,
            "notice": said.notice,
            "error": said.error,
            "error_id": said.error_id,
            "form": dict(said.form),
            **build(me),  # a page may say more (the repairs page: why it cannot check eligibility)
        }
        return self.render(template, context, said.status_code)

    def post(
        self,
        act: Callable[[MeSubject], str],
        refused: Callable[[Said], HTMLResponse],
        *,
        form: Mapping[str, Any] | None = None,
        error_id: int | None = None,
        settle: Callable[[Session], None] | None = None,
    ) -> Response:
        """A form post: ``act`` takes the step for the account's subject and names where to go
        next (a 303, after ``settle`` commits it); a refusal rolls the session back and answers
        with the ``refused`` page, the message and ``form`` as filled in."""
        try:
            url = act(my_subject(self.session, self.principal))
        except DomainError as exc:
            self.session.rollback()
            return refused(
                Said(error=exc.message_zh, error_id=error_id, form=form or {}, status_code=exc.status_code)
            )
        if settle is not None:
            settle(self.session)
        return RedirectResponse(url, status_code=303)


def _me_call(request: Request, principal: CurrentPrincipal, session: DbSession) -> MeCall:
    return MeCall(request, session, principal)


AtMe = Annotated[MeCall, Depends(_me_call)]
