"""`mail fetch` and `mail watch --once` end to end against a real Dovecot on loopback: a
throw-away Maildir, a self-signed certificate, LOGIN over STARTTLS and over IMAPS.

Dovecot comes from Debian's dovecot-imapd (`.ci/run` installs it); without it these tests
skip locally, and fail on CI, where it must be there.
"""

from __future__ import annotations

import imaplib
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.store.models import Ticket

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists()
                                      else None)
USER, PASSWORD = "desk", "s3cret"

if DOVECOT is None or shutil.which("openssl") is None or os.geteuid() != 0:
    if os.environ.get("CI"):
        raise RuntimeError("CI must provide Dovecot (dovecot-imapd), openssl and root")
    pytestmark = pytest.mark.skip(reason="needs Debian's dovecot-imapd, openssl and root "
                                         "(.ci/run installs them)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid=65534 gid=65534 home={root}/home/%u
}}
mail_location = maildir:~/Maildir
first_valid_uid = 1
namespace inbox {{
  inbox = yes
  mailbox Processed {{
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap}
  }}
  inet_listener imaps {{
    port = {imaps}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@pytest.fixture(scope="module")
def dovecot():
    # Dovecot's own users (dovecot, nobody) must reach these files: not under pytest's
    # private (0700) tmp folder
    root = Path(tempfile.mkdtemp(prefix="deskterm-dovecot-"))
    root.chmod(0o755)
    for name in ("run", "state", "home"):
        (root / name).mkdir()
    shutil.chown(root / "home", "nobody", "nogroup")
    (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    (root / "users").chmod(0o644)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
                   check=True, capture_output=True)
    ports = {"imap": _free_port(), "imaps": _free_port()}
    conf = root / "dovecot.conf"
    conf.write_text(CONFIG.format(root=root, **ports))
    # in the foreground (-F), so the fixture owns the process and ends it
    server = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", ports["imap"]), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    yield {"root": root, "cert": root / "cert.pem", **ports}
    server.terminate()
    server.wait(timeout=15)
    shutil.rmtree(root, ignore_errors=True)


def _client(server) -> imaplib.IMAP4:
    client = imaplib.IMAP4("127.0.0.1", server["imap"], timeout=10)
    client.starttls(ssl_context=ssl.create_default_context(cafile=str(server["cert"])))
    client.login(USER, PASSWORD)
    return client


def _deliver(server, *messages: bytes) -> None:
    client = _client(server)
    for raw in messages:
        client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), raw)
    client.logout()


def _count(server, folder: str) -> int:
    client = _client(server)
    status, data = client.select(folder)
    client.logout()
    assert status == "OK"
    return int(data[0])


def _empty(server) -> None:
    client = _client(server)
    for folder in ("INBOX", "Processed"):
        _, data = client.select(folder)
        if int(data[0]):
            client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
            client.expunge()
    client.logout()


def _mail(n: int, sender: str = "jana@customer.example", **headers) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = sender, "support@desk.example"
    msg["Subject"], msg["Message-ID"] = f"Štampač broj {n} ne radi", f"<imap-{n}@customer.example>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(f"Poštovani, štampač broj {n} ne radi od jutros.")
    return bytes(msg)


def _run(desk, server, *args, security="starttls", password=PASSWORD):
    port = server["imap"] if security == "starttls" else server["imaps"]
    config = Path(os.environ["DESKTERM_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[mail]\naddress = "support@desk.example"\n[mail.imap]\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "{security}"\nuser = "{USER}"\npassword = "{password}"\n'
        f'ca_file = "{server["cert"]}"\ntimeout = 10\n', encoding="utf-8")
    return CliRunner().invoke(app, ["--db", str(desk), "--as", "ana", "mail", *args])


def test_fetch_over_starttls_imports_and_moves_every_message(desk, dovecot):
    _empty(dovecot)
    _deliver(dovecot, _mail(1), _mail(2, "ivo@example.hr"),
             _mail(3, Auto_Submitted="auto-replied"))
    result = _run(desk, dovecot, "fetch", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"] == {"created": 2, "ignored": 1}
    assert sorted(t.subject for t in Ticket.select()) == [
        "Štampač broj 1 ne radi", "Štampač broj 2 ne radi"]
    assert (_count(dovecot, "INBOX"), _count(dovecot, "Processed")) == (0, 3)
    again = _run(desk, dovecot, "fetch", "--json")
    assert json.loads(again.stdout)["counts"] == {}


def test_watch_once_over_imaps_and_a_wrong_password(desk, dovecot):
    _empty(dovecot)
    _deliver(dovecot, _mail(4))
    watched = _run(desk, dovecot, "watch", "--once", security="ssl")
    assert watched.exit_code == 0, watched.output
    assert "in: {'created': 1}; out: 1 sent" in watched.stdout
    assert _count(dovecot, "Processed") == 1
    _deliver(dovecot, _mail(5))
    refused = _run(desk, dovecot, "fetch", security="ssl", password="wrong")
    assert refused.exit_code == 1 and "Traceback" not in refused.output
    assert "AUTHENTICATIONFAILED" in refused.output or "Authentication failed" in refused.output
    assert _count(dovecot, "INBOX") == 1  # nothing taken
