"""`deskterm mail ...`: import, fetch and watch inbound mail; deliver the outbox; quarantine."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.lists import Column, Listing, ListSpec, lists
from deskterm.cli.options import Limit, ids_argument
from deskterm.cli.output import (
    out,
    print_json,
    print_json_list,
    print_table,
    say_error,
    styled,
    warn,
)
from deskterm.services.values import MAX_ID

app = typer.Typer(help="The mail channel: inbound import/fetch, outbox delivery.",
                  no_args_is_help=True)
outbox_app = typer.Typer(help="Outgoing notifications and their delivery status.",
                         invoke_without_command=True)
quarantine_app = typer.Typer(help="Messages that could not be imported (kept raw).",
                             no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
app.add_typer(quarantine_app, name="quarantine")

Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _setup(ctx: typer.Context):
    """Open the database and load the mail config (notifications use the same config)."""
    from deskterm.config import load_config
    from deskterm.services.messaging import notifications

    state(ctx).open()
    config = load_config()
    notifications.use_config(config)
    _log_to_file()
    return config


def _log_to_file() -> None:
    """Mail diagnostics (tracebacks included) go to `<desk>-mail/mail.log`, never stderr:
    a quarantined message is one line in the summary, the details are in the log."""
    import logging

    from deskterm.services.messaging import mailbox

    path = mailbox.mail_dir() / "mail.log"
    logger = logging.getLogger("deskterm.mail")
    for handler in list(logger.handlers):
        if getattr(handler, "baseFilename", None) != str(path):
            logger.removeHandler(handler)
            handler.close()
    if not logger.handlers:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _show_summary(summary, as_json: bool, started: float) -> None:
    elapsed = time.perf_counter() - started
    if as_json:
        print_json_list({"counts": summary.counts, "seconds": round(elapsed, 3)},
                        "messages", summary.results)
        return
    rows = [(r.source, r.status, f"#{r.ticket_id}" if r.ticket_id else "", r.sender,
             r.subject[:50], r.reason[:70]) for r in summary.results]
    if rows:
        print_table(rows, ["source", "result", "ticket", "from", "subject", "why"])
    counts = ", ".join(f"{n} {k}" for k, n in sorted(summary.counts.items())) or "no messages"
    out.print(f"{counts} in {elapsed:.1f}s")


#: sysexits.h EX_TEMPFAIL: a mail server keeps the message and delivers it again later.
EX_TEMPFAIL = 75


@app.command("import")
def import_command(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="A Maildir, an mbox or MMDF file, a folder of "
                                              "message files (any name), one message file, "
                                              "or - for one message on standard input")],
    as_json: Json = False,
) -> None:
    """Import messages: new tickets, replies threaded, robots ignored.

    With `-` (a .forward, procmail or Postfix pipe) the exit code is what a mail server
    understands: 0 delivered (imported, ignored or kept in quarantine), 75 try again later.
    """
    from deskterm.mail.sources import read_path
    from deskterm.services.messaging.inbound import Importer

    if str(path) == "-":
        _import_stdin(ctx, as_json)
        return
    config = _setup(ctx)
    started = time.perf_counter()
    summary = Importer(config).import_many(read_path(path))
    _show_summary(summary, as_json, started)


def _import_stdin(ctx: typer.Context, as_json: bool) -> None:
    """One message from a pipe; every failure that is not the message's fault is 75."""
    import sys

    from deskterm.domain import DomainError
    from deskterm.services.desk import DatabaseError
    from deskterm.services.messaging.inbound import Importer

    started = time.perf_counter()
    try:
        raw = sys.stdin.buffer.read()
        config = _setup(ctx)
        summary = Importer(config).import_many([("stdin", raw)])
    except (DomainError, DatabaseError, OSError) as error:
        say_error(f"temporary failure, deliver again later: {error}", EX_TEMPFAIL)
        raise typer.Exit(EX_TEMPFAIL) from None
    _show_summary(summary, as_json, started)


def _fetch(config, limit: int | None):
    from deskterm.mail.sources import fetch_imap
    from deskterm.services.messaging.inbound import Importer, ImportResult, ImportSummary

    importer = Importer(config)
    summary = ImportSummary()

    def handle(source: str, raw: bytes, reason: str | None) -> str:
        result = importer.import_raw(raw, source, reason)
        summary.add(result)
        return result.status

    outcomes = fetch_imap(config.mail.imap, config.mail.max_bytes, handle, limit)
    for source, status in outcomes:
        if status.startswith("error: "):  # a message that failed keeps its key in the report
            summary.add(ImportResult("error", source, reason=status.removeprefix("error: ")))
    return summary


@app.command("fetch")
def fetch(
    ctx: typer.Context,
    limit: Annotated[
        int | None,
        typer.Option("--limit", help="At most this many messages", min=1, max=MAX_ID),
    ] = None,
    as_json: Json = False,
) -> None:
    """Fetch new messages from the configured IMAP folder and import them."""
    config = _setup(ctx)
    started = time.perf_counter()
    _show_summary(_fetch(config, limit), as_json, started)


