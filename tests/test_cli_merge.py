"""`deskterm ticket merge` as an admin reads it: the warning about tickets of different
requesters comes with a merge that happened, never with one that was refused."""

from __future__ import annotations

from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.services import tickets
from deskterm.store.db import db, open_db

SETUP = Actor.system("test")


def cli(path, *args: str):
    db.close()
    result = CliRunner().invoke(app, ["--db", str(path), *args], env={"DESKTERM_AGENT": ""})
    open_db(path)
    return result


def _two_requesters_tickets() -> tuple[int, int]:
    a = tickets.create_ticket(SETUP, subject="Printer", body="b", requester_email="jana@a.example")
    b = tickets.create_ticket(SETUP, subject="Printer too", body="b",
                              requester_email="ivo@b.example")
    return a.id, b.id


def test_a_refused_merge_says_only_why(desk):
    a, b = _two_requesters_tickets()
    tickets.set_status(SETUP, b, "closed")
    result = cli(desk, "ticket", "merge", str(a), str(b))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == f"deskterm: error: ticket #{b} is closed; closed tickets are final\n"
    assert tickets.get_ticket(a).merged_into is None


def test_a_merge_of_different_requesters_warns_after_it_is_done(desk):
    a, b = _two_requesters_tickets()
    result = cli(desk, "ticket", "merge", str(a), str(b))
    assert (result.exit_code, result.stdout) == (0, f"merged #{a} into #{b}\n")
    assert result.stderr == (
        f"deskterm: warning: #{a} is from jana@a.example and #{b} from ivo@b.example: their "
        f"people are not added as followers of #{b} (add them with `ticket follow`, or merge "
        "with --add-followers)\n")
    assert tickets.get_ticket(a).merged_into == b
