"""What every portal page shares: who is asking, language, CSRF, strict form reading,
rendering, and the one error page.

Routes call services only through `call` (a worker thread, so a database wait never blocks
the event loop); nothing here touches the database itself.
"""

from __future__ import annotations

import functools
import logging
import secrets
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup
from python_multipart.multipart import create_form_parser
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from deskterm import clock, i18n
from deskterm.config import Config
from deskterm.domain import (
    BadInput,
    Conflict,
    CustomerScope,
    DomainError,
    NewAttachment,
    NotFound,
    RateLimited,
    Refused,
)
from deskterm.services.portal import customer_zone, customers, tracking
from deskterm.services.portal.portal_settings import PortalSettings
from deskterm.services.when import written

log = logging.getLogger("deskterm.portal")
SESSION_COOKIE = "dt_session"
CSRF_COOKIE = "dt_csrf"
LANG_COOKIE = "dt_lang"
MAX_FIELDS = 60
TEMPLATES = Path(__file__).parent / "templates"

#: Bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) in a subject, a
#: name or a message would reorder what the page shows (`\u202eevil` drawn as "live"):
#: pages print every value without them, as the console and the CLI do. Marks (LRM, RLM)
#: and ZWNJ stay; they only guide the order and the joining of Persian letters.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _shown(value: Any) -> Any:
    """Every `{{ value }}` of a template, bidi controls left out (escaping stays Jinja's)."""
    if not isinstance(value, str):
        return value
    if isinstance(value, Markup):
        return Markup(str.translate(value, _BIDI_CONTROLS))
    return value.translate(_BIDI_CONTROLS)


