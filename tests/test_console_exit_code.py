"""The console process exits non-zero when the app crashes, and 0 when the agent quits.

`deskterm console` runs in a real terminal (a pseudo-terminal), as a separate process;
the crash is a real unhandled exception raised inside the running app through its
test-only hook (`DESKTERM_TEST_CRASH`), not a mock.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from deskterm.app import CRASH_FOR_TESTS


def _console(db, env_extra: dict[str, str], keys: bytes = b"", wait: float = 40.0,
             bare: bool = False):
    """Run `deskterm --db DB console` (or bare `deskterm` with DESKTERM_DB=DB: its own start,
    `deskterm.entry`) on a pty; type `keys` once it has drawn; return the exit code and
    everything it wrote."""
    main, child = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40",
           **env_extra}
    args = [] if bare else ["--db", str(db), "console"]
    if bare:
        env["DESKTERM_DB"] = str(db)
    proc = subprocess.Popen(
        [sys.executable, "-m", "deskterm", *args],
        stdin=child, stdout=child, stderr=child, env=env, close_fds=True,
    )
    os.close(child)
    output, typed, deadline = b"", False, time.monotonic() + wait
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(main, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                output += chunk
            if keys and not typed and b"Queue" in output and proc.poll() is None:
                time.sleep(1.0)
                os.write(main, keys)
                typed = True
            if proc.poll() is not None and not ready:
                break
        code = proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    return code, output.decode("utf-8", "replace")


@pytest.mark.parametrize("bare", [False, True], ids=["console", "bare"])
def test_a_crash_in_the_console_exits_non_zero(desk, bare):
    code, output = _console(desk, {CRASH_FOR_TESTS: "injected crash for the exit-code test"},
                            bare=bare)
    assert code == 1, output[-2000:]
    assert "injected crash for the exit-code test" in output
    assert "the console stopped on an unexpected error (exit 1" in output


@pytest.mark.parametrize("bare", [False, True], ids=["console", "bare"])
def test_quitting_the_console_exits_zero(desk, bare):
    code, output = _console(desk, {}, keys=b"\x11", bare=bare)  # ctrl+q
    assert code == 0, output[-2000:]
