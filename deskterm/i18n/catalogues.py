"""Rebuild the portal's message catalogues with Babel: extract the strings, merge them into
every language's `.po`, compile the `.mo` files (committed, so a clean clone needs no step).

    python -m deskterm.i18n.catalogues          # extract + update + compile
    python -m deskterm.i18n.catalogues compile  # only compile
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from deskterm.i18n import CATALOGUE_DIR, LANGUAGES

ROOT = Path(__file__).resolve().parents[2]
POT = CATALOGUE_DIR / "messages.pot"


def _babel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True,
                   cwd=ROOT)


def extract() -> None:
    _babel("extract", "-F", str(Path(__file__).parent / "babel.cfg"), "-k", "N_",
           "--no-location", "--omit-header", "--sort-output", "-o", str(POT), ".")


def update() -> None:
    for language in LANGUAGES:
        if language == "en":
            continue
        po = CATALOGUE_DIR / language / "LC_MESSAGES" / "messages.po"
        if po.exists():
            _babel("update", "-i", str(POT), "-d", str(CATALOGUE_DIR), "-l", language,
                   "--no-fuzzy-matching", "--ignore-obsolete")
        else:
            _babel("init", "-i", str(POT), "-d", str(CATALOGUE_DIR), "-l", language)


def compile_all() -> None:
    _babel("compile", "-d", str(CATALOGUE_DIR), "--statistics")


if __name__ == "__main__":
    if sys.argv[1:] != ["compile"]:
        extract()
        update()
    compile_all()
