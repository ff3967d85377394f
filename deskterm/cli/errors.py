"""Every way a command can end badly becomes one stderr line and a meaningful exit code.

- a usage error (unknown option, missing argument, bad number): `deskterm: error: …`, exit 2;
- an argument that is not valid UTF-8: named, exit 2;
- a domain or database error: mapped in `DeskGroup.invoke` (cli/__init__.py);
- anything unexpected: one line naming the log file that holds the traceback, exit 70.
With `--json` (or `--format json`) anywhere on the command line the line is JSON:
`{"error": …, "code": …}`.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import typer
from typer._click import exceptions as click_errors

from deskterm.cli.output import say_error, use_json_errors

#: Exit code of an unexpected failure (BSD's EX_SOFTWARE): not the user's input, a bug.
INTERNAL = 70


def log_path() -> Path:
    """Where unexpected errors are written with their traceback."""
    from deskterm import paths

    return paths.data_dir() / "deskterm-errors.log"


def bad_utf8_argument(args: Sequence[str]) -> str | None:
    """The first argument that was not valid UTF-8 (Python keeps such bytes as surrogates)."""
    for arg in args:
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return arg.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return None


def _usage_line(error: click_errors.UsageError) -> str:
    message = " ".join(error.format_message().split())
    ctx = error.ctx
    if ctx is not None:
        return f"{message} (see '{ctx.command_path} --help')"
    return message


def _log_crash(args: Sequence[str]) -> Path | None:
    try:
        path = log_path()
        with path.open("a", encoding="utf-8") as log:
            log.write(f"--- {datetime.now(UTC).isoformat()} deskterm {' '.join(args)!r}\n")
            log.write(traceback.format_exc())
        return path
    except OSError:
        return None


def wants_json(args: Sequence[str]) -> bool:
    """True when the command line asks for JSON: `--json`, `--format json`, `-f json`."""
    for i, arg in enumerate(args):
        if arg in ("--json", "--format=json", "-fjson"):
            return True
        if arg in ("--format", "-f") and i + 1 < len(args) and args[i + 1] == "json":
            return True
    return False


def run(main: Callable[[], object], args: Sequence[str]) -> int:
    """Run the command line `main`; return the exit code, having printed any error once."""
    with quiet_stderr():
        return _run(main, args)


def _run(main: Callable[[], object], args: Sequence[str]) -> int:
    from deskterm.cli import times

    times.reset()
    use_json_errors(wants_json(args))
    bad = bad_utf8_argument(args)
    if bad is not None:
        say_error(f"argument is not valid UTF-8: {bad!r}", 2, kind="bad_input")
        return 2
    try:
        with guarded_stdout():
            result = main()
    except click_errors.UsageError as error:
        say_error(_usage_line(error), error.exit_code, kind="usage")
        return error.exit_code
    except click_errors.ClickException as error:
        say_error(" ".join(error.format_message().split()), error.exit_code)
        return error.exit_code
    except typer.Abort:
        say_error("cancelled, nothing changed", 1, kind="cancelled")
        return 1
    except typer.Exit as exit_:
        return exit_.exit_code
    except ReaderLeft:
        return reader_left()
    except KeyboardInterrupt:
        say_error("interrupted", 130, kind="interrupted")
        return 130
    except Exception as error:  # noqa: BLE001 - the last line of defence: no traceback on screen
        where = _log_crash(args)
        detail = f"{type(error).__name__}: {error}"
        hint = f"; details in {where}" if where else ""
        say_error(f"unexpected error ({detail}){hint}", INTERNAL, kind="internal")
        return INTERNAL
    return result if isinstance(result, int) else 0


class ReaderLeft(BaseException):
    """Whoever read stdout went away (`deskterm ticket list | head -1`). A BaseException, as
    KeyboardInterrupt is, so that no `except Exception` on the way reports it as a failure;
    open transactions roll back."""


class _PipeStream:
    """A text stream for one command that handles a write to a pipe whose reader left
    (`_reader_left`) instead of leaving it to Rich (exit 1) or Typer (exit 1 on EPIPE)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._reader_left()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._reader_left()

    def _reader_left(self) -> None:
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _GuardedStdout(_PipeStream):
    """sys.stdout for one command: a write to a pipe whose reader left raises ReaderLeft.
    Every printer (Rich tables and help, JSON, ids) writes through it."""

    def _reader_left(self) -> None:
        raise ReaderLeft from None


class _QuietStderr(_PipeStream):
    """sys.stderr for one command: when its reader left (`deskterm … 2>&1 | head -1`), the
    notice or error line goes nowhere and the command keeps its own exit code (Python's
    flush at exit would complain too)."""

    def _reader_left(self) -> None:
        os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())


@contextmanager
def _wrapped(name: str, wrapper: type) -> Iterator[None]:
    """`sys.<name>` (stdout or stderr) wrapped in `wrapper` for the block."""
    original = getattr(sys, name)
    setattr(sys, name, wrapper(original))
    try:
        yield
    finally:
        setattr(sys, name, original)


def guarded_stdout() -> AbstractContextManager[None]:
    return _wrapped("stdout", _GuardedStdout)


def quiet_stderr() -> AbstractContextManager[None]:
    return _wrapped("stderr", _QuietStderr)


def reader_left() -> int:
    """`deskterm … | head -1`: the reader of stdout left. End quietly (exit 0), as a Unix
    tool does; what is still buffered goes nowhere, so nothing fails again at exit."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def exit_with(code: int) -> None:
    """Flush and leave with `code`."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        code = reader_left() if code == 0 else code
    sys.exit(code)
