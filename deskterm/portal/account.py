"""Account pages: register, confirm, log in, log out, forgotten password, settings, and
the language switch."""

from __future__ import annotations

import dataclasses

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from deskterm import i18n
from deskterm.domain import FormInvalid, RateLimited, Refused
from deskterm.portal.tickets import error_messages
from deskterm.portal.web import (
    LANG_COOKIE,
    SESSION_COOKIE,
    base_url,
    call,
    page,
    read_form,
    redirect,
    render,
    safe_next,
    set_cookie,
    settings,
    signed,
    visitor,
)
from deskterm.services.portal import customers


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _login_page(request: Request, values: dict, error: str = "",
                      status: int = 200) -> Response:
    return await render(request, "login.html", {"values": values, "error": error}, status)


@page
async def login_form(request: Request) -> Response:
    return await _login_page(request, {"next": safe_next(request.query_params.get("next"),
                                                         "/tickets")})


async def _log_in(request: Request, scope, target: str) -> Response:
    token = await call(customers.start_session, scope, settings(request).session_hours)
    response = redirect(request, target)
    set_cookie(request, response, SESSION_COOKIE, signed(token, "session"),
               settings(request).session_hours * 3600)
    return response


@page
async def login_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    values = {"email": fields.get("email", "")[:320],
              "next": safe_next(fields.get("next"), "/tickets")}
    try:
        scope = await call(customers.authenticate, fields.get("email", ""),
                           fields.get("password", ""), _address(request))
    except RateLimited as limited:
        minutes = max(1, -(-limited.retry_after // 60))
        message = _("Too many failed attempts. Please try again in %(minutes)d minutes.") % {
            "minutes": minutes}
        response = await _login_page(request, values, message, 429)
        response.headers["Retry-After"] = str(limited.retry_after)
        return response
    except Refused:
        return await _login_page(request, values, _("Wrong e-mail address or password."), 400)
    return await _log_in(request, scope, values["next"])


@page
async def logout(request: Request) -> Response:
    await read_form(request)
    who = await visitor(request)
    if who.session_token:
        await call(customers.end_session, who.session_token)
    response = redirect(request, "/")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- registration and one-time links ------------------------------------------------------


@page
async def register_form(request: Request) -> Response:
    return await render(request, "register.html", {"values": {}, "errors": {}})


@page
async def register_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    values = {"email": fields.get("email", "")[:320], "name": fields.get("name", "")[:2000]}
    try:
        await call(customers.register, values["email"], values["name"], language=who.language,
                   base_url=base_url(request), mode=settings(request).registration)
    except FormInvalid as invalid:
        return await render(request, "register.html",
                            {"values": values, "errors": error_messages(_, invalid.errors)}, 400)
    return await render(request, "check_mail.html", {"email": values["email"],
                                                      "what": settings(request).registration})


@page
async def forgot_form(request: Request) -> Response:
    return await render(request, "forgot.html", {"values": {}})


@page
async def forgot_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    who = await visitor(request)
    email = fields.get("email", "")[:320]
    await call(customers.request_reset, email, language=who.language,
               base_url=base_url(request))
    return await render(request, "check_mail.html", {"email": email, "what": "reset"})


def _purpose(request: Request) -> str:
    return "confirm" if request.url.path.startswith("/account/confirm/") else "reset"


@page
async def link_form(request: Request) -> Response:
    purpose, token = _purpose(request), request.path_params["token"]
    if not await call(customers.link_valid, purpose, token):
        return await render(request, "link_used.html", {}, 410)
    return await render(request, "set_password.html", {"purpose": purpose, "errors": {}})


@page
async def link_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    purpose, token = _purpose(request), request.path_params["token"]
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    password = fields.get("password", "")
    try:
        if password != fields.get("password2", ""):
            raise FormInvalid({"password2": "mismatch"})
        scope = await call(customers.use_link, purpose, token, password)
    except FormInvalid as invalid:
        return await render(request, "set_password.html",
                            {"purpose": purpose, "errors": error_messages(_, invalid.errors)}, 400)
    except Refused:
        return await render(request, "link_used.html", {}, 410)
    return await _log_in(request, scope, "/tickets?done=" + purpose)


# --- settings ---------------------------------------------------------------------------


async def _settings_page(request: Request, errors: dict | None = None, done: str = "",
                         status: int = 200, typed: dict | None = None) -> Response:
    """The settings page; after an error, every field shows what the customer chose."""
    who = await visitor(request)
    _ = i18n.gettext_for(who.language)
    info = await call(customers.account, who.scope)
    sms_on = typed.get("sms") == "on" if typed is not None else info.sms_opt_in
    phone = typed.get("phone", "")[:100] if typed is not None else info.phone or ""
    if typed is not None:  # the choices of the form sent, where they are choices offered
        zone, language, size = (typed.get(k, "") for k in ("timezone", "language", "page_size"))
        info = dataclasses.replace(
            info,
            timezone=zone if zone in customers.time_zones() else info.timezone,
            language=(language or None) if language in ("", *i18n.LANGUAGES) else info.language,
            page_size=next((n for n in customers.PAGE_SIZES if str(n) == size),
                           info.page_size))
    context = {"account": info, "zones": sorted(customers.time_zones()),
               "page_sizes": customers.PAGE_SIZES, "errors": error_messages(_, errors or {}),
               "done": done, "sms_on": sms_on, "phone": phone}
    return await render(request, "settings.html", context, status)


@page
async def settings_form(request: Request) -> Response:
    who = await visitor(request)
    if not who.logged_in:
        return redirect(request, "/account/login?next=/account/settings")
    done = request.query_params.get("done", "")
    return await _settings_page(request, done=done if done in ("saved", "password") else "")


@page
async def settings_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    who = await visitor(request)
    if not who.logged_in:
        return redirect(request, "/account/login?next=/account/settings")
    language = fields.get("language") or None
    size = fields.get("page_size", "")
    try:
        await call(customers.update_settings, who.scope, timezone=fields.get("timezone", ""),
                   language=language, page_size=int(size) if size.isdigit() and len(size) < 5
                   else -1, sms=fields.get("sms") == "on", phone=fields.get("phone", ""))
    except FormInvalid as invalid:
        return await _settings_page(request, invalid.errors, status=400, typed=fields)
    return redirect(request, "/account/settings?done=saved")


@page
async def password_submit(request: Request) -> Response:
    fields, _files = await read_form(request)
    who = await visitor(request)
    if not who.logged_in:
        return redirect(request, "/account/login?next=/account/settings")
    try:
        if fields.get("password", "") != fields.get("password2", ""):
            raise FormInvalid({"password2": "mismatch"})
        await call(customers.change_password, who.scope, fields.get("current_password", ""),
                   fields.get("password", ""), who.session_token)
    except FormInvalid as invalid:
        return await _settings_page(request, invalid.errors, status=400)
    return redirect(request, "/account/settings?done=password")


@page
async def switch_language(request: Request) -> Response:
    """The language menu: a cookie for everyone, the account setting when logged in."""
    fields, _files = await read_form(request)
    language = fields.get("language", "")
    if language not in i18n.LANGUAGES:
        language = i18n.DEFAULT
    who = await visitor(request)
    if who.logged_in:
        await call(customers.set_language, who.scope, language)
    response = redirect(request, safe_next(fields.get("next")))
    set_cookie(request, response, LANG_COOKIE, language, 365 * 24 * 3600)
    return response


routes = [
    Route("/account/login", login_form, methods=["GET"]),
    Route("/account/login", login_submit, methods=["POST"]),
    Route("/account/logout", logout, methods=["POST"]),
    Route("/account/register", register_form, methods=["GET"]),
    Route("/account/register", register_submit, methods=["POST"]),
    Route("/account/forgot", forgot_form, methods=["GET"]),
    Route("/account/forgot", forgot_submit, methods=["POST"]),
    Route("/account/confirm/{token}", link_form, methods=["GET"]),
    Route("/account/confirm/{token}", link_submit, methods=["POST"]),
    Route("/account/reset/{token}", link_form, methods=["GET"]),
    Route("/account/reset/{token}", link_submit, methods=["POST"]),
    Route("/account/settings", settings_form, methods=["GET"]),
    Route("/account/settings", settings_submit, methods=["POST"]),
    Route("/account/password", password_submit, methods=["POST"]),
    Route("/lang", switch_language, methods=["POST"]),
]
