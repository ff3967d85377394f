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
