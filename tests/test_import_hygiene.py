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


ROOT = Path(__file__).resolve().parents[1] / "deskterm"

#: What touches the database: only the store and the services import these.
DATABASE = ("deskterm.store", "peewee", "playhouse", "sqlite3", "psycopg")


def _is_under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _module_files() -> dict[str, Path]:
    """Every deskterm module by its dotted name (a package by its `__init__.py`)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path) -> list[tuple[str, int]]:
    """Every module the file of module `name` imports, with its line, at the top or inside
    a function (`from deskterm import cli` counts as `deskterm.cli`; relative imports as
    the absolute name)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            base = base[: len(base) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((module, node.lineno))
            found += [(f"{module}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _offences(modules: dict[str, Path], banned: tuple[str, ...]) -> list[str]:
    """`path:line: imports module` for every import of a `banned` package, once a line."""
    lines: dict[tuple[Path, int], str] = {}
    for name, path in modules.items():
        for module, line in _imports(name, path):
            if _is_under(module, banned):
                lines.setdefault((path, line), module)
    return [f"{path.relative_to(ROOT.parent)}:{line}: imports {module}"
            for (path, line), module in sorted(lines.items())]


def test_services_and_store_never_import_a_face():
    layers = {name: path for name, path in _module_files().items()
              if _is_under(name, ("deskterm.services", "deskterm.store"))}
    bad = _offences(layers, FACES)
    assert not bad, "\n".join(bad)


def _above_the_store() -> dict[str, Path]:
    """Every deskterm module but the store, the services and what the store itself is
    built on (found by following the store's imports): the faces, the mail and SMS
    channels and the helpers below the services (config, i18n). Computed from the
    package, so a new module or package is covered without a change here."""
    files = _module_files()
    layers = ("deskterm.store", "deskterm.services")
    below = {"deskterm"}  # the package's own `__init__` runs before any module
    todo = [name for name in files if _is_under(name, ("deskterm.store",))]
    while todo:
        name = todo.pop()
        for module, _ in _imports(name, files[name]):
            if module in files and module not in below and not _is_under(module, layers):
                below.add(module)
                todo.append(module)
    return {name: path for name, path in files.items()
            if not _is_under(name, layers) and name not in below}


def test_only_the_store_and_the_services_touch_the_database():
    """Faces (console, CLI, portal, entry point) and the mail and SMS channels reach the
    database only through the services (`services.desk` opens it and gives a thread
    worker its connection), never by importing the store or a database driver."""
    faces = _above_the_store()
    assert {"deskterm.app", "deskterm.entry", "deskterm.cli.context", "deskterm.mail.outbound",
            "deskterm.portal.web", "deskterm.screens.rules", "deskterm.sms",
            "deskterm.widgets.ticket_table"} <= set(faces)
    assert not {"deskterm.paths", "deskterm.domain", "deskterm.services.desk"} & set(faces)
    bad = _offences(faces, DATABASE)
    assert not bad, "\n".join(bad)
