"""`deskterm … | head -1`: when the reader leaves early, the command ends quietly with exit 0,
as a Unix tool does, whatever it was printing (a table, JSON, ids, help), never an error
line, a traceback or exit 1. Real processes and a real pipe."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

# (arguments, whether the reader takes the first line before leaving, as `head -1` does;
# else it leaves before the command writes anything, as `| true` does).
CASES = [
    (["ticket", "list"], False),
    (["ticket", "list", "--json"], False),
    (["ticket", "show", "1"], False),
    (["report"], False),
    (["ticket", "--help"], False),
    (["ticket", "list", "--limit", "0"], True),
    (["ticket", "list", "--limit", "0", "--json"], True),
    (["audit", "--all", "--format", "csv"], True),
]


@pytest.mark.parametrize(("args", "read_a_line"), CASES,
                         ids=[" ".join(a) + (" | head -1" if r else " | true") for a, r in CASES])
def test_a_reader_that_leaves_early_ends_the_command_quietly(demo_db, args, read_a_line):
    env = {**os.environ, "DESKTERM_DB": str(demo_db), "DESKTERM_AGENT": "ana",
           "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "deskterm", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if read_a_line:
        assert process.stdout.readline()  # the first line arrived: `head -1` then leaves
    process.stdout.close()
    stderr = process.stderr.read().decode("utf-8", "replace")
    assert (process.wait(timeout=60), stderr) == (0, "")



# `deskterm … 2>&1 | head -3`: the reader of stderr may have left when the notice after a
# capped list or an error line is written. The line goes nowhere; the command keeps its own
# exit code (Rich's broken-pipe handling made every one of them exit 1).
STDERR_GONE_CASES = [
    (["ticket", "list"], 0, "#300 "),  # "50 of 300 shown" comes after the table
    (["ticket", "list", "--json"], 0, '"id": 300,'),
    (["ticket", "list", "--status", "opn"], 2, ""),
    (["ticket", "list", "--status", "opn", "--json"], 2, ""),
    (["ticket", "list", "--no-such-option"], 2, ""),
    (["ticket", "show", "4242"], 1, ""),
]


@pytest.mark.parametrize(("args", "code", "printed"), STDERR_GONE_CASES,
                         ids=[" ".join(a) for a, _, _ in STDERR_GONE_CASES])
def test_a_reader_of_stderr_that_left_changes_no_exit_code(demo_db, args, code, printed):
    env = {**os.environ, "DESKTERM_DB": str(demo_db), "DESKTERM_AGENT": "ana",
           "COLUMNS": "120"}
    process = subprocess.Popen([sys.executable, "-m", "deskterm", *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stderr.close()  # before the command writes anything
    stdout = process.stdout.read().decode("utf-8")
    assert process.wait(timeout=60) == code
    assert printed in stdout  # the listing itself was written (nothing for an error)
