"""The batch path never imports Textual, so `deskterm bulk ...` over SSH starts fast."""

from __future__ import annotations

import subprocess
import sys


def test_cli_and_services_do_not_import_textual(tmp_path):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "import deskterm.cli, deskterm.services.tickets, deskterm.services.finding.listing\n"
        "import deskterm.services.finding.bulk, deskterm.services.demo\n"
        "from deskterm.cli import app\n"
        f"r = CliRunner().invoke(app, ['--db', r'{tmp_path / 'x.db'}', 'init'])\n"
        "assert r.exit_code == 0, r.output\n"
        f"r = CliRunner().invoke(app, ['--db', r'{tmp_path / 'x.db'}', 'ticket', 'list'])\n"
        "assert r.exit_code == 0, r.output\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('textual', 'deskterm.screens',"
        " 'deskterm.widgets', 'deskterm.app')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == ""
