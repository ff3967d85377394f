"""One host's background worker for the several-hosts test: `python host_worker.py ROLE
DB SECONDS [ARG]` runs `mail send` (ARG: SMTP port), `rules run` or `mail import` (ARG: a
folder of messages) in a loop against the database DB, then prints what it did as JSON."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> None:
    role, target, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    from mail_setup import mail_config

    from deskterm import paths
    from deskterm.store.db import open_db

    open_db(paths.db_target(target))
    config = mail_config()
    done = {"role": role, "rounds": 0, "count": 0, "skipped": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if role == "send":
            from deskterm.config import SmtpSettings
            from deskterm.mail.outbound import SmtpTransport, send_due

            smtp = SmtpSettings(host="127.0.0.1", port=int(sys.argv[4]), security="none")
            done["count"] += len(send_due(config, transport=SmtpTransport(smtp)).sent)
        elif role == "rules":
            from deskterm.services.automation.rules import run_time_rules

            result = run_time_rules()
            done["count"] += result.total
            done["skipped"] += result.skipped
        else:
            from deskterm.mail.sources import read_path
            from deskterm.services.messaging.inbound import Importer

            summary = Importer(config).import_many(read_path(Path(sys.argv[4])))
            done["count"] += summary.counts.get("created", 0)
        done["rounds"] += 1
        time.sleep(0.05)
    print(json.dumps(done))


if __name__ == "__main__":
    main()
