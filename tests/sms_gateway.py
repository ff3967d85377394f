"""A real SMS provider's REST endpoint on loopback, for the SMS tests (mail and portal)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Gateway:
    """An SMS provider's REST endpoint: answers with the next status in `script`."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[int] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers["Content-Length"])
                gateway.requests.append({
                    "path": self.path, "auth": self.headers["Authorization"],
                    "type": self.headers["Content-Type"],
                    "body": json.loads(self.rfile.read(length).decode("utf-8")),
                })
                code = gateway.script.pop(0) if gateway.script else 200
                self.send_response(code)
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
