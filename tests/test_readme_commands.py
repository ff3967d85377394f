"""Every `deskterm` command in the README's shell examples runs as written, in the README's
order, on the default desk of a fresh data folder (`deskterm demo --seed 7` makes it), and
prints what the README implies. A command that cannot run here (a server that runs until
stopped, a host that is not there) is listed in NOT_RUN with the test that covers it.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app

ROOT = Path(__file__).parents[1]
README = ROOT / "README.md"

NOT_RUN = {
    "deskterm mail fetch": "needs an IMAP server (tests/test_mail_imap.py fetches from one)",
    "deskterm mail watch --interval 60": "polls until Ctrl-C (tests/test_mail_cli.py runs watch)",
    "deskterm portal --host 127.0.0.1 --port 8000": "serves until stopped (tests/portal/)",
    "deskterm portal --host 127.0.0.1 --port 8000 --proxy": "serves until stopped (tests/portal/)",
    "deskterm db copy ~/.local/share/deskterm/deskterm.db $DESKTERM_DB":
        "needs the example's PostgreSQL host (tests/test_transfer.py copies both ways)",
    "deskterm db copy /tmp/desk-100k.db postgresql://desk@127.0.0.1:5432/desk100k":
        "needs the benchmark's 100,000-ticket desk and a PostgreSQL server (bench/)",
    "deskterm db copy $DESKTERM_DB backup.db":
        "needs the example's PostgreSQL host (tests/test_transfer.py copies both ways)",
}


def readme_commands() -> list[str]:
    """Every line of a ```bash block that runs `deskterm`, without its comment."""
    lines, inside = [], False
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```bash"
            continue
        if inside and line.startswith("deskterm "):
            lines.append(line.strip())
    return lines


def _as_written(line: str) -> str:
    """The command as the README writes it, comment dropped (keeps quotes as typed)."""
    words = shlex.split(line, comments=True)
    return " ".join(words)


def _json(text: str):
    return json.loads(text)


def _rows(text: str) -> list[list[str]]:
    """The cells of a printed table's data rows."""
    return [[c.strip() for c in line.split("│")] for line in text.splitlines()[2:]]


def _check(pattern: str) -> Callable[[str], bool]:
    return lambda out: re.search(pattern, out, re.M) is not None


