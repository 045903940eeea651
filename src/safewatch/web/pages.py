"""The screens' pages: sign-in, and the protected person's app. They render the shell; the
page's script talks to the same API as everyone else (with the session cookie)."""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from safewatch.api.deps import SESSION_COOKIE, SessionDep, SettingsDep
from safewatch.api.sign_in import sign_in
from safewatch.core.config import Environment
from safewatch.core.errors import TooMany, Unauthorized
from safewatch.core.roles import Role
from safewatch.incidents.policy import SEVERITY_ORDER
from safewatch.models import User
from safewatch.services import accounts
from safewatch.words import Lang
from safewatch.words.i18n import LANGS, pick, texts

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(include_in_schema=False)
LANG_COOKIE = "safewatch_lang"
HOME = {
    Role.protected_person: "/app",
    Role.security_operator: "/console",
    Role.dispatcher: "/console",
    Role.admin: "/cases",
    Role.officer: "/cases",
    Role.caseworker: "/cases",
}
CASE_ROLES = (Role.officer, Role.caseworker, Role.admin)
CONSOLE_ROLES = (Role.security_operator, Role.dispatcher, Role.admin)


def _lang(request: Request, user: User | None = None) -> Lang:
    return pick(
        request.query_params.get("lang") or request.cookies.get(LANG_COOKIE),
        user.language if user else None,
    )


def _signed_in(request: Request, session: SessionDep) -> User | None:
    secret = request.cookies.get(SESSION_COOKIE)
    if not secret:
        return None
    try:
        return accounts.user_for_token(session, secret)
    except Unauthorized:
        return None


def _page(request: Request, name: str, lang: Lang, **context: object) -> HTMLResponse:
    response = templates.TemplateResponse(
        request,
        name,
        {
            "t": texts(lang),
            "lang": lang,
            "langs": LANGS,
            "texts_json": json.dumps(texts(lang)),
            # Incident types, most severe first: every screen orders what is open by it.
            "severity_json": json.dumps(SEVERITY_ORDER),
            **context,
        },
        headers={"Cache-Control": "no-store"},
    )
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400)
    return response


@router.get("/")
def root(request: Request, session: SessionDep) -> Response:
    user = _signed_in(request, session)
    if user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME.get(user.role, "/docs"), status_code=303)


@router.get("/login")
def login_page(request: Request) -> HTMLResponse:
    return _page(request, "login.html", _lang(request), error=None)


@router.post("/login")
async def login(
    request: Request,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
) -> Response:
    """Sign in from the screen: the token goes into an HttpOnly, same-site cookie."""
    try:
        secret, token = await sign_in(request, username, password)
    except Unauthorized:
        page = _page(request, "login.html", _lang(request), error="bad_login")
        page.status_code = 401
        return page
    except TooMany as exc:
        page = _page(request, "login.html", _lang(request), error="locked")
        page.status_code = 429
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    response = RedirectResponse(HOME.get(token.user.role, "/docs"), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=settings.token_ttl_minutes * 60,
        httponly=True,
        samesite="strict",
        secure=settings.environment is Environment.production,
    )
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    secret = request.cookies.get(SESSION_COOKIE)
    if secret:
        with contextlib.suppress(Unauthorized):  # already expired: nothing to end
            accounts.logout(session, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/app")
def victim_app(request: Request, session: SessionDep) -> Response:
    """The protected person's app: alerts with snapshot and clip, acknowledgement, SOS, 112."""
    user = _signed_in(request, session)
    if user is None or user.role is not Role.protected_person:
        return RedirectResponse("/login", status_code=303)
    return _page(request, "app.html", _lang(request, user), user_name=user.full_name)


@router.get("/console")
def console(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The security company's and the 112 centre's console: the live queue (the API gives each
    role its own) and one incident's page with that role's actions."""
    user = _signed_in(request, session)
    if user is None or user.role not in CONSOLE_ROLES:
        return RedirectResponse("/login", status_code=303)
    return _page(
        request,
        "console.html",
        _lang(request, user),
        user_name=user.full_name,
        role=user.role.value,
        map_config={"tiles": settings.map_tile_url, "attribution": settings.map_attribution},
    )


def _staff_page(
    request: Request,
    session: SessionDep,
    name: str,
    roles: tuple[Role, ...] = CASE_ROLES,
    **context: object,
) -> Response:
    user = _signed_in(request, session)
    if user is None or user.role not in roles:
        return RedirectResponse("/login", status_code=303)
    return _page(
        request,
        name,
        _lang(request, user),
        user_name=user.full_name,
        role=user.role.value,
        **context,
    )


@router.get("/cases")
def case_list(request: Request, session: SessionDep) -> Response:
    """Officers' and caseworkers' case list (their agency's cases, from the API)."""
    return _staff_page(request, session, "cases.html")


@router.get("/cases/{case_id}")
def case_page(request: Request, session: SessionDep, case_id: uuid.UUID) -> Response:
    """One case: persons, offender, orders, the risk assessment form with the suggested level,
    required and in-place measures, incidents, and who viewed it."""
    return _staff_page(request, session, "case.html", case_id=str(case_id))


@router.get("/cases/{case_id}/plan")
def site_plan(request: Request, session: SessionDep, case_id: uuid.UUID) -> Response:
    """The home's plan: each camera's covered area and the ways in no camera sees."""
    return _staff_page(request, session, "site_plan.html", case_id=str(case_id))


@router.get("/devices")
def device_inventory(request: Request, session: SessionDep) -> Response:
    """Stock per agency and kind; every device with its case, last contact and battery."""
    return _staff_page(request, session, "devices.html")


@router.get("/devices/{device_id}/zones")
def site_editor(request: Request, session: SessionDep, device_id: uuid.UUID) -> Response:
    """A camera's zones drawn as polygons on the picture of its view."""
    return _staff_page(request, session, "site_editor.html", device_id=str(device_id))


@router.get("/fund")
def fund(request: Request, session: SessionDep) -> Response:
    """The support centre's fund: report for a period in won, the ledger, new entries."""
    return _staff_page(request, session, "fund.html", (Role.caseworker,))


@router.get("/users")
def users(request: Request, session: SessionDep) -> Response:
    """The administrator's accounts: list, add, disable or enable, change role."""
    return _staff_page(request, session, "users.html", (Role.admin,))


@router.get("/dashboard")
def dashboard(request: Request, session: SessionDep) -> Response:
    """Open incidents, response times per week and per site as charts, camera health."""
    return _staff_page(request, session, "dashboard.html", (*CASE_ROLES, Role.security_operator))


@router.get("/app/sw.js")
def service_worker() -> FileResponse:
    """At the app's own path, so its scope is the app (shows lock-screen notifications)."""
    return FileResponse(STATIC / "sw.js", media_type="text/javascript")


@router.get("/app/manifest.webmanifest")
def manifest() -> FileResponse:
    return FileResponse(STATIC / "manifest.webmanifest", media_type="application/manifest+json")
