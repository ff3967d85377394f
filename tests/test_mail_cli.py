"""`deskterm mail ...` as an admin scripts it: JSON, exit codes, nothing written by `parse`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.services.messaging import notifications
from deskterm.store.models import InboundMessage, OutboxMessage, Setting, Ticket

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"


@pytest.fixture
def run(desk):
    config = Path(os.environ["DESKTERM_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        '[desk]\nname = "Desk"\n[mail]\naddress = "support@desk.example"\n'
        '[mail.routes]\n"billing@deskterm.example" = "billing"\n',
        encoding="utf-8",
    )
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args])

    yield invoke
    notifications.use_config(None)


def _json(result):
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_import_folder_then_again(run):
    first = _json(run("mail", "import", str(CORPUS), "--json"))
    assert first["counts"] == {"created": 31, "threaded": 2, "ignored": 3, "skipped": 1}
    billing = next(m for m in first["messages"] if m["source"].startswith("05"))
    assert billing["subject"] == "Двойное списание по счёту"
    again = _json(run("mail", "import", str(CORPUS), "--json"))
    assert again["counts"] == {"duplicate": 36, "skipped": 1}
    table = run("mail", "import", str(CORPUS / "10-stranger-subject-ref.eml"))
    assert table.exit_code == 0 and "1 duplicate" in table.stdout


def test_parse_explains_and_writes_nothing(run):
    report = _json(run("mail", "parse", str(CORPUS / "04-russian-koi8r-8bit.eml"), "--json"))
    assert report["action"] == "new ticket in queue general"
    assert report["subject"] == "Не приходит письмо для сброса пароля"
    assert report["from"] == "Дмитрий Соколов <d.sokolov@example.ru>"
    robot = _json(run("mail", "parse", str(CORPUS / "13-newsletter-precedence-bulk.eml"),
                      "--json"))
    assert robot["action"] == "ignore: Precedence: bulk"
    assert Ticket.select().count() == 0 and InboundMessage.select().count() == 0
    assert Setting.get_or_none(Setting.key == "mail.secret") is None
    _json(run("mail", "import", str(CORPUS / "01-bosnian-plain-qp.eml"), "--json"))
    follow = _json(run("mail", "parse", str(CORPUS / "07-bosnian-followup-in-reply-to.eml"),
                       "--json"))
    assert follow["action"].startswith("thread into #1 (by message-id)")


def test_outbox_send_to_local_maildir(run):
    _json(run("mail", "import", str(CORPUS / "03-persian-html-only-base64.eml"), "--json"))
    (queued,) = _json(run("mail", "outbox", "--json"))
    assert queued["status"] == "queued" and queued["kind"] == "ticket_opened"
    assert queued["to"] == ["maryam.ahmadi@example.ir"]
    sent = _json(run("mail", "send", "--json"))
    assert sent["sent"] == [queued["id"]] and sent["target"].startswith("maildir ")
    assert _json(run("mail", "outbox", "--status", "sent", "--json"))[0]["id"] == queued["id"]
    assert OutboxMessage.get_by_id(queued["id"]).status == "sent"
    listing = run("mail", "outbox", "--ticket", "#1")
    assert "[#1]" in listing.stdout  # subjects are shown literally, not as markup


def test_quarantine_list_and_retry(run, tmp_path):
    bad = tmp_path / "no-sender.eml"
    bad.write_bytes(b"Subject: anonymous\r\n\r\nwho sent this?\r\n")
    result = _json(run("mail", "import", str(bad), "--json"))
    assert result["counts"] == {"quarantined": 1}
    (item,) = _json(run("mail", "quarantine", "list", "--json"))
    assert item["reason"] == "no sender address (no From, Sender, Reply-To or Return-Path)"
    assert Path(item["raw_path"]).is_file()
    retried = _json(run("mail", "quarantine", "retry", str(item["id"]), "--json"))
    assert retried["counts"] == {"quarantined": 1}  # still no sender: stays, is not lost
    assert len(_json(run("mail", "quarantine", "list", "--json"))) == 1


def test_bad_input_is_one_line_and_exit_2(run, tmp_path):
    missing = run("mail", "import", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    assert "Traceback" not in missing.output
    assert run("mail", "outbox", "--status", "lost").exit_code == 2
    assert run("mail", "quarantine", "retry").exit_code == 2
    assert run("mail", "outbox", "retry", "999").exit_code == 1
    Path(os.environ["DESKTERM_CONFIG"]).write_text("[mail.smtp]\nport = 'many'\n")
    broken = run("mail", "send")
    assert broken.exit_code == 2 and "port" in broken.output


def test_watch_once_on_a_maildir_imports_and_sends(run, tmp_path):
    import mailbox as std_mailbox

    box = std_mailbox.Maildir(str(tmp_path / "Maildir"), create=True)
    box.add((CORPUS / "02-croatian-alternative-cp1250.eml").read_bytes())
    box.add((CORPUS / "08-autoreply-out-of-office.eml").read_bytes())
    result = run("mail", "watch", "--path", str(tmp_path / "Maildir"), "--once")
    assert result.exit_code == 0, result.output
    assert "'created': 1" in result.stdout and "'ignored': 1" in result.stdout
    assert "out: 1 sent" in result.stdout
    assert run("mail", "watch", "--once").exit_code == 2  # no IMAP host and no --path


def test_save_attachment_refuses_existing_files_and_symlinks(run, tmp_path):
    _json(run("mail", "import", str(CORPUS / "05-russian-cp1251-attachments.eml"), "--json"))
    att = Ticket.select().first().entries[0].attachments[0]
    target = tmp_path / "out.pdf"
    target.write_bytes(b"keep me")
    refused = run("ticket", "save-attachment", str(att.id), str(target))
    assert refused.exit_code == 1 and "give --force" in refused.output
    assert target.read_bytes() == b"keep me"
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"do not touch")
    link = tmp_path / "link.pdf"
    link.symlink_to(secret)
    assert run("ticket", "save-attachment", str(att.id), str(link)).exit_code == 1
    forced = run("ticket", "save-attachment", str(att.id), str(link), "--force")
    assert forced.exit_code == 0, forced.output
    assert secret.read_bytes() == b"do not touch" and not link.is_symlink()
    assert link.read_bytes()[:4] == b"%PDF"


def test_import_from_stdin_speaks_mail_server_exit_codes(desk, tmp_path):
    import subprocess
    import sys

    config = Path(os.environ["DESKTERM_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[mail]\naddress = "support@desk.example"\n', encoding="utf-8")
    raw = (CORPUS / "14-chinese-gb2312-label-gbk-bytes.eml").read_bytes()
    command = [sys.executable, "-m", "deskterm", "--db", str(desk), "--as", "ana", "mail",
               "import", "-", "--json"]
    delivered = subprocess.run(command, input=raw, capture_output=True, timeout=60)
    assert delivered.returncode == 0, delivered.stderr
    assert json.loads(delivered.stdout)["counts"] == {"created": 1}
    broken = tmp_path / "not-a-folder"
    broken.write_text("a file where the desk's folder should be")
    later = subprocess.run([*command[:4], str(broken / "desk.db"), *command[5:]], input=raw,
                           capture_output=True, timeout=60)
    assert later.returncode == 75
    error = json.loads(later.stderr)  # with --json the error is JSON too
    assert error["code"] == 75 and error["kind"] == "temporary"
    assert error["error"].startswith("temporary failure, deliver again later")
    assert b"Traceback" not in later.stderr
    garbage = subprocess.run(command, input=b"\x00\xff not mail", capture_output=True,
                             timeout=60)
    assert garbage.returncode == 0 and b"Traceback" not in garbage.stderr
    assert json.loads(garbage.stdout)["counts"] == {"quarantined": 1}


def test_parse_says_what_import_does_with_a_sender_that_is_no_address(run, tmp_path):
    # From: Boss <"boss@evil.example"> (a quoted local part, no domain): `mail parse` said
    # "new ticket" while `mail import` quarantined the message.
    message = tmp_path / "no-address.eml"
    message.write_bytes(
        b'From: Boss <"boss@evil.example">\r\nTo: support@desk.example\r\n'
        b"Subject: Invoice\r\nMessage-ID: <no-address-1@evil.example>\r\n\r\nHello\r\n")
    reason = """quarantine: not an email address: '"boss@evil.example"'"""
    report = _json(run("mail", "parse", str(message), "--json"))
    assert (report["action"], report["result"]) == (reason, "quarantined")
    imported = _json(run("mail", "import", str(message), "--json"))
    assert imported["counts"] == {"quarantined": 1}
    assert imported["messages"][0]["reason"] == reason.removeprefix("quarantine: ")
    assert Ticket.select().count() == 0
