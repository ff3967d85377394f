"""Mail import throughput: generate a Maildir of N messages and import it into a fresh desk.

    .venv/bin/python bench/bench_mail_import.py [--messages 10000] [--seed 7]

The mix is what a support mailbox sees: new requests in several charsets (utf-8
Bosnian/Croatian, koi8-r and windows-1251 Russian, utf-8 Persian HTML-only), customer
follow-ups threaded by In-Reply-To, some with attachments, and auto-replies to ignore.
Prints messages/second for the first import and for a re-import (all duplicates).
"""

from __future__ import annotations

import argparse
import mailbox as std_mailbox
import random
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

from deskterm.config import Config, MailSettings
from deskterm.domain import Actor as _Actor
from deskterm.mail.sources import read_path
from deskterm.services import directory, notifications
from deskterm.services.inbound import Importer
from deskterm.store.db import open_db

SETUP = _Actor.system("test")

SAMPLES = [
    ("utf-8", "Ne mogu platiti račun", "Poštovani, kartica je odbijena već treći put. Hvala!"),
    ("utf-8", "Aplikacija se ruši", "Dobar dan, aplikacija se ruši čim otvorim izvješće."),
    ("koi8-r", "Не приходит письмо", "Здравствуйте! Не приходит письмо для сброса пароля."),
    ("windows-1251", "Двойное списание", "Добрый день. Сумма списана дважды, прошу вернуть."),
    ("utf-8", "مشکل ورود به حساب", "<p>سلام، رمز عبور حساب من کار نمی‌کند.</p>"),
]


def make_message(rng: random.Random, n: int, earlier: list[tuple[str, str]]) -> bytes:
    msg = EmailMessage()
    roll = rng.random()
    if earlier and roll < 0.2:  # a follow-up in an existing thread
        sender, parent = rng.choice(earlier)
        msg["From"] = sender
        msg["Subject"] = "Re: follow-up"
        msg["In-Reply-To"] = parent
        msg["References"] = parent
        msg.set_content(f"One more detail ({n}).\n\nOn Mon, Support wrote:\n> earlier text\n")
    else:
        charset, subject, body = rng.choice(SAMPLES)
        sender = f"customer{rng.randrange(2000)}@example.{rng.choice(['ba', 'hr', 'ru', 'ir'])}"
        msg["From"] = sender
        msg["Subject"] = f"{subject} {n}"
        if body.startswith("<p>"):
            msg.set_content(body, subtype="html", charset=charset)
        else:
            msg.set_content(body, charset=charset)
        if roll > 0.9:
            msg.add_attachment(rng.randbytes(20_000), maintype="application", subtype="pdf",
                               filename=f"račun-{n}.pdf")
        if roll > 0.97:
            msg["Auto-Submitted"] = "auto-replied"
    msg["To"] = "support@bench.example"
    msg["Message-ID"] = f"<bench-{n}@example.net>"
    if "Auto-Submitted" not in msg and "In-Reply-To" not in msg:
        earlier.append((msg["From"], msg["Message-ID"]))
    return bytes(msg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        box = std_mailbox.Maildir(str(root / "Maildir"), create=True)
        earlier: list[tuple[str, str]] = []
        started = time.perf_counter()
        size = 0
        for n in range(args.messages):
            raw = make_message(rng, n, earlier)
            size += len(raw)
            box.add(raw)
        made = time.perf_counter() - started
        print(f"generated {args.messages} messages ({size / 1e6:.1f} MB) in {made:.1f}s")

        open_db(root / "bench.db")
        directory.create_team(SETUP, "tier1", "Tier 1")
        directory.create_queue(
            SETUP, "general", "General", email="support@bench.example", team="tier1"
        )
        config = Config(mail=MailSettings(address="support@bench.example",
                                          domain="bench.example", auto_cap=10_000_000))
        notifications.use_config(config)
        for label in ("first import", "re-import (duplicates)"):
            started = time.perf_counter()
            summary = Importer(config).import_many(read_path(root / "Maildir"))
            elapsed = time.perf_counter() - started
            total = sum(summary.counts.values())
            print(f"{label}: {total} messages in {elapsed:.1f}s = {total / elapsed:.0f} msg/s "
                  f"{dict(sorted(summary.counts.items()))}")


if __name__ == "__main__":
    main()
