"""Customer accounts for the portal: registration, passwords, sessions, settings.

Passwords are hashed with argon2id (argon2-cffi). Registration sends a one-time link (or,
with `registration = "password"`, a generated password) through the outbox; nothing a
visitor sees tells whether an address already has an account. Failed logins are counted
per account and per address: `ACCOUNT_LIMIT` / `ADDRESS_LIMIT` in `WINDOW`, then refused
until the window has passed. Sessions and one-time links keep only the sha256 of their
token, so a copy of the database opens nobody's account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from email.utils import make_msgid

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from deskterm import clock, i18n
from deskterm.domain import (
    Actor,
    BadInput,
    CustomerAccountInfo,
    CustomerScope,
    Delivery,
    FormInvalid,
    RateLimited,
    Refused,
)
from deskterm.services import directory
from deskterm.services.trust import audit
from deskterm.store.db import retry_when_busy, write_transaction
from deskterm.store.models import (
    Contact,
    CustomerAccount,
    LoginFailure,
    OutboxMessage,
    PortalLink,
    PortalSession,
)

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
WINDOW = timedelta(minutes=15)
LINK_LIFETIME = {"confirm": timedelta(hours=48), "reset": timedelta(hours=2)}
MIN_PASSWORD = 10
MAX_NAME = 200  # as the new-ticket form takes it
MAX_PASSWORD = 1024
PAGE_SIZES = (10, 20, 50, 100)

#: argon2id, 64 MiB, 3 passes (argon2-cffi defaults, RFC 9106 low-memory profile).
HASHER = PasswordHasher()
_dummy_hash: str | None = None
_WRONG = "wrong e-mail address or password"


def _now():
    return clock.to_db(clock.now())


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def _info(account: CustomerAccount, contact: Contact) -> CustomerAccountInfo:
    return CustomerAccountInfo(
        id=account.id, email=contact.email, name=contact.name, language=account.language,
        timezone=account.timezone, page_size=account.page_size,
        sms_opt_in=bool(contact.sms_opt_in), phone=contact.phone,
    )


def _scope(account: CustomerAccount) -> CustomerScope:
    contact = Contact.get_by_id(account.contact_id)
    return CustomerScope(contact_id=contact.id, email=contact.email, account_id=account.id)


def check_password(password: str) -> None:
    """FormInvalid unless `password` is long enough (and not absurdly long)."""
    if len(password or "") < MIN_PASSWORD:
        raise FormInvalid({"password": "too_short"})
    if len(password) > MAX_PASSWORD:
        raise FormInvalid({"password": "too_long"})


# --- outgoing account mail ------------------------------------------------------------


#: At most this many account mails (links, passwords) to one address per hour, so nobody
#: can flood a stranger's mailbox from the registration or reset form.
MAIL_LIMIT = 3


def _mail_allowed(to: str) -> bool:
    since = clock.to_db(clock.now() - timedelta(hours=1))
    sent = (OutboxMessage.select()
            .where((OutboxMessage.to_addrs == to) & (OutboxMessage.kind == "portal_account")
                   & (OutboxMessage.created_at >= since)).count())
    return sent < MAIL_LIMIT


def _queue_mail(to: str, language: str, subject: str, body: str, desk: str,
                address: str, domain: str) -> None:
    OutboxMessage.insert(
        ticket=None, entry=None, kind="portal_account", to_addrs=to, subject=subject, body=body,
        message_id=make_msgid(domain=domain),
        headers=_headers(desk, address), status=Delivery.QUEUED.value, created_at=_now(),
    ).execute()


def _headers(desk: str, address: str) -> str:
    import json

    return json.dumps({"From": f"{desk} <{address}>", "Auto-Submitted": "auto-generated",
                       "X-Auto-Response-Suppress": "All"}, ensure_ascii=False)


def _mail_context():
    from deskterm.services.messaging.notifications import current_config

    config = current_config()
    return config.desk_name, config.mail.address, config.mail.domain


def _send_link(account: CustomerAccount, email: str, purpose: str, base_url: str,
               language: str) -> None:
    if not _mail_allowed(email):
        return
    token = secrets.token_urlsafe(32)
    PortalLink.create(account=account.id, purpose=purpose, token_hash=_digest(token),
                      created_at=_now(), expires_at=clock.to_db(clock.now()
                                                                + LINK_LIFETIME[purpose]))
    _ = i18n.gettext_for(language)
    desk, address, domain = _mail_context()
    url = f"{base_url.rstrip('/')}/account/{purpose}/{token}"
    if purpose == "confirm":
        subject = _("Confirm your account at %(desk)s") % {"desk": desk}
        text = _("Open this link to choose your password and finish registering:")
        hours = 48
    else:
        subject = _("Reset your password at %(desk)s") % {"desk": desk}
        text = _("Open this link to choose a new password:")
        hours = 2
    valid = _("The link works once, for %(hours)d hours. If you did not ask for it, "
              "ignore this message.") % {"hours": hours}
    _queue_mail(email, language, subject, f"{text}\n\n{url}\n\n{valid}\n\n{desk}\n", desk,
                address, domain)


# --- registration ------------------------------------------------------------------------


@retry_when_busy
def register(email: str, name: str, *, language: str, base_url: str,
             mode: str = "link") -> None:
    """Start an account for `email`: a one-time link (or a generated password) by mail.

    An address that already has a working account gets a password-reset link instead, so
    the page a visitor sees is the same either way.
    """
    try:
        address = directory.normalise_email(email)
    except BadInput:
        raise FormInvalid({"email": "invalid_email"}) from None
    name = (name or "").strip()
    if len(name) > MAX_NAME:
        raise FormInvalid({"name": "too_long"})
    with write_transaction():
        contact = directory.ensure_contact_row(address, name or None)
        account = CustomerAccount.get_or_none(CustomerAccount.contact == contact.id)
        if account is None:
            from deskterm.services.messaging.notifications import current_config
            from deskterm.services.portal.customer_zone import desk_zone

            account = CustomerAccount.create(contact=contact.id, language=language,
                                             timezone=desk_zone(current_config()),
                                             created_at=_now())
            audit.record(None, Actor("customer", address, contact_id=contact.id),
                         "portal.registered", "customer_account", None, address)
        language = account.language or language
        if account.confirmed_at and account.password_hash:
            _send_link(account, address, "reset", base_url, language)
        elif mode == "password" and _mail_allowed(address):
            password = secrets.token_urlsafe(12)
            account.password_hash = HASHER.hash(password)
            account.save()
            _ = i18n.gettext_for(language)
            desk, desk_address, domain = _mail_context()
            body = "\n\n".join([
                _("Your account at %(desk)s is ready.") % {"desk": desk},
                _("Log in with your e-mail address and this password:") + f"\n\n    {password}",
                _("Change it in Settings after you log in:") + f"\n{base_url}/account/login",
                desk,
            ]) + "\n"
            _queue_mail(address, language, _("Your password for %(desk)s") % {"desk": desk},
                        body, desk, desk_address, domain)
        else:
            _send_link(account, address, "confirm", base_url, language)


@retry_when_busy
def request_reset(email: str, *, language: str, base_url: str) -> None:
    """Mail a password-reset link if the address has an account (silently nothing if not)."""
    try:
        address = directory.normalise_email(email)
    except BadInput:
        return
    with write_transaction():
        contact = Contact.get_or_none(Contact.email == address)
        account = contact and CustomerAccount.get_or_none(CustomerAccount.contact == contact.id)
        if account is not None:
            _send_link(account, address, "reset", base_url, account.language or language)


def link_valid(purpose: str, token: str) -> bool:
    """Whether a one-time link can still be used (for showing the form)."""
    return _live_link(purpose, token) is not None


def _live_link(purpose: str, token: str) -> PortalLink | None:
    link = PortalLink.get_or_none(PortalLink.token_hash == _digest(token or ""))
    if link is None or link.purpose != purpose or link.used_at is not None:
        return None
    if clock.to_utc(link.expires_at) < clock.now():
        return None
    return link


@retry_when_busy
def use_link(purpose: str, token: str, password: str) -> CustomerScope:
    """Set the password through a one-time link (confirm or reset), which then stops
    working; every other session of the account ends. Refused for a used, expired or
    unknown link."""
    check_password(password)
    hashed = HASHER.hash(password)
    with write_transaction():
        link = _live_link(purpose, token)
        if link is None:
            raise Refused("this link has expired or was already used")
        account = CustomerAccount.get_by_id(link.account_id)
        account.password_hash = hashed
        account.confirmed_at = account.confirmed_at or _now()
        account.save()
        PortalLink.update(used_at=_now()).where(
            (PortalLink.account == account.id) & PortalLink.used_at.is_null()
        ).execute()
        PortalSession.delete().where(PortalSession.account == account.id).execute()
        scope = _scope(account)
        audit.record(None, scope.actor, f"portal.{purpose}", "password", None, "set")
    return scope


# --- logging in ---------------------------------------------------------------------------


def _failures(scope: str, key: str) -> int:
    since = clock.to_db(clock.now() - WINDOW)
    return (LoginFailure.select()
            .where((LoginFailure.scope == scope) & (LoginFailure.key == key)
                   & (LoginFailure.at >= since)).count())


def _retry_after(scope: str, key: str) -> int:
    oldest = (LoginFailure.select(LoginFailure.at)
              .where((LoginFailure.scope == scope) & (LoginFailure.key == key)
                     & (LoginFailure.at >= clock.to_db(clock.now() - WINDOW)))
              .order_by(LoginFailure.at).first())
    if oldest is None:
        return 0
    left = clock.to_utc(oldest.at) + WINDOW - clock.now()
    return max(1, int(left.total_seconds()) + 1)


def _verify(password_hash: str | None, password: str) -> bool:
    """Constant work whether or not there is a hash to check (no timing hint either way)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = HASHER.hash(secrets.token_hex(16))
    try:
        return HASHER.verify(password_hash or _dummy_hash, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


@retry_when_busy
def authenticate(email: str, password: str, address: str) -> CustomerScope:
    """The customer for an e-mail and password, from client `address`.

    Refused with one message for a wrong address or password; RateLimited once either the
    account or the address has too many recent failures (then even the right password waits).
    """
    account_key = (email or "").strip().lower()[:320]
    address_key = (address or "unknown")[:100]
    for scope, key, limit in (("account", account_key, ACCOUNT_LIMIT),
                              ("address", address_key, ADDRESS_LIMIT)):
        if _failures(scope, key) >= limit:
            raise RateLimited("too many failed logins; try again later",
                              _retry_after(scope, key))
    contact = Contact.get_or_none(Contact.email == account_key)
    account = contact and CustomerAccount.get_or_none(CustomerAccount.contact == contact.id)
    ok = _verify(account.password_hash if account else None, (password or "")[:MAX_PASSWORD])
    if not ok:
        with write_transaction():
            now = _now()
            LoginFailure.insert_many([
                {"scope": "account", "key": account_key, "at": now},
                {"scope": "address", "key": address_key, "at": now},
            ]).execute()
        raise Refused(_WRONG)
    with write_transaction():
        LoginFailure.delete().where(
            (LoginFailure.scope == "account") & (LoginFailure.key == account_key)
        ).execute()
        if account.confirmed_at is None:  # the generated password proved the address
            account.confirmed_at = _now()
        if HASHER.check_needs_rehash(account.password_hash):
            account.password_hash = HASHER.hash(password)
        account.save()
    return _scope(account)


# --- sessions -------------------------------------------------------------------------------


@retry_when_busy
def start_session(scope: CustomerScope, hours: int) -> str:
    """A new session for a logged-in customer; return the token for the cookie."""
    token = secrets.token_urlsafe(32)
    with write_transaction():
        PortalSession.delete().where(PortalSession.expires_at < _now()).execute()
        PortalSession.create(account=scope.account_id, token_hash=_digest(token),
                             created_at=_now(),
                             expires_at=clock.to_db(clock.now() + timedelta(hours=hours)))
    return token


def session_scope(token: str) -> CustomerScope | None:
    """The customer of a live session token, or None (unknown, ended or expired)."""
    if not token:
        return None
    session = PortalSession.get_or_none(PortalSession.token_hash == _digest(token))
    if session is None or clock.to_utc(session.expires_at) < clock.now():
        return None
    return _scope(CustomerAccount.get_by_id(session.account_id))


@retry_when_busy
def end_session(token: str) -> None:
    """Log out: the session token stops working at once, even if replayed."""
    with write_transaction():
        PortalSession.delete().where(PortalSession.token_hash == _digest(token or "")).execute()


# --- settings --------------------------------------------------------------------------------


def account(scope: CustomerScope) -> CustomerAccountInfo:
    """The settings of the logged-in customer."""
    row = CustomerAccount.get_by_id(scope.account_id)
    return _info(row, Contact.get_by_id(row.contact_id))


#: The longest phone number the settings take (as the new-ticket form).
MAX_PHONE = 40


def _sms_errors(sms: bool, phone: str) -> dict[str, str]:
    if len(phone) > MAX_PHONE:
        return {"phone": "too_long"}
    if phone and not directory.is_phone(phone):
        return {"phone": "invalid_phone"}
    if sms and not phone:
        return {"phone": "phone_for_sms"}
    return {}


@retry_when_busy
def update_settings(scope: CustomerScope, *, timezone: str, language: str | None,
                    page_size: int, sms: bool | None = None,
                    phone: str | None = None) -> CustomerAccountInfo:
    """Change time zone, interface language (None: from the browser), page size and, when
    `sms` is given, SMS notifications and the phone number they go to (an empty number
    removes it). The SMS choice is the contact's, the same one `deskterm mail sms` and the
    new-ticket form set, so notifications honour it whichever face set it last."""
    errors = {}
    if timezone not in time_zones():
        errors["timezone"] = "invalid_choice"
    if language is not None and language not in i18n.LANGUAGES:
        errors["language"] = "invalid_choice"
    if page_size not in PAGE_SIZES:
        errors["page_size"] = "invalid_choice"
    phone = " ".join((phone or "").split())
    if sms is not None:
        errors.update(_sms_errors(sms, phone))
    if errors:
        raise FormInvalid(errors)
    with write_transaction():
        row = CustomerAccount.get_by_id(scope.account_id)
        before = (row.timezone, row.language, row.page_size)
        row.timezone, row.language, row.page_size = timezone, language, page_size
        row.save()
        audit.record(None, scope.actor, "portal.settings", "customer_account",
                     "/".join(map(str, before)), f"{timezone}/{language}/{page_size}")
        if sms is not None:
            contact = Contact.get_by_id(row.contact_id)
            old = _sms_state(bool(contact.sms_opt_in), contact.phone)
            contact.sms_opt_in, contact.phone = sms, phone or None
            contact.save()
            if _sms_state(sms, phone or None) != old:
                audit.record(None, scope.actor, "portal.sms", "sms", old,
                             _sms_state(sms, phone or None))
    return account(scope)


def _sms_state(on: bool, phone: str | None) -> str:
    return f"{'on' if on else 'off'} {phone or '-'}"


@retry_when_busy
def change_password(scope: CustomerScope, current: str, new: str, keep_token: str) -> None:
    """Change the password (the current one is required); other sessions end."""
    row = CustomerAccount.get_by_id(scope.account_id)
    if not _verify(row.password_hash, (current or "")[:MAX_PASSWORD]):
        raise FormInvalid({"current_password": "wrong_password"})
    check_password(new)
    with write_transaction():
        row.password_hash = HASHER.hash(new)
        row.save()
        PortalSession.delete().where(
            (PortalSession.account == row.id) & (PortalSession.token_hash != _digest(keep_token))
        ).execute()
        audit.record(None, scope.actor, "portal.password", "password", None, "changed")


def time_zones() -> frozenset[str]:
    """Every time zone name the customer may choose (as agents: `values.time_zones`)."""
    from deskterm.services.values import time_zones as every_zone

    return every_zone()


@retry_when_busy
def set_language(scope: CustomerScope, language: str) -> None:
    """Keep the language the customer picked from the menu on their account."""
    if language not in i18n.LANGUAGES:
        raise FormInvalid({"language": "invalid_choice"})
    with write_transaction():
        CustomerAccount.update(language=language).where(
            CustomerAccount.id == scope.account_id).execute()
