"""One outbox sender for the two-senders test: `python sender_worker.py DB SMTP_PORT GO
LIMIT` opens the desk, says `ready`, waits until the file GO exists, then delivers what is
due through the real SMTP transport, LIMIT messages a round (writing queued intents
first, as `deskterm mail send` does), until a round finds nothing; prints the outbox ids
it sent as JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    target, port, go, limit = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
    from mail_setup import mail_config

    from deskterm import paths
    from deskterm.config import SmtpSettings
    from deskterm.mail.outbound import SmtpTransport, send_due
    from deskterm.store.db import open_db

    open_db(paths.db_target(target))
    config = mail_config()
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none")
    print("ready", flush=True)
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    sent: list[int] = []
    while time.monotonic() < deadline:
        summary = send_due(config, limit=limit, transport=SmtpTransport(smtp))
        if not (summary.sent or summary.deferred or summary.failed):
            break
        sent += summary.sent
    print(json.dumps({"sent": sent}), flush=True)


if __name__ == "__main__":
    main()