@app.command("watch")
def watch(
    ctx: typer.Context,
    interval: Annotated[
        float,
        typer.Option("--interval", help="Seconds between polls (1 to 86400)", min=1, max=86400),
    ] = 60.0,
    path: Annotated[Path | None, typer.Option("--path", help="Poll this Maildir/folder instead "
                                                            "of IMAP")] = None,
    once: Annotated[bool, typer.Option("--once", help="Poll once and stop")] = False,
) -> None:
    """Poll for mail (IMAP or a local Maildir) and deliver the outbox, until Ctrl-C."""
    from deskterm.domain import DomainError
    from deskterm.mail.outbound import send_due
    from deskterm.mail.sources import read_path
    from deskterm.services.messaging.inbound import Importer

    config = _setup(ctx)
    if path is None and not config.mail.imap.host:
        raise typer.BadParameter("no IMAP host configured; give --path to watch a Maildir")
    try:
        while True:
            try:
                if path is not None:
                    summary = Importer(config).import_many(read_path(path))
                else:
                    summary = _fetch(config, None)
                sent = send_due(config)
                new = {k: v for k, v in summary.counts.items() if k != "duplicate"}
                out.print(f"{time.strftime('%H:%M:%S')} in: {new or 'nothing new'}; "
                          f"out: {len(sent.sent)} sent, {len(sent.deferred)} deferred, "
                          f"{len(sent.failed)} failed")
            except DomainError as error:  # e.g. IMAP down: say so and keep polling
                warn(f"{time.strftime('%H:%M:%S')} {error}")
            if once:
                return
            time.sleep(interval)
    except KeyboardInterrupt:
        out.print("stopped")


@app.command("parse")
def parse(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .eml file")],
    as_json: Json = False,
) -> None:
    """Show how a message would be parsed and threaded, without writing anything."""
    from deskterm.domain import BadInput
    from deskterm.services.messaging.inbound import Importer

    if not file.is_file():
        raise BadInput(f"no such file: {file}")
    config = _setup(ctx)
    report = Importer(config, read_only=True).explain(file.read_bytes())
    if as_json:
        print_json(report)
        return
    for key, value in report.items():
        if key == "body":
            continue
        if key == "attachments":
            value = ", ".join(f"{a['filename']} ({a['content_type']}, {a['size']} B)"
                              for a in value) or "none"
        elif isinstance(value, list):
            value = ", ".join(value) or "-"
        line = styled(f"{key}:", "bold")
        line.append_text(styled(f" {value if value not in (None, '') else '-'}"))
        out.print(line)
    out.print(styled("body:", "bold"))
    out.print(report["body"])


@app.command("language")
def language(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The customer's address")],
    code: Annotated[str | None, typer.Argument(
        help="en, bs, hr, sr, ru or fa; 'auto' to clear (the queue's or desk's is used)")] = None,
    as_json: Json = False,
) -> None:
    """Show or set the language a customer's notifications are written in."""
    from deskterm.services import directory

    st = state(ctx)
    st.open()
    if code is not None:
        directory.set_contact_language(st.actor(), email, None if code == "auto" else code)
    current = directory.customer_language(email)
    if as_json:
        print_json({"email": email.strip().lower(), "language": current})
    else:
        out.print(f"{email.strip().lower()}: {current or 'auto (queue or desk language)'}",
                  markup=False)


@app.command("sms")
def sms(
    ctx: typer.Context,
    email: Annotated[str, typer.Argument(help="The customer's address")],
    on: Annotated[bool, typer.Option("--on/--off", help="Notify by SMS too, or stop")] = True,
    phone: Annotated[str | None, typer.Option("--phone", help="Their mobile number")] = None,
    as_json: Json = False,
) -> None:
    """Opt a customer in to SMS notifications of replies and status changes (or out)."""
    from deskterm.services import directory

    opted, number = directory.set_sms(state(ctx).actor(), email, opt_in=on, phone=phone)
    if as_json:
        print_json({"email": email.strip().lower(), "sms": opted, "phone": number})
    else:
        out.print(f"{email.strip().lower()}: SMS {'on' if opted else 'off'}"
                  f"{f' ({number})' if number else ''}", markup=False)


@app.command("send")
def send(
    ctx: typer.Context,
    limit: Limit = 500,
    as_json: Json = False,
) -> None:
    """Deliver due outbox messages (SMTP, or the local Maildir when none is configured)."""
    from deskterm.mail.outbound import local_outbox_dir, send_due

    config = _setup(ctx)
    summary = send_due(config, limit=limit)
    target = (f"smtp {config.mail.smtp.host}:{config.mail.smtp.port}" if config.mail.smtp.host
              else f"maildir {local_outbox_dir(config)}")
    if as_json:
        print_json({"target": target, "sent": summary.sent, "deferred": summary.deferred,
                    "failed": summary.failed})
    else:
        out.print(f"{len(summary.sent)} sent, {len(summary.deferred)} deferred, "
                  f"{len(summary.failed)} failed ({target})")