#: What each README command prints (a regex over stdout, or a check).
EXPECT: dict[str, Callable[[str], bool]] = {
    "deskterm demo --seed 7": _check(
        r"^demo database at .+deskterm\.db: 300 tickets, 8 agents, 4 queues, \d+ requesters$"
    ),
    "deskterm init": _check(r"^a desk already exists at .+deskterm\.db; nothing to do$"),
    "deskterm ticket list --status open --json": lambda out: (
        (rows := _json(out)) != [] and {r["status"] for r in rows} == {"open"}
    ),
    "deskterm ticket list -q queue:billing priority:high,urgent -tag:spam sort:-priority":
        lambda out: (rows := _rows(out)) != []
        and {r[5] for r in rows} == {"billing"}
        and [r[2] for r in rows] == sorted((r[2] for r in rows), key=["urgent", "high"].index),
    "deskterm ticket show #42": _check(r"^│ #42  \S"),
    "deskterm ticket new --subject Pisač ne radi --requester tea@example.hr --body Greška 0x6d":
        _check(r"^created #301: Pisač ne radi$"),
    "deskterm ticket reply 42 Pokušajte ponovno. --set-status pending":
        _check(r"^replied on #42 \(pending\)$"),
    "deskterm ticket reply 42 --canned need more information": _check(r"^replied on #42 \("),
    "deskterm ticket note 42 Checked the logs, @lejla please look": _check(r"^noted on #42$"),
    "deskterm ticket assign 42 mirza --team tier1": _check(r"^assigned #42$"),
    "deskterm ticket status 42 resolved": _check(r"^#42 is now resolved$"),
    "deskterm ticket status 42 on hold": _check(r"^#42 is now on hold$"),
    "deskterm ticket tag 42 vip invoice": _check(r"^tags of #42 updated$"),
    "deskterm ticket merge 41 42": _check(r"^merged #41 into #42$"),
    "deskterm ticket snooze 42 tomorrow 9:00":
        _check(r"^#42 snoozed until \d{4}-\d\d-\d\d 09:00 \+01:00$"),  # ana: Europe/Zagreb
    "deskterm ticket events 42":
        lambda out: {"status", "merged_in", "note", "tags"} <= {r[2] for r in _rows(out)},
    "deskterm ticket list --status open --columns ref,subject,assignee,due --format csv":
        _check(r"\Aref,subject,assignee,due\n#\d+,"),
    "deskterm search договора": lambda out: (rows := _rows(out)) != []
        and all(r[0].startswith("#") for r in rows),
    "deskterm bulk close --queue billing --older-than 30d --dry-run":
        _check(r"^would close \d+ ticket\(s\) \(dry run, nothing changed\)"),
    "deskterm bulk close --queue billing --older-than 30d --yes":
        _check(r"^close: (\d+) of \1 ticket\(s\) changed$"),
    "deskterm ticket list --tag vpn --status active --ids | "
    "deskterm bulk set - --add-tag network --yes":
        _check(r"^change: ([1-9]\d*) of \1 ticket\(s\) changed$"),
    "deskterm db upgrade": _check(r"^schema is up to date \(v\d+\)$"),
    "deskterm agent add zoran --name Zoran Z. --os-user zoran --teams tier1 --role agent":
        _check(r"^added agent zoran \(agent\)$"),
    "deskterm agent set zoran --role observer --teams tier1,tier2":
        _check(r"^agent zoran: observer, available$"),
    "deskterm agent disable zoran": _check(r"^disabled agent zoran; 0 open ticket\(s\) need "),
    "deskterm agent list --json": lambda out: {
        (a["username"], a["role"], a["enabled"]) for a in _json(out)
    } >= {("ana", "admin", True), ("zoran", "observer", False)},
    "deskterm team add tier3 --name Tier 3": _check(r"^added team tier3$"),
    "deskterm queue set billing --outsiders hidden":
        _check(r"^queue billing: team billing-team, outsiders hidden$"),
    "deskterm audit --ticket 42": lambda out: {r[1] for r in _rows(out)} == {"#42"}
        and "created" in {r[3] for r in _rows(out)},
    "deskterm audit --agent ana --since 7d --json": lambda out: (events := _json(out)) != []
        and all("agent:ana" in (e["actor"], f"agent:{e['via']}") for e in events),
    "deskterm db reindex": _check(r"^reindexed \d+ rows$"),
    "deskterm mail import data/mail/": _check(r"^\d+ created, .*\d+ threaded in \d"),
    "deskterm mail import - < data/mail/01-bosnian-plain-qp.eml":
        _check(r"^ stdin +│ duplicate │ #\d+ +│ selma.hadzic@example.ba "),
    "deskterm mail parse data/mail/04-russian-koi8r-8bit.eml":
        _check(r"^subject: Не приходит письмо для сброса пароля$"),
    "deskterm mail outbox": lambda out: len(_rows(out)) > 0,
    "deskterm mail send": _check(r"^\d+ sent, 0 deferred, 0 failed \(maildir "),
    "deskterm mail quarantine list": _check(r"^no message is in quarantine$"),
    "deskterm demo": _check(r"^demo database at .+: 300 tickets"),
    "deskterm sla show 42": _check(r"^SLA policy Standard$"),
    "deskterm sla breaching": lambda out: len(_rows(out)) > 0,
    "deskterm rules check data/rules.example.toml":
        _check(r"^data/rules\.example\.toml: \d+ rules OK$"),
    "deskterm rules apply data/rules.example.toml":
        _check(r"^loaded \d+ rules from data/rules\.example\.toml$"),
    "deskterm rules list": lambda out: len(_rows(out)) > 0,
    "deskterm rules run": _check(r"^SLA breaches recorded: \d+; rule firings: \d+$"),
    "deskterm report --since 30d": _check(r"^Report \d{4}-\d\d-\d\d \d\d:\d\d \+01:00 – "),
    "deskterm report --since 2026-11-01 --queue billing --json":
        lambda out: _json(out)["queue"] == "billing",
    "deskterm db info": _check(r"^backend: sqlite$"),
}


def _pipeline(line: str) -> list[tuple[list[str], str | None]]:
    """`a | b < file` as [(argv, stdin file)] per stage, argv without `deskterm`."""
    stages = []
    for part in line.split(" | "):
        words = shlex.split(part, comments=True)
        source = None
        if "<" in words:
            at = words.index("<")
            source, words = words[at + 1], words[:at]
        assert words[0] == "deskterm"
        stages.append((words[1:], source))
    return stages


def test_every_readme_command_is_run_or_says_why_not():
    written = {_as_written(line) for line in readme_commands()}
    assert written == set(EXPECT) | set(NOT_RUN)


@pytest.fixture
def fresh_home(tmp_path, monkeypatch):
    """A fresh machine: a new data folder, no --as, the project folder as the cwd."""
    monkeypatch.delenv("DESKTERM_AGENT", raising=False)
    monkeypatch.delenv("DESKTERM_DB", raising=False)
    monkeypatch.setenv("DESKTERM_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(ROOT)
    return tmp_path


def test_readme_commands_run_as_written_on_the_demo_desk(fresh_home):
    runner = CliRunner()
    for line in readme_commands():
        written = _as_written(line)
        if written in NOT_RUN:
            continue
        data = None
        for argv, source in _pipeline(line):
            if source is not None:
                data = (ROOT / source).read_bytes()
            result = runner.invoke(app, argv, input=data)
            assert result.exit_code == 0, (line, result.stdout, result.stderr)
            data = result.stdout_bytes
        assert EXPECT[written](result.stdout), (line, result.stdout[-3000:])
