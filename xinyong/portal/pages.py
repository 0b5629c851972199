"""The public site's pages (server-rendered; not part of the JSON API or its OpenAPI schema).

Query parameters are read leniently: a page never answers a person with a JSON validation error;
a bad value falls back to its default.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from xinyong.access import service as access_service
from xinyong.accounts.deps import current_principal
from xinyong.accounts.principal import Principal
from xinyong.core.deps import DbSession
from xinyong.core.errors import DomainError, NotFound
from xinyong.core.identifiers import infer_kind, mask_id_number
from xinyong.core.paging import page_number
from xinyong.core.params import db_id
from xinyong.core.site import get_site
from xinyong.portal import service
from xinyong.portal.strings import t
from xinyong.portal.templating import SECURITY_HEADERS, STATIC_DIR, STATIC_URL, render, render_fragment
from xinyong.querylog import service as querylog
from xinyong.subjects import service as subjects_service

router = APIRouter(include_in_schema=False)
router.mount(STATIC_URL, StaticFiles(directory=str(STATIC_DIR)), name="portal-static")


# A city's logo is one of its own files (site.yaml / XINYONG_SITE_LOGO); only images are served.
_LOGO_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


@router.get("/site/logo")
def site_logo() -> Response:
    path = get_site().logo_path()
    media_type = _LOGO_TYPES.get(path.suffix.lower()) if path is not None else None
    if path is None or media_type is None:
        raise NotFound("No site logo", "本站未设置标志图片", code="site.no_logo")
    headers = {**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"}
    return Response(path.read_bytes(), media_type=media_type, headers=headers)


def not_found_page(request: Request, message: str | None = None) -> HTMLResponse:
    """The friendly 404 page in Chinese."""
    return render(request, "not_found.html", {"message": message or t("error.404.text")}, status_code=404)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: DbSession) -> HTMLResponse:
    return render(request, "home.html", {"view": service.home_view(session), "q": "", "kind": ""})


@router.get("/search", response_class=HTMLResponse)
def search(
    request: Request,
    session: DbSession,
    q: str = "",
    kind: str = "",
    page: str | None = None,
) -> HTMLResponse:
    view = service.search_view(session, q, kind, page_number(page))
    return render(request, "search.html", {"view": view, "q": view.q, "kind": view.kind})


@router.get("/search/suggest", response_class=HTMLResponse)
def suggest(session: DbSession, q: str = "", kind: str = "") -> HTMLResponse:
    """Suggestions while typing (an htmx fragment; the plain form works without it)."""
    view = service.suggest_view(session, q, kind)
    return render_fragment(
        "partials/suggest.html", {"items": view.items, "total": view.total, "q": view.q, "kind": view.kind}
    )


@dataclass
class PurposeForm:
    """The purpose select a signed-in government user sees on a subject page (查询用途)."""

    options: list[tuple[str, str]]  # (code, Chinese name)
    chosen: str | None  # the purpose code in effect
    chosen_zh: str | None
    error: str | None


def _subject_response(
    request: Request, session: Session, principal: Principal, *, code: str | None, subject_id: int | None
) -> HTMLResponse:
    """A subject page in the view the caller may see: public, or, with a purpose chosen on the
    page, the subject's own file or the government view; such a view is written to the query log."""
    subject = service.find_subject(session, code=code, subject_id=subject_id)
    purpose = request.query_params.get("purpose") or None
    error = None
    with access_service.reading(session, principal, purpose, action="subject.page", channel="portal") as read:
        try:
            access = read.open(subject.id, optional=True)
        except DomainError as exc:
            access, error = read.open_public(subject.id), exc.message_zh
        id_number = (
            subjects_service.reveal_id_number(session, subject.id) if access.reveal_id_number else None
        )
        page = service.subject_page(session, subject_id=subject.id, viewer=access.viewer, id_number=id_number)
        if (
            subject.kind == "natural_person"
            and access.public
            and principal.role not in access_service.GOVERNMENT_VIEW_ROLES
            and (code is not None or not page.record_count)
        ):
            # No existence oracle: the public reaches a natural person's page only from a record
            # that is itself public (by its link), never by ID number, and a page without one is
            # as missing as an unknown subject.
            raise NotFound("Subject not found", "未找到该信用主体", code="subject.not_found")
        read.returned(
            [*page.item_codes, *(["id_number"] if id_number else [])], result_count=page.record_count
        )
    form = None
    if principal.role in access_service.GOVERNMENT_VIEW_ROLES:
        options = [(p.code, p.name_zh) for p in querylog.purposes_for_role(principal.role)]
        chosen = access.purpose
        form = PurposeForm(
            options, chosen.code if chosen else None, chosen.name_zh if chosen else None, error
        )
    elif access.purpose is not None:
        form = PurposeForm([], access.purpose.code, access.purpose.name_zh, None)
    return render(request, "subject.html", {"page": page, "purpose_form": form, "full_id": bool(id_number)})


@router.get("/subjects/id/{subject_id}", response_class=HTMLResponse)
def subject_by_id(
    request: Request,
    session: DbSession,
    subject_id: str,
    principal: Principal = Depends(current_principal),
) -> HTMLResponse:
    if db_id(subject_id) is None:
        return not_found_page(request)
    try:
        return _subject_response(request, session, principal, code=None, subject_id=int(subject_id))
    except NotFound:
        return not_found_page(request)


@router.get("/subjects/{code}", response_class=HTMLResponse)
def subject(
    request: Request,
    session: DbSession,
    code: str,
    principal: Principal = Depends(current_principal),
) -> HTMLResponse:
    try:
        return _subject_response(request, session, principal, code=code, subject_id=None)
    except NotFound:
        # A full ID number is never written back into a page (PIPL), found or not.
        shown = code[:40]
        if infer_kind(code.strip()) == "ric":
            shown = mask_id_number(code.strip())
        return not_found_page(request, t("error.404.subject", code=shown))


@router.get("/publicity", response_class=HTMLResponse)
def publicity(
    request: Request,
    session: DbSession,
    q: str = "",
    item: str = "",
    provider: str = "",
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
    page: str | None = None,
) -> HTMLResponse:
    view = service.publicity_view(
        session,
        q=q,
        item=item,
        provider=provider,
        date_from=date_from,
        date_to=date_to,
        page=page_number(page),
    )
    return render(request, "publicity.html", {"view": view})


@router.get("/publicity/export.xlsx")
def publicity_export(
    session: DbSession,
    q: str = "",
    item: str = "",
    provider: str = "",
    date_from: str = Query("", alias="from"),
    date_to: str = Query("", alias="to"),
) -> Response:
    """The list under the page's filters as an Excel file (cells that look like formulas as text)."""
    data = service.publicity_export(
        session, q=q, item=item, provider=provider, date_from=date_from, date_to=date_to
    )
    headers = {
        **SECURITY_HEADERS,
        "Content-Disposition": "attachment; filename=\"publicity.xlsx\"; filename*=UTF-8''%E5%8F%8C%E5%85%AC%E7%A4%BA.xlsx",
    }
    return Response(
        data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", headers=headers
    )


@router.get("/catalog", response_class=HTMLResponse)
def catalog(request: Request) -> HTMLResponse:
    return render(request, "catalog.html", {"items": service.catalog_view()})


@router.get("/catalog/{item_code}/template.xlsx")
def catalog_template(request: Request, item_code: str) -> Response:
    try:
        filename, content = service.catalog_template(item_code)
    except NotFound:
        return not_found_page(request)
    return Response(
        content,
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **SECURITY_HEADERS},
    )
