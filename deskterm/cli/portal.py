"""`deskterm portal`: serve the customer web portal; rotate its signing keys."""

from __future__ import annotations

import os
import socket
from typing import Annotated

import typer

from deskterm.cli.context import state
from deskterm.cli.output import fail, out, print_json

app = typer.Typer(help="The customer web portal.", invoke_without_command=True,
                  no_args_is_help=False)
Json = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


@app.callback()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port", min=1, max=65535)] = 8000,
    proxy: Annotated[bool, typer.Option(
        "--proxy", help="Behind a reverse proxy on this host: trust its X-Forwarded-* headers "
        "(HTTPS, client address)")] = False,
) -> None:
    """Serve the portal (without a sub-command), e.g. `deskterm portal --port 8000`."""
    if ctx.invoked_subcommand is not None:
        return
    from deskterm.services.messaging.notifications import current_config
    from deskterm.services.portal.portal_settings import portal_settings

    st = state(ctx)
    st.open()
    portal_settings(current_config())  # a bad [portal] section fails here, in one line
    try:
        from deskterm.portal.app import listen
        from deskterm.portal.app import serve as run
    except ImportError as error:
        raise fail(f"the portal needs its web packages: {error.name} is missing "
                   "(pip install -e .)") from None
    try:
        sock = listen(host, port)
    except socket.gaierror as error:
        raise fail(f"cannot listen on {host}:{port}: {error.strerror}", 2) from None
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        raise fail(f"cannot listen on {host}:{port}: {reason}") from None
    out.print(f"portal for {st.db_path} on http://{host}:{port}/ (Ctrl+C stops)")
    run(sock, proxy=proxy)


@app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    retire: Annotated[bool, typer.Option(
        "--retire", help="Also drop every older key: their links and logins stop working")] = False,
    as_json: Json = False,
) -> None:
    """Sign tracking links, cookies and forms with a new key (old links keep working
    until --retire)."""
    from deskterm.services.portal import tracking

    st = state(ctx)
    actor = st.actor()
    new_id = tracking.rotate(actor)
    dropped = tracking.retire_old(actor) if retire else 0
    if as_json:
        print_json({"key": new_id, "retired": dropped})
    else:
        out.print(f"signing with key {new_id}" + (f"; retired {dropped} older" if retire else ""))
