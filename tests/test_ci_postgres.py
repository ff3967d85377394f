"""`.ci/postgres.sh`, the throw-away cluster of CI and of developers' PostgreSQL runs.

`stop DIR` used to return at once when DIR was gone (removed by hand, or by a cleaner of
/tmp), leaving its server running on the port: the next `start` on that port failed.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / ".ci" / "postgres.sh"

pytestmark = pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
    reason="Debian's postgresql is not installed (.ci/run installs it)",
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_stop_ends_a_server_whose_folder_is_gone():
    # in /tmp itself, as CI's: the server's user must reach the folder (pytest's are 0700)
    folder, port = Path(tempfile.mkdtemp(prefix="deskterm-test-pg.")), _free_port()
    subprocess.run(["bash", str(SCRIPT), "start", str(folder), str(port)], check=True,
                   capture_output=True, timeout=120)
    try:
        assert _listening(port)
        shutil.rmtree(folder)
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], check=True, timeout=60)
        deadline = time.monotonic() + 10
        while _listening(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _listening(port)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], timeout=60)
