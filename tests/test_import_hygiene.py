"""The batch path never imports Textual, so `deskterm bulk ...` over SSH starts fast."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path


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


FACES = ("deskterm.portal", "deskterm.app", "deskterm.screens", "deskterm.widgets",
         "deskterm.cli")


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function (`from deskterm import
    cli` counts as `deskterm.cli`)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_services_and_store_never_import_a_face():
    root = Path(__file__).resolve().parents[1] / "deskterm"
    bad = [
        f"{path.relative_to(root.parent)}: {module}"
        for layer in ("services", "store")
        for path in sorted((root / layer).rglob("*.py"))
        for module in sorted(_imported_modules(path))
        if any(module == face or module.startswith(face + ".") for face in FACES)
    ]
    assert bad == []