#: `mail outbox`: outgoing messages, newest first.
OUTBOX = ListSpec(
    noun="outbox messages",
    columns=(
        Column("id", "Id", lambda i: i.id),
        Column("ticket", "Ticket", lambda i: f"#{i.ticket_id}" if i.ticket_id else None),
        Column("kind", "Kind", lambda i: i.kind),
        Column("status", "Status", lambda i: i.status.value),
        Column("to", "To", lambda i: ", ".join(i.to + i.cc)),
        Column("subject", "Subject", lambda i: i.subject, width=50),
        Column("tries", "Tries", lambda i: i.attempts),
        Column("last_error", "Last error", lambda i: i.last_error, width=40),
        Column("created", "Created", lambda i: i.created_at, default=False),
        Column("sent", "Sent", lambda i: i.sent_at, default=False),
        Column("next_try", "Next try", lambda i: i.next_attempt_at, default=False),
    ),
    ref=lambda i: i.id,
    default_limit=50,
    empty="the outbox is empty",
)


@outbox_app.callback()
@lists(OUTBOX)
def outbox(
    ctx: typer.Context,
    listing: Listing,
    status: Annotated[str | None, typer.Option("--status",
                                               help="queued, sent, deferred or failed")] = None,
    ticket: Annotated[str | None, typer.Option("--ticket", help="Only this ticket (#1042)")] = None,
) -> None:
    """List outgoing messages, newest first, with their delivery status."""
    if ctx.invoked_subcommand is not None:
        return
    from deskterm.domain import BadInput, Delivery
    from deskterm.services import tickets
    from deskterm.services.messaging import mailbox

    if status and status not in tuple(Delivery):
        raise BadInput(f"bad status {status!r}: expected queued, sent, deferred or failed")
    state(ctx).open()
    ticket_id = tickets.resolve_ref(ticket) if ticket else None
    listing.show(
        mailbox.list_outbox(status, ticket_id, listing.fetch),
        total=lambda: mailbox.count_outbox(status, ticket_id),
    )


@outbox_app.command("retry")
def outbox_retry(
    ctx: typer.Context,
    outbox_id: Annotated[int, ids_argument("Outbox message id")],
    as_json: Json = False,
) -> None:
    """Queue a failed or deferred message again (sent by the next `mail send`)."""
    from deskterm.services.messaging import mailbox

    item = mailbox.retry_outbox(state(ctx).actor(), outbox_id)
    if as_json:
        print_json(item)
    else:
        out.print(f"outbox {item.id} queued again")


#: `mail quarantine list`: messages kept raw because they could not be imported.
QUARANTINE = ListSpec(
    noun="quarantined messages",
    columns=(
        Column("id", "Id", lambda i: i.id),
        Column("received", "Received", lambda i: i.received_at),
        Column("from", "From", lambda i: i.from_addr),
        Column("subject", "Subject", lambda i: i.subject, width=40),
        Column("source", "Source", lambda i: i.source),
        Column("why", "Why", lambda i: i.reason, width=60),
        Column("message_id", "Message-ID", lambda i: i.message_id, default=False),
    ),
    ref=lambda i: i.id,
    default_limit=100,
    empty="no message is in quarantine",
)


@quarantine_app.command("list")
@lists(QUARANTINE)
def quarantine_list(ctx: typer.Context, listing: Listing) -> None:
    """Messages kept in quarantine, newest first."""
    from deskterm.services.messaging import mailbox

    state(ctx).open()
    listing.show(
        mailbox.list_inbound("quarantined", listing.fetch),
        total=lambda: mailbox.count_inbound("quarantined"),
    )


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    ids: Annotated[list[int] | None, ids_argument("Quarantine ids (see `list`)")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="Retry every quarantined message")]
    = False,
    as_json: Json = False,
) -> None:
    """Import quarantined messages again (e.g. after raising max_bytes or adding a queue)."""
    from deskterm.domain import BadInput
    from deskterm.services.messaging import mailbox
    from deskterm.services.messaging.inbound import Importer, ImportSummary

    config = _setup(ctx)
    actor = state(ctx).actor()
    if retry_all:
        ids = [i.id for i in mailbox.list_inbound("quarantined", 100_000)]
    if not ids:
        raise BadInput("give quarantine ids or --all")
    importer = Importer(config)
    summary = ImportSummary()
    started = time.perf_counter()
    for inbound_id in ids:
        summary.add(importer.retry(actor, inbound_id))
    _show_summary(summary, as_json, started)
