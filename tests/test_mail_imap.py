"""`mail fetch` against a small but real IMAP4rev1 server on loopback (imaplib on the wire).

The server speaks just the commands deskterm uses (LOGIN, SELECT, UID SEARCH/FETCH/STORE/
MOVE/COPY, EXPUNGE, CLOSE, LOGOUT) over a socket, so imaplib, literals and UIDs are real.
"""

from __future__ import annotations

import re
import socketserver
import threading
from email.message import EmailMessage

import pytest

from deskterm.config import Config, ImapSettings, MailSettings
from deskterm.mail.sources import fetch_imap
from deskterm.services.messaging import mailbox, notifications
from deskterm.services.messaging.inbound import Importer
from deskterm.store.models import Ticket


class Store:
    def __init__(self) -> None:
        self.folders: dict[str, dict[int, dict]] = {"INBOX": {}, "Processed": {}}
        self.next_uid = 1
        self.logins: list[tuple[str, str]] = []
        self.move_supported = True

    def add(self, raw: bytes, folder: str = "INBOX") -> int:
        uid = self.next_uid
        self.next_uid += 1
        self.folders[folder][uid] = {"raw": raw, "flags": set()}
        return uid


class Handler(socketserver.StreamRequestHandler):
    store: Store

    def send(self, line: str | bytes) -> None:
        self.wfile.write(line if isinstance(line, bytes) else line.encode() + b"\r\n")

    def handle(self) -> None:
        store = self.server.store  # type: ignore[attr-defined]
        folder = None
        self.send("* OK test IMAP ready")
        while True:
            line = self.rfile.readline().decode().rstrip("\r\n")
            if not line:
                return
            tag, command, *rest = line.split(" ", 2)
            args = rest[0] if rest else ""
            command = command.upper()
            if command == "CAPABILITY":
                caps = "IMAP4rev1 MOVE" if store.move_supported else "IMAP4rev1"
                self.send(f"* CAPABILITY {caps}")
            elif command == "LOGIN":
                store.logins.append(tuple(a.strip('"') for a in args.split(" ", 1)))
            elif command == "SELECT":
                folder = args.strip('"')
                self.send(f"* {len(store.folders[folder])} EXISTS")
            elif command == "UID":
                self.uid(store, folder, args)
            elif command == "EXPUNGE":
                box = store.folders[folder]
                for uid in [u for u, m in box.items() if "\\Deleted" in m["flags"]]:
                    del box[uid]
            elif command == "LOGOUT":
                self.send("* BYE")
                self.send(f"{tag} OK LOGOUT done")
                return
            self.send(f"{tag} OK {command} done")

    def uid(self, store: Store, folder: str, args: str) -> None:
        sub, rest = args.split(" ", 1)
        box = store.folders[folder]
        sub = sub.upper()
        if sub == "SEARCH":
            keyword = rest.split()[-1] if rest.upper().startswith("UNKEYWORD") else None
            uids = [u for u, m in box.items() if keyword is None or keyword not in m["flags"]]
            self.send("* SEARCH " + " ".join(map(str, uids)))
            return
        uid_text, what = rest.split(" ", 1)
        uid = int(uid_text)
        message = box.get(uid)
        if message is None:
            return
        if sub == "FETCH":
            raw = message["raw"]
            if "RFC822.SIZE" in what:
                self.send(f"* 1 FETCH (UID {uid} RFC822.SIZE {len(raw)})")
            else:
                part = raw.split(b"\r\n\r\n", 1)[0] + b"\r\n\r\n" if "HEADER" in what else raw
                name = "BODY[HEADER]" if "HEADER" in what else "BODY[]"
                self.send(f"* 1 FETCH (UID {uid} {name} {{{len(part)}}}".encode() + b"\r\n"
                          + part + b")\r\n")
        elif sub == "STORE":
            flags = re.search(r"\((.*)\)", what).group(1).split()
            message["flags"].update(flags)
        elif sub in ("MOVE", "COPY"):
            target = what.strip('"')
            store.add(message["raw"], target)
            if sub == "MOVE":
                del box[uid]


@pytest.fixture
def imap_server():
    store = Store()
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.store = store
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield store, server.server_address[1]
    server.shutdown()
    server.server_close()


def mail(n: int, size: int = 0) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Kupac {n} <kupac{n}@customer.example>"
    msg["To"] = "support@desk.example"
    msg["Subject"] = f"Zahtjev broj {n} – čćžšđ"
    msg["Message-ID"] = f"<imap-{n}@customer.example>"
    msg.set_content("Tekst poruke. " + "x" * size)
    return bytes(msg).replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n")


def config_for(port: int, **imap) -> Config:
    settings = dict(host="127.0.0.1", port=port, security="none", user="desk",
                    password="sekret", folder="INBOX")
    settings.update(imap)
    return Config(mail=MailSettings(address="support@desk.example", domain="desk.example",
                                    secret="s", max_bytes=5000, imap=ImapSettings(**settings)))


@pytest.fixture
def wired(desk):
    """Every listener on (SLA, rules, notifications), as in a running desk."""
    yield
    notifications.use_config(None)


def _fetch(config: Config):
    importer = Importer(config)
    return fetch_imap(config.mail.imap, config.mail.max_bytes,
                      lambda source, raw, reason: importer.import_raw(raw, source, reason).status)


@pytest.mark.parametrize("move_supported", [True, False])
def test_fetch_imports_and_moves_processed(wired, imap_server, move_supported):
    store, port = imap_server
    store.move_supported = move_supported
    for n in range(3):
        store.add(mail(n))
    store.add(mail(99, size=10_000))  # too large: quarantined with its headers, not loaded
    config = config_for(port)
    notifications.use_config(config)
    outcomes = _fetch(config)
    assert [status for _, status in outcomes] == ["created"] * 3 + ["quarantined"]
    assert store.logins == [("desk", "sekret")]
    assert store.folders["INBOX"] == {} and len(store.folders["Processed"]) == 4
    assert Ticket.select().count() == 3
    assert Ticket.get_by_id(1).subject == "Zahtjev broj 0 – čćžšđ"
    (big,) = mailbox.list_inbound("quarantined")
    assert "too large" in big.reason and big.subject == "Zahtjev broj 99 – čćžšđ"
    assert _fetch(config) == []


def test_flag_mode_leaves_messages_and_skips_them_next_time(wired, imap_server):
    store, port = imap_server
    store.add(mail(1))
    config = config_for(port, processed="flag")
    notifications.use_config(config)
    assert [s for _, s in _fetch(config)] == ["created"]
    (message,) = store.folders["INBOX"].values()
    assert "$DesktermImported" in message["flags"] and "\\Seen" in message["flags"]
    assert _fetch(config) == []
    store.add(mail(2))
    assert [s for _, s in _fetch(config)] == ["created"]