_env = jinja2.Environment(
    finalize=_shown,
    loader=jinja2.FileSystemLoader(str(TEMPLATES)),
    autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


async def call(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a (blocking) service call in a worker thread."""
    return await run_in_threadpool(func, *args, **kwargs)


# --- who is asking ------------------------------------------------------------------


@dataclass
class Visitor:
    """The request's customer (None: anonymous), language and time zone."""

    scope: CustomerScope | None
    session_token: str
    language: str
    timezone: str
    page_size: int = 20
    set_cookies: dict[str, str] = field(default_factory=dict)

    @property
    def logged_in(self) -> bool:
        return self.scope is not None


def _unsigned(value: str | None, purpose: str) -> str:
    """The token inside a signed cookie value, or "" if it is missing or forged."""
    token, _, signature = (value or "").partition("~")
    if not token or not signature or len(value or "") > 300:
        return ""
    return token if tracking.verify(f"{purpose}:{token}", signature) else ""


def signed(token: str, purpose: str) -> str:
    return f"{token}~{tracking.sign(f'{purpose}:{token}')}"


def _visitor_sync(session_cookie: str | None, lang_cookie: str | None,
                  accept: str | None, config: Config) -> Visitor:
    token = _unsigned(session_cookie, "session")
    scope = customers.session_scope(token) if token else None
    language, page_size = None, 20
    if scope is not None:
        info = customers.account(scope)
        language, timezone, page_size = info.language, info.timezone, info.page_size
    else:
        timezone = customer_zone.desk_zone(config)
    if language is None and lang_cookie in i18n.LANGUAGES:
        language = lang_cookie
    return Visitor(scope, token if scope else "", language or i18n.negotiate(accept),
                   timezone, page_size)


async def visitor(request: Request) -> Visitor:
    """Who is asking (cached on the request)."""
    if "visitor" not in request.state._state:
        request.state.visitor = await call(
            _visitor_sync, request.cookies.get(SESSION_COOKIE), request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"), request.app.state.config)
    return request.state.visitor


def settings(request: Request) -> PortalSettings:
    return request.app.state.settings


def base_url(request: Request) -> str:
    """Where links in mail point: the configured portal URL, else this server."""
    return settings(request).url or str(request.base_url).rstrip("/")


def secure(request: Request) -> bool:
    mode = settings(request).secure_cookies
    return mode == "always" or (mode == "auto" and request.url.scheme == "https")


def set_cookie(request: Request, response: Response, name: str, value: str,
               max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=secure(request), path="/")


# --- CSRF ------------------------------------------------------------------------------


def csrf_token(request: Request) -> str:
    """The token for this browser's forms (a CSRF cookie is set on first use)."""
    seed = request.cookies.get(CSRF_COOKIE, "")
    if not (20 <= len(seed) <= 64 and seed.isascii()):
        seed = request.state._state.get("new_csrf") or secrets.token_urlsafe(24)
        request.state.new_csrf = seed
    return tracking.sign(f"csrf:{seed}")


def check_csrf(request: Request, form: dict[str, Any]) -> None:
    seed = request.cookies.get(CSRF_COOKIE, "")
    token = form.get("csrf")
    if not seed or not isinstance(token, str) or not tracking.verify(f"csrf:{seed}", token):
        raise HTTPException(403, "csrf")


# --- forms ------------------------------------------------------------------------------


class FormError(Exception):
    """A request body that is not a well-formed form (400) or too large (413)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status, self.code = status, code


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise FormError(413, "too_large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise FormError(413, "too_large")
        chunks.append(chunk)
    return b"".join(chunks)


def _text(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(400, "not_utf8") from None


async def read_form(request: Request) -> tuple[dict[str, str], list[tuple[str, str, bytes]]]:
    """The form's text fields (strict UTF-8; repeated names keep the first) and its files
    as (field, filename, bytes); checks the CSRF token. FormError for a malformed body."""
    portal = settings(request)
    limit = portal.max_upload_bytes * portal.max_files + 1024 * 1024
    raw = await _body(request, limit)
    content_type = request.headers.get("content-type", "")
    fields: dict[str, str] = {}
    files: list[tuple[str, str, bytes]] = []
    if content_type.startswith("application/x-www-form-urlencoded"):
        try:
            pairs = urllib.parse.parse_qsl(raw.decode("ascii"), keep_blank_values=True,
                                           errors="strict", max_num_fields=MAX_FIELDS)
        except (UnicodeDecodeError, ValueError):
            raise FormError(400, "not_utf8") from None
        for key, value in pairs:
            fields.setdefault(key, value)
    elif content_type.startswith("multipart/form-data"):
        parts: list[tuple[str, bytes | None, bytes]] = []

        def on_field(item) -> None:
            parts.append((_text(item.field_name or b""), None, item.value or b""))

        def on_file(item) -> None:
            item.file_object.seek(0)
            parts.append((_text(item.field_name or b""), item.file_name or b"",
                          item.file_object.read()))

        try:
            parser = create_form_parser({"Content-Type": content_type.encode("latin-1")},
                                        on_field, on_file,
                                        config={"MAX_MEMORY_FILE_SIZE": limit})
            parser.write(raw)
            parser.finalize()
        except FormError:
            raise
        except Exception:  # the parser's own errors: a broken body, not our fault
            raise FormError(400, "bad_form") from None
        if len(parts) > MAX_FIELDS:
            raise FormError(400, "bad_form")
        for name, filename, data in parts:
            if filename is None:
                fields.setdefault(name, _text(data))
            elif filename or data:
                files.append((name, _text(filename), data))
    elif raw:
        raise FormError(400, "bad_form")
    check_csrf(request, fields)
    return fields, files


def uploads(files: list[tuple[str, str, bytes]]) -> list[NewAttachment]:
    from deskterm.services.portal.customer_tickets import upload

    return [upload(name, data) for field_name, name, data in files if field_name == "files"]


# --- rendering ------------------------------------------------------------------------------


def time_element(moment: datetime | None, timezone: str) -> Markup:
    """A stored instant as the customer reads it: in their zone with its offset, written as
    every face writes times (`2026-12-01 14:05 +01:00`), isolated left to right so a Persian
    page does not reorder it; the `datetime` attribute is UTC. "" for None."""
    if moment is None:
        return Markup("")
    instant = clock.to_utc(moment).replace(microsecond=0)
    return Markup('<time dir="ltr" datetime="{}">{}</time>').format(
        instant.isoformat(), written(instant, i18n.zone(timezone)))


def ltr_in(sentence: str, **values: object) -> Markup:
    """A translated `sentence` with each `%(name)s` / `%(name)d` filled by its value,
    isolated left to right (`<bdi dir="ltr">`): a time zone, a phone number, `10 MB` or
    a list of file types keep their order in a right-to-left paragraph."""
    result = str(Markup.escape(sentence))
    for name, value in values.items():
        piece = str(Markup('<bdi dir="ltr">{}</bdi>').format(value))
        result = result.replace(f"%({name})s", piece).replace(f"%({name})d", piece)
    return Markup(result)


async def render(request: Request, template: str, context: dict[str, Any] | None = None,
                 status: int = 200, timezone: str | None = None) -> HTMLResponse:
    """A page in the visitor's language and direction, its times in `timezone` (default:
    the visitor's zone), which the page names (`zone`)."""
    who = await visitor(request)
    timezone = timezone or who.timezone
    _ = i18n.gettext_for(who.language)
    values = {
        "request": request,
        "_": _,
        "ngettext": i18n.translations(who.language).ngettext,
        "lang": who.language,
        "dir": i18n.direction(who.language),
        "languages": i18n.LANGUAGES,
        "visitor": who,
        "csrf": csrf_token(request),
        "when": lambda value: time_element(value, timezone),
        "zone": timezone,
        "ltr_in": ltr_in,
        "desk_name": request.app.state.desk_name,
        "path": request.url.path,
        **(context or {}),
    }
    html = _env.get_template(template).render(values)
    response = HTMLResponse(html, status_code=status)
    finish(request, response)
    return response


def finish(request: Request, response: Response) -> None:
    """Headers every portal response carries (and a new CSRF cookie if one was made)."""
    new = request.state._state.get("new_csrf")
    if new:
        set_cookie(request, response, CSRF_COOKIE, new, None)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'")
    response.headers.setdefault("Cache-Control", "no-store")


def redirect(request: Request, url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    finish(request, response)
    return response


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go back to (never another site)."""
    target = target or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target[:500]
    return default


# --- errors -------------------------------------------------------------------------------

def N_(message: str) -> str:
    """Mark a string for the catalogue; it is translated where it is shown."""
    return message


#: Status -> message (translated when shown).
_ERRORS = {
    400: N_("The request could not be understood."),
    403: N_("This page or action is not available."),
    404: N_("We could not find that page or ticket."),
    405: N_("This page or action is not available."),
    409: N_("Someone changed this ticket just now. Please reload and try again."),
    410: N_("This link has expired."),
    413: N_("The upload is too large."),
    429: N_("Too many attempts. Please wait a few minutes and try again."),
    500: N_("Something went wrong on our side. Please try again later."),
}


async def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    """The one error page: a clean message in the visitor's language, never a traceback."""
    status = status if status in _ERRORS else (400 if status < 500 else 500)
    try:
        who = await visitor(request)
        _ = i18n.gettext_for(who.language)
        message = _(_ERRORS[status])
        if detail == "csrf":
            message = _("This form has expired. Please go back, reload the page and try again.")
        elif detail == "not_utf8":
            message = _("The form contained text that is not valid UTF-8.")
        elif detail == "expired_link":
            message = _("This link has expired. Open the link in a newer e-mail from us, "
                        "or log in to see your tickets.")
        response = await render(request, "error.html", {"status": status, "message": message},
                                status=status)
    except Exception:  # the error page itself must never fail
        log.exception("error page failed")
        response = HTMLResponse("<!DOCTYPE html><title>Error</title><p>Error</p>",
                                status_code=status)
    if status == 429 and detail and detail.isdigit():
        response.headers["Retry-After"] = detail
    return response


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's exception handler for HTTPException (unknown URL, wrong method...)."""
    status = getattr(exc, "status_code", 500)
    return await error_page(request, status, getattr(exc, "detail", None))


def status_for(error: DomainError) -> tuple[int, str | None]:
    from deskterm.services.portal.tracking import LinkExpired

    if isinstance(error, LinkExpired):
        return 410, "expired_link"
    if isinstance(error, RateLimited):
        return 429, str(error.retry_after)
    if isinstance(error, NotFound):
        return 404, None
    if isinstance(error, Conflict):
        return 409, None
    if isinstance(error, BadInput):
        return 400, None
    if isinstance(error, Refused):
        return 403, None
    return 400, None


Endpoint = Callable[[Request], Awaitable[Response]]


def page(endpoint: Endpoint) -> Endpoint:
    """Wrap a route: domain errors, bad forms and surprises become the clean error page."""

    @functools.wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except HTTPException as error:
            return await error_page(request, error.status_code, error.detail)
        except FormError as error:
            return await error_page(request, error.status, error.code)
        except DomainError as error:
            status, detail = status_for(error)
            return await error_page(request, status, detail)
        except Exception:
            log.exception("portal error on %s", request.url.path)
            return await error_page(request, 500)

    return wrapped
