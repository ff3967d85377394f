"""The portal's Starlette app: routes, static files, the one error handler; and `serve`."""

from __future__ import annotations

import socket
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from deskterm.config import Config, load_config
from deskterm.portal import account, tickets
from deskterm.portal.web import http_error
from deskterm.services.portal.portal_settings import portal_settings

STATIC = Path(__file__).parent / "static"


def make_app(config: Config | None = None) -> Starlette:
    """The portal for the open database (`services.desk.open_desk` first) and the desk config."""
    config = config or load_config()
    app = Starlette(
        routes=[*tickets.routes, *account.routes,
                Mount("/static", StaticFiles(directory=str(STATIC)), name="static")],
        exception_handlers={HTTPException: http_error},
    )
    app.state.settings = portal_settings(config)
    app.state.config = config
    app.state.desk_name = config.desk_name
    return app


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on `host`:`port` (OSError, e.g. socket.gaierror for an unknown
    host, or EADDRINUSE, before anything is served)."""
    family, _, _, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    return socket.create_server(address[:2], family=family)


def serve(sock: socket.socket, *, proxy: bool = False) -> None:
    """Run the portal with uvicorn on `sock` (`proxy`: trust X-Forwarded-* from a local
    proxy)."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    # No access log: tracking links carry their token in the path.
    config = uvicorn.Config(make_app(), host=host, port=port, proxy_headers=proxy,
                            forwarded_allow_ips="127.0.0.1" if proxy else None,
                            log_level="info", access_log=False, server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
