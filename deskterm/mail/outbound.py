"""Deliver the outbox: build MIME messages and send them over SMTP (or into a local Maildir).

Retries back off (1 min, 5 min, 15 min, 1 h, 3 h, 6 h, 12 h) and give up after the last;
a permanent SMTP refusal (5xx) fails at once. With no SMTP host configured, mail goes to a
Maildir under the data dir so a laptop demo shows real messages.
"""

from __future__ import annotations

import html
import mailbox as std_mailbox
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from deskterm import clock
from deskterm.config import Config, SmtpSettings
from deskterm.domain import AttachmentInfo, Delivery
from deskterm.mail import ids
from deskterm.services.messaging import mailbox
from deskterm.services.messaging.mailbox import OutboxItem

BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60, 180, 360, 720)]


def retry_delay(attempts_before: int) -> timedelta | None:
    """How long to wait after failed try number `attempts_before + 1` (None: give up)."""
    return BACKOFF[attempts_before] if attempts_before < len(BACKOFF) else None


_URL = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def _html_body(text: str, language: str = "en", subject: str = "") -> str:
    """The HTML alternative: the text (escaped, links clickable) in the admin-editable
    layout, right-to-left for Persian; the body token hidden from view."""
    from deskterm.services.messaging.mail_text import direction
    from deskterm.services.messaging.notifications import html_layout

    visible = html.escape(ids.strip_tokens(text).rstrip())
    visible = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', visible)
    hidden = "".join(
        f'<span style="display:none;font-size:0;max-height:0">{html.escape(t)}</span>'
        for t in ids.find_tokens(text)
    )
    values = {"lang": html.escape(language), "dir": direction(language),
              "subject": html.escape(subject), "body": visible, "hidden": hidden}
    return re.sub(r"\{(lang|dir|subject|body|hidden)\}", lambda m: values[m.group(1)],
                  html_layout())


def build_message(
    item: OutboxItem,
    attachments: Sequence[tuple[AttachmentInfo, bytes]] = (),
    sender: str = "deskterm <support@deskterm.example>",
) -> EmailMessage:
    """The MIME message for an outbox item: text + HTML alternative + attachments."""
    msg = EmailMessage()
    headers = dict(item.headers)
    msg["From"] = headers.pop("From", sender)
    msg["To"] = ", ".join(item.to)
    if item.cc:
        msg["Cc"] = ", ".join(item.cc)
    msg["Subject"] = item.subject
    msg["Date"] = format_datetime(clock.now())
    msg["Message-ID"] = item.message_id
    language = headers.pop("Content-Language", "en")
    for name, value in headers.items():
        msg[name] = value
    msg.set_content(item.body, cte="quoted-printable")
    msg.add_alternative(_html_body(item.body, language, item.subject), subtype="html",
                        cte="quoted-printable")
    msg["Content-Language"] = language  # after the content: set_content drops Content-*
    for meta, data in attachments:
        maintype, _, subtype = (meta.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            data, maintype=maintype or "application", subtype=subtype or "octet-stream",
            filename=meta.filename,
        )
    return msg


class Transport(Protocol):
    def send(self, msg: EmailMessage) -> None: ...
    def close(self) -> None: ...


class MaildirTransport:
    """Writes each message into a local Maildir (the demo default)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.box = std_mailbox.Maildir(str(path), create=True)

    def send(self, msg: EmailMessage) -> None:
        self.box.add(msg.as_bytes())

    def close(self) -> None:
        self.box.close()


class Unreachable(OSError):
    """The SMTP server could not be reached or refused the session (not one message)."""


class SmtpTransport:
    """One SMTP session (connected lazily) for a batch of messages."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context(cafile=s.ca_file or None)
        if s.security == "ssl":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=context
            )
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.security == "starttls":
                client.starttls(context=context)
        if s.user:
            client.login(s.user, s.password)
        return client

    def send(self, msg: EmailMessage) -> None:
        if self.client is None:
            try:
                self.client = self._connect()
            except (smtplib.SMTPException, OSError) as error:
                raise Unreachable(f"{self.settings.host}:{self.settings.port}: "
                                  f"{_describe(error)}") from error
        try:
            self.client.send_message(msg)
        except smtplib.SMTPServerDisconnected:
            self.client = None
            raise

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.client = None


