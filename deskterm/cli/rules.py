"""`deskterm rules ...`: check, apply, list, run (for cron), enable/disable, export."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.inputs import read_text
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.output import out, print_json, say_error, warn

app = typer.Typer(
    help="Automation rules: when / if / then, from a TOML file.", no_args_is_help=True
)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]
File = Annotated[Path, typer.Argument(help="A rules file (TOML), e.g. data/rules.example.toml")]
Name = Annotated[str, typer.Argument(help="The rule's name, as in `deskterm rules list`")]


def _parse(path: Path):
    from deskterm.domain import NotFound
    from deskterm.services.automation.rules_file import RulesFileError, parse_rules

    if not path.is_file():
        raise NotFound(f"no such rules file: {path}")
    text = read_text(path)
    try:
        return parse_rules(text, source=str(path))
    except RulesFileError as error:
        for line in error.errors:
            say_error(line, 2, kind="bad_input")
        raise typer.Exit(2) from None


@app.command("check")
def check(path: File, as_json: Json = False) -> None:
    """Validate a rules file; every problem is printed with its line number (exit 2)."""
    specs = _parse(path)
    if as_json:
        print_json({"file": str(path), "rules": [s.name for s in specs], "ok": True})
    else:
        out.print(f"{path}: {len(specs)} rules OK")


@app.command("apply")
def apply(
    ctx: typer.Context,
    path: File,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check only, change nothing")] = False,
    as_json: Json = False,
) -> None:
    """Replace the desk's rules with the file's (all or nothing; hit counts kept by name)."""
    from deskterm.domain import BadInput
    from deskterm.services.automation import rules

    specs = _parse(path)
    state(ctx).open()
    problems = rules.check_references(specs)
    if problems:
        raise BadInput("; ".join(problems))
    if dry_run:
        loaded = [s.name for s in specs]
    else:
        loaded = [r.name for r in rules.load_rules(state(ctx).actor(), specs)]
    if as_json:
        print_json({"file": str(path), "rules": loaded, "dry_run": dry_run})
    else:
        verb = "would load" if dry_run else "loaded"
        out.print(f"{verb} {len(loaded)} rules from {path}")


#: `rules list`: the desk's rules in evaluation order.
RULES = ListSpec(
    noun="rules",
    columns=(
        Column("position", "#", lambda r: r.position + 1),
        Column("name", "Rule", lambda r: r.name),
        Column("enabled", "Enabled", lambda r: "on" if r.enabled else "off"),
        Column("when", "When", lambda r: r.when),
        Column("then", "Then", lambda r: ", ".join(r.actions)),
        Column("last_run", "Last run", lambda r: r.last_run_at or "never"),
        Column("hits", "Hits", lambda r: r.hit_count),
        Column("last_error", "Last error", lambda r: r.last_error, width=60),
    ),
    ref=lambda r: r.name,
    empty="no rules (load some with `deskterm rules apply FILE`)",
)


@app.command("list")
@lists(RULES)
def list_command(ctx: typer.Context, listing: Listing) -> None:
    """The desk's rules in evaluation order, with last run and hit count."""
    from deskterm.services.automation import rules

    state(ctx).open()
    listing.show(rules.list_rules())


@app.command("run")
def run(ctx: typer.Context, as_json: Json = False) -> None:
    """Evaluate time rules now (pending for 14d, sla due, breached): run it from cron."""
    from deskterm.services.automation import rules

    state(ctx).open()
    result = rules.run_time_rules()
    if as_json:
        print_json({"fired": result.fired, "breaches": result.breaches, "errors": result.errors,
                    "skipped": result.skipped})
        return
    if result.skipped:
        out.print("skipped: another process is running the time rules right now")
        return
    out.print(f"SLA breaches recorded: {result.breaches}; rule firings: {result.total}")
    for name, count in result.fired.items():
        if count:
            out.print(f"  {name}: {count}")
    for name, error in result.errors.items():
        warn(f"{name}: {error}")


def _toggle(ctx: typer.Context, name: str, enabled: bool, as_json: bool) -> None:
    from deskterm.services.automation import rules

    state(ctx).open()
    info = rules.set_enabled(state(ctx).actor(), name, enabled)
    if as_json:
        print_json(info)
    else:
        out.print(f"rule {info.name!r} {'enabled' if enabled else 'disabled'}")


@app.command("enable")
def enable(ctx: typer.Context, name: Name, as_json: Json = False) -> None:
    """Switch a rule on."""
    _toggle(ctx, name, True, as_json)


@app.command("disable")
def disable(ctx: typer.Context, name: Name, as_json: Json = False) -> None:
    """Switch a rule off."""
    _toggle(ctx, name, False, as_json)


@app.command("export")
def export(
    ctx: typer.Context,
    path: Annotated[Path | None, typer.Argument(help="Write here (default: print)")] = None,
) -> None:
    """Write the desk's rules as a TOML file you can edit and apply again."""
    from deskterm.services.automation import rules

    state(ctx).open()
    text = rules.export_rules()
    if path is None:
        typer.echo(text, nl=False)
    else:
        path.write_text(text, encoding="utf-8")
        out.print(f"wrote {path}")
