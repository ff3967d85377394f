"""SMTP with STARTTLS and AUTH against a real aiosmtpd server on loopback with a
self-signed certificate: the desk verifies the certificate, logs in, and a wrong password
or an untrusted certificate defers the mail instead of losing it."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from dataclasses import replace
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from deskterm.config import SmtpSettings
from deskterm.mail.outbound import send_due
from deskterm.services import tickets
from deskterm.services.directory import actor_for
from deskterm.services.messaging import notifications
from deskterm.store.models import OutboxMessage

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None,
                                reason="needs the openssl command to make a certificate")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self) -> None:
        self.messages = []
        self.logins: list[tuple[str, bool]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        self.messages.append((session.authenticated, message_from_bytes(envelope.content,
                                                                         policy=policy.default)))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login, auth_data.password) == (b"desk", b"s3cret")
        self.logins.append((mechanism, ok))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls_smtp(certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            require_starttls=True, auth_required=True, auth_require_tls=True,
                            authenticator=inbox.authenticate)
    controller.start()
    yield inbox, controller.port, cert
    controller.stop()


def _config(mail_desk, port, cert, **changes):
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="starttls", user="desk",
                        password="s3cret", timeout=5, ca_file=str(cert))
    config = replace(mail_desk, mail=replace(mail_desk.mail, smtp=replace(smtp, **changes)))
    notifications.use_config(config)
    return config


def _reply(text="Fixed, please try again."):
    made = tickets.create_ticket(actor_for("ana"), subject="Printer", body="It is broken",
                                 requester_email="jana@customer.example", channel="email")
    tickets.reply(actor_for("ana"), made.id, text)
    return made.id


def test_starttls_and_login_deliver_the_mail(mail_desk, tls_smtp):
    inbox, port, cert = tls_smtp
    config = _config(mail_desk, port, cert)
    ticket_id = _reply()
    summary = send_due(config)
    assert len(summary.sent) == 2 and not summary.deferred
    assert inbox.logins and all(ok for _, ok in inbox.logins)
    (authenticated, confirmation), (_, reply) = inbox.messages
    assert authenticated is True
    assert reply["Subject"] == f"Re: [#{ticket_id}] Printer"
    assert "Fixed, please try again." in reply.get_body(("plain",)).get_content()


def test_wrong_password_and_untrusted_certificate_defer(mail_desk, tls_smtp, tmp_path):
    inbox, port, cert = tls_smtp
    _reply()
    wrong = send_due(_config(mail_desk, port, cert, password="nope"))
    assert len(wrong.deferred) == 2 and inbox.messages == []
    assert {row.status for row in OutboxMessage.select()} == {"deferred"}
    assert "535" in OutboxMessage.select().first().last_error
    OutboxMessage.update(status="queued", next_attempt_at=None).execute()
    untrusted = send_due(_config(mail_desk, port, cert, ca_file=""))
    assert len(untrusted.deferred) == 2 and inbox.messages == []
    assert "CERTIFICATE_VERIFY_FAILED" in OutboxMessage.select().first().last_error