def local_outbox_dir(config: Config) -> Path:
    """The Maildir that receives outgoing mail when no SMTP host is configured."""
    if config.mail.outbox_dir:
        return Path(config.mail.outbox_dir)
    return mailbox.mail_dir() / "outbox"


def transport_for(config: Config) -> Transport:
    """SMTP when a host is configured, else the local Maildir."""
    if config.mail.smtp.host:
        return SmtpTransport(config.mail.smtp)
    return MaildirTransport(local_outbox_dir(config))


def _permanent(error: Exception) -> bool:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError)
    return False


def _describe(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPResponseException):
        message = error.smtp_error
        text = message.decode("utf-8", "replace") if isinstance(message, bytes) else str(message)
        return f"{error.smtp_code} {text}"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{rcpt}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
            for rcpt, (code, msg) in error.recipients.items()
        )
    return f"{type(error).__name__}: {error}"


@dataclass
class SendSummary:
    sent: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def _record_failure(summary: SendSummary, item: OutboxItem, error: str, *, permanent: bool) -> None:
    delay = None if permanent else retry_delay(item.attempts)
    status = mailbox.mark_deferred(item.id, error, delay)
    (summary.failed if status is Delivery.FAILED else summary.deferred).append(item.id)


def send_due(
    config: Config, *, limit: int = 100, transport: Transport | None = None
) -> SendSummary:
    """Deliver every due outbox message once; record sent / deferred / failed for each."""
    summary = SendSummary()
    items = mailbox.due_outbox(limit)
    if not items:
        return summary
    texts = [i for i in items if i.channel == "sms"]
    items = [i for i in items if i.channel != "sms"]
    if texts:
        _send_sms(config, texts, summary)
    if not items:
        return summary
    transport = transport or transport_for(config)
    try:
        sender = f"{config.desk_name} <{config.mail.address}>"
        for item in items:
            try:
                msg = build_message(item, mailbox.outbox_attachments(item.entry_id), sender)
            except Exception as error:  # a broken row must not hold up the rest
                mailbox.mark_deferred(item.id, f"cannot build the message: {error!r}", None)
                summary.failed.append(item.id)
                continue
            try:
                transport.send(msg)
            except Unreachable as error:  # the server, not this message: try again later
                for waiting in items[items.index(item):]:
                    _record_failure(summary, waiting, str(error), permanent=False)
                break
            except (smtplib.SMTPException, OSError) as error:
                if isinstance(transport, SmtpTransport):
                    transport.close()  # start clean for the next message
                _record_failure(summary, item, _describe(error), permanent=_permanent(error))
                continue
            mailbox.mark_sent(item.id)
            summary.sent.append(item.id)
    finally:
        transport.close()
    return summary


def _send_sms(config: Config, items: list[OutboxItem], summary: SendSummary) -> None:
    """SMS outbox messages through the configured gateway, with the same delivery states."""
    from deskterm.sms import SmsRejected, SmsTemporary, gateway_for

    gateway = gateway_for(config.sms, mailbox.mail_dir() / "sms")
    for item in items:
        try:
            gateway.send(item.to[0], item.body)
        except SmsTemporary as error:
            _record_failure(summary, item, f"sms: {error}", permanent=False)
            continue
        except SmsRejected as error:
            _record_failure(summary, item, f"sms: {error}", permanent=True)
            continue
        mailbox.mark_sent(item.id)
        summary.sent.append(item.id)


def send_pending(limit: int = 100) -> SendSummary:
    """Deliver due outbox messages with the current config (the console's background job).

    Call it from a worker thread inside `services.desk.worker_connection()`.
    """
    from deskterm.services.messaging.notifications import current_config

    return send_due(current_config(), limit=limit)
