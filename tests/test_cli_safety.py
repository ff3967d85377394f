"""Untrusted text is data in every CLI output; every bad input is one line and exit 2.

Markup-like, control-character, bidi-override and very long strings are written into a
desk (subjects, bodies, names, tags, canned titles) and read back through every command
that prints them. Bad input (huge numbers, superscript digits, impossible dates, invalid
UTF-8 in files, stdin and argv, unknown options) must end in one stderr line.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.cli.output import clean
from deskterm.domain import Actor
from deskterm.services import tickets

NASTY = [
    "[/link] closes a tag that is not open",
    "[bold red]shout[/] and [link=http://evil.example]click[/link]",
    "ESC \x1b[2J\x1b]0;title\x07 clears the screen",
    "bidi \u202eevil.exe\u202c and \u2066isolate\u2069",
    "null \x00 bell \x07 backspace \x08 del \x7f c1 \x9b",
    ":smile: :warning: emoji codes",
    "x" * 5000,
    "Persian سلام\u200cدنیا and [/]",
]

FIXTURE = [HealthCheck.function_scoped_fixture]


@pytest.fixture
def run(desk):
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(app, ["--db", str(desk), "--as", "ana", *args], input=input)

    return invoke


def _ok(result):
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def _terminal_safe(text: str) -> None:
    """Nothing that a terminal would act on: no escape sequences, no bidi overrides."""
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), text


def _one_line_error(result, code: int = 2) -> str:
    assert result.exit_code == code, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("deskterm: error: "), lines[0]
    return lines[0]


@pytest.mark.parametrize("nasty", NASTY)
def test_nasty_text_prints_as_itself_through_every_output(run, nasty):
    shown = clean(nasty, one_line=True)
    # a typed name is one line of printable text, like a canned title (a mail's sender
    # name is the parser's, see test_mail_parse)
    name = re.sub("[\x00-\x1f\x7f-\x9f]", "\ufffd", nasty)[:200]
    created = _ok(run("ticket", "new", "--subject", nasty, "--requester", "eve@example.com",
                      "--name", name, "--body", nasty, "--queue", "general"))
    assert created.strip() == f"created #1: {shown.strip()}"
    outputs = {"new": created}
    outputs["note"] = _ok(run("ticket", "note", "1", nasty))
    outputs["reply"] = _ok(run("ticket", "reply", "1", nasty))
    outputs["tag"] = _ok(run("ticket", "tag", "1", "markup-tag"))
    for args in (
        ("ticket", "list"),
        ("ticket", "list", "--limit", "0"),
        ("ticket", "show", "1"),
        ("ticket", "events", "1"),
        ("search", "eve@example.com"),
        ("bulk", "set", "--queue", "general", "--add-tag", "x", "--dry-run"),
        ("bulk", "close", "--queue", "general", "--dry-run"),
        # a title is one line of printable text (control characters are refused)
        ("canned", "add", re.sub("[\x00-\x1f\x7f-\x9f]", "\ufffd", nasty)[:200],
         "--body", nasty),
        ("canned", "list"),
        ("queue", "list"),
        ("agent", "list"),
        ("team", "list"),
        ("report", "--since", "30d"),
        ("mail", "outbox"),
    ):
        outputs[" ".join(args[:2])] = _ok(run(*args))
    for text in outputs.values():
        _terminal_safe(text)
    if len(nasty) < 100:
        # The thread shows the body as written (less what a terminal would obey) ...
        assert clean(nasty) in outputs["ticket show"]
        # ... and the one-line outputs keep markup-like text literally, e.g. "[/link]".
        assert f"saved canned reply 1: {shown}" in outputs["canned add"]
    else:
        assert "x" * 60 in outputs["ticket list"]  # the table cut it, did not crash


#: PostgreSQL text cannot hold NUL (the store keeps it as U+FFFD, as screens show it anyway).
_UNSTORABLE = "\x00" if os.environ.get("DESKTERM_TEST_BACKEND") == "postgresql" else ""


@settings(max_examples=40, deadline=None, suppress_health_check=FIXTURE)
@given(text=st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters=_UNSTORABLE), min_size=1, max_size=300
).filter(
    lambda t: t.strip()
))
def test_any_subject_and_body_round_trip_through_the_cli(desk, text):
    from deskterm.store.db import open_db

    open_db(desk)
    ticket = tickets.create_ticket(
        Actor.system("fuzz"), subject=text, body=text, requester_email="fuzz@example.com"
    )
    runner = CliRunner()
    for args in (("ticket", "show", str(ticket.id)), ("ticket", "list", "--limit", "3"),
                 ("ticket", "events", str(ticket.id))):
        result = runner.invoke(app, ["--db", str(desk), "--as", "ana", *args])
        assert result.exit_code == 0, result.output
        _terminal_safe(result.stdout)
    shown = runner.invoke(app, ["--db", str(desk), "--as", "ana", "ticket", "show",
                                str(ticket.id), "--json"])
    assert json.loads(shown.stdout)["entries"][0]["body"] == text  # JSON keeps the data exact


BAD = [
    (("ticket", "show", "99999999999999999999"), "ticket numbers run from 1 to"),
    (("ticket", "show", "²"), "not a ticket reference: '²'"),
    (("ticket", "show", "0"), "not a ticket reference"),
    (("ticket", "list", "--limit", "99999999999999999999"), "'--limit'"),
    (("ticket", "list", "--limit", "-1"), "'--limit'"),
    (("ticket", "list", "--offset", "99999999999999999999"), "'--offset'"),
    (("ticket", "time", "1", "99999999999"), "bad time '99999999999': minutes (15), or hours"),
    (("ticket", "time", "1", "0"), "bad time '0': between 1 minute and 31 days"),
    (("ticket", "list", "--older-than", "99999999999d"), "bad --older-than '99999999999d'"),
    (("ticket", "list", "--created-after", "in 100000 years"), "between 1970 and 8999"),
    (("ticket", "list", "-q", "#99999999999999999999"), "bad ticket reference"),
    (("ticket", "list", "-q", "id:99999999999999999999"), "id takes ticket numbers"),
    (("ticket", "snooze", "1", "in 100000 years"), "between 1970 and 8999"),
    (("ticket", "snooze", "1", "in 99999999999999 days"), "bad duration"),
    (("ticket", "list", "--frobnicate"), "No such option: --frobnicate"),
    (("ticket", "show"), "Missing argument"),
    (("ticket", "nosuchcommand"), "No such command"),
    (("ticket", "show", "1\udcff"), "argument is not valid UTF-8: '1\\\\xff'"),
    (("ticket", "list", "--status", "opn"), "bad --status 'opn': 'opn' is not one of"),
    (("ticket", "list", "--queue", "biling"), "bad --queue 'biling': no queue named 'biling'"),
    (("ticket", "list", "--team", "tier9"), "no team named 'tier9'"),
    (("ticket", "list", "--assignee", "zzz"), "no agent named 'zzz'"),
    (("ticket", "list", "--org", "nowhere"), "no organisation named 'nowhere'"),
    (("ticket", "list", "-q", "channel:fax"), "'fax' is not one of email, web, sms, phone"),
    (("ticket", "list", "-q", "queue:biling"), "no queue named 'biling'; known: billing, general"),
    (("bulk", "close", "--queue", "biling", "--yes"), "no queue named 'biling'"),
    (("report", "--since", "in 100000 years"), "between 1970 and 8999"),
    (("mail", "outbox", "--limit", "99999999999999999999"), "'--limit'"),
    (("mail", "outbox", "retry", "99999999999999999999"), "'outbox_id'"),
    (("ticket", "save-attachment", "99999999999999999999"), "'attachment_id'"),
]


@pytest.mark.parametrize(("args", "message"), BAD, ids=[" ".join(a) for a, _ in BAD])
def test_bad_input_is_one_line_and_exit_2(run, args, message):
    tickets.create_ticket(Actor.system("t"), subject="s", body="b", requester_email="c@x.org")
    line = _one_line_error(run(*args))
    assert message in line


def test_invalid_utf8_in_a_file_and_on_stdin_is_named(run, tmp_path):
    tickets.create_ticket(Actor.system("t"), subject="s", body="b", requester_email="c@x.org")
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    line = _one_line_error(run("ticket", "note", "1", "--file", str(bad)))
    assert line == f"deskterm: error: {bad} is not valid UTF-8 text (byte 0xe9 at offset 3)"
    line = _one_line_error(run("ticket", "note", "1", "-", input=b"ok \xff"))
    assert line == "deskterm: error: standard input is not valid UTF-8 text (byte 0xff at offset 3)"
    rules = tmp_path / "rules.toml"
    rules.write_bytes(b"\xfe\xff")
    assert "is not valid UTF-8 text" in _one_line_error(run("rules", "check", str(rules)))


def test_an_unexpected_error_is_one_line_with_the_log_path(run, monkeypatch, tmp_path):
    from deskterm.services.finding import listing

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(listing, "list_tickets", broken)
    result = run("ticket", "list")
    line = _one_line_error(result, code=70)
    log = tmp_path / "home" / "deskterm-errors.log"
    assert line == (
        f"deskterm: error: unexpected error (RuntimeError: disk on fire); details in {log}"
    )
    assert "Traceback" in log.read_text() and "disk on fire" in log.read_text()


def test_with_json_errors_are_json_on_stderr(run):
    result = run("ticket", "show", "4242", "--json")
    assert result.exit_code == 1
    assert json.loads(result.stderr) == {"error": "no ticket #4242", "code": 1,
                                         "kind": "not_found"}
    result = run("ticket", "list", "--status", "opn", "--json")
    assert result.exit_code == 2
    error = json.loads(result.stderr)
    assert error["code"] == 2 and error["kind"] == "bad_input"
    assert error["error"].startswith("bad --status 'opn'")
    usage = run("ticket", "list", "--json", "--frob")
    assert json.loads(usage.stderr)["code"] == 2


def test_help_shows_no_bool_metavar(run):
    for args in (("ticket", "tag", "--help"), ("ticket", "list", "--help"), ("--help",)):
        result = run(*args)
        assert result.exit_code == 0
        assert "<bool>" not in result.stdout
    assert "--remove" in run("ticket", "tag", "--help").stdout


@settings(max_examples=60, deadline=None, suppress_health_check=FIXTURE)
@given(text=st.text(max_size=60), command=st.sampled_from([
    ("ticket", "show", "{}"),
    ("ticket", "list", "-q", "{}"),
    ("ticket", "list", "--older-than", "{}"),
    ("ticket", "list", "--created-after", "{}"),
    ("ticket", "list", "--status", "{}"),
    ("ticket", "list", "--priority", "{}"),
    ("ticket", "snooze", "1", "{}"),
    ("ticket", "status", "1", "{}"),
    ("ticket", "tag", "1", "{}"),
    ("ticket", "time", "1", "{}"),
    ("ticket", "list", "--limit", "{}"),
    ("report", "--since", "{}"),
    ("search", "{}"),
]))
def test_the_cli_parsers_never_crash_on_any_text(desk, text, command):
    """Arbitrary text in any parsed argument: exit 0, 1 or 2, never a traceback."""
    runner = CliRunner()
    from deskterm.store.db import open_db

    open_db(desk)
    args = [a.replace("{}", text) for a in command]
    result = runner.invoke(app, ["--db", str(desk), "--as", "ana", *args])
    assert result.exit_code in (0, 1, 2), (args, result.output)
    assert "Traceback" not in result.output
    if result.exit_code:
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
