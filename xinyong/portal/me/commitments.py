"""The subject's commitments and self-declarations in /me (``/me/commitments``,
``/me/declarations``): sign a commitment from the ruleset's templates (the logged-in identity and
the time are recorded), supply the 容缺 materials, declare with proof; the domains' services do
the work. Forms carry the session's CSRF token."""

from __future__ import annotations

from datetime import date
from functools import partial
from typing import Any

from fastapi import APIRouter, File, Form, UploadFile
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from xinyong.commitments import service as commitments
from xinyong.core.errors import InvalidInput
from xinyong.declarations import service as declarations
from xinyong.ingest import service as ingest_service
from xinyong.portal.me.frame import AtMe, MeCall, Said, unbound
from xinyong.portal.me.service import MeSubject, subject_actor
from xinyong.portal.strings import t

router = APIRouter(include_in_schema=False)
MAX_FILES = 5


def _departments(session: Session) -> list[tuple[str, str]]:
    return [(p.code, p.name) for p in ingest_service.list_providers(session) if p.active]


async def _files(uploads: list[UploadFile]) -> list[tuple[str, bytes | str]]:
    out: list[tuple[str, bytes | str]] = []
    for f in uploads[:MAX_FILES]:
        data = await f.read()
        if data:
            out.append((f.filename or "附件", data))
    return out


# --- commitments -----------------------------------------------------------------------------------


def _commitments_page(at: MeCall, said: Said = Said()) -> HTMLResponse:
    def build(me: MeSubject) -> dict[str, Any]:
        view = commitments.subject_commitments(at.session, me.subject.id)
        return {
            "view": view,
            "full": {c.id: commitments.get_commitment(at.session, c.id) for c in view.signed},
            "templates": commitments.templates(),
            "departments": _departments(at.session),
        }

    return at.page("me/commitments.html", build, said)


@router.get("/me/commitments", response_class=HTMLResponse)
def me_commitments(at: AtMe, done: str = "") -> HTMLResponse:
    notice = {"signed": t("me.commitments.signed"), "supplied": t("me.commitments.supplied")}.get(done)
    return _commitments_page(at, Said(notice=notice))


@router.post("/me/commitments", response_class=HTMLResponse)
def me_sign(
    at: AtMe,
    commitment_type: str = Form(""),
    matter: str = Form(""),
    department_code: str = Form(""),
    agree: str = Form(""),
) -> Response:
    def act(me: MeSubject) -> str:
        if agree not in ("1", "on"):
            raise InvalidInput(
                "Read and agree to the commitment first",
                "请阅读承诺书全文并勾选“本人已阅读并同意作出上述承诺”",
                code="me.commitments.agree_required",
                field="agree",
            )
        view = commitments.sign(
            at.session,
            actor=subject_actor(at.principal, me),
            commitment_type=commitment_type,
            matter=matter[:200],
            department_code=department_code,
        )
        return f"/me/commitments?done=signed#commitment-{view.id}"

    form = {"commitment_type": commitment_type, "matter": matter[:200], "department_code": department_code}
    return at.post(act, partial(_commitments_page, at), form=form, settle=commitments.settle)


@router.post("/me/commitments/{commitment_id}/supply", response_class=HTMLResponse)
async def me_supply(
    at: AtMe, commitment_id: str, text: str = Form(""), files: list[UploadFile] = File(default=[])
) -> Response:
    if not commitment_id.isdigit():
        return unbound(at.request)
    cid = int(commitment_id)
    attachments = await _files(files)

    def act(me: MeSubject) -> str:
        commitments.take_step(
            at.session,
            cid,
            actor=subject_actor(at.principal, me),
            action="supply",
            text=text[:4000],
            attachments=attachments,
        )
        return f"/me/commitments?done=supplied#commitment-{cid}"

    return at.post(act, partial(_commitments_page, at), error_id=cid, settle=commitments.settle)


# --- declarations ----------------------------------------------------------------------------------


def _declarations_page(at: MeCall, said: Said = Said()) -> HTMLResponse:
    def build(me: MeSubject) -> dict[str, Any]:
        actor = declarations.Actor(at.principal.label, "subject", subject_id=me.subject.id)
        page = declarations.list_declarations(at.session, actor=actor, per_page=200)
        return {
            "items": [declarations.get_declaration(at.session, d.id, actor=actor) for d in page.items],
            "kinds": declarations.kinds(),
            "departments": _departments(at.session),
        }

    return at.page("me/declarations.html", build, said)


@router.get("/me/declarations", response_class=HTMLResponse)
def me_declarations(at: AtMe, done: str = "") -> HTMLResponse:
    notice = t("me.declarations.filed") if done == "filed" else None
    return _declarations_page(at, Said(notice=notice))


@router.post("/me/declarations", response_class=HTMLResponse)
async def me_declare(
    at: AtMe,
    declaration_type: str = Form(""),
    title: str = Form(""),
    content: str = Form(""),
    valid_until: str = Form(""),
    department_code: str = Form(""),
    files: list[UploadFile] = File(default=[]),
) -> Response:
    attachments = await _files(files)

    def act(me: MeSubject) -> str:
        view = declarations.file_declaration(
            at.session,
            actor=declarations.Actor(at.principal.label, "subject", subject_id=me.subject.id),
            declaration_type=declaration_type,
            title=title[:200],
            content=content[:4000],
            valid_until=_form_date(valid_until),
            department_code=department_code,
            attachments=attachments,
        )
        return f"/me/declarations?done=filed#declaration-{view.id}"

    form = {
        "declaration_type": declaration_type,
        "title": title[:200],
        "content": content[:4000],
        "valid_until": valid_until,
        "department_code": department_code,
    }
    return at.post(act, partial(_declarations_page, at), form=form, settle=declarations.settle)


def _form_date(value: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(
            "valid_until is YYYY-MM-DD",
            "有效期至的格式应为 年-月-日（如 2027-12-31）",
            code="me.bad_date",
            field="valid_until",
            value=value[:20],
        ) from None
