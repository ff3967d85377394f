"""Mail import throughput: a generated multilingual mbox imported by the real CLI.

    .venv/bin/python bench/bench_mail_import.py [--messages 10000] [--seed 7] [--compare]
                                                [--rules]

The mix is what a support mailbox sees: new requests in many charsets (utf-8 Bosnian and
Croatian, windows-1250, koi8-r and windows-1251 Russian, HTML-only Persian, gb2312 Chinese,
ISO-2022-JP and Shift_JIS Japanese, undeclared Latin-1), follow-ups threaded by
In-Reply-To, some with attachments, and auto-replies to ignore. `deskterm mail import` runs
as a child process on a fresh desk (every listener on: SLA, rules, notifications); the
figures are messages/second (wall clock, and per CPU second of the child and its parsing
workers, which stays meaningful on a shared machine) and the child's peak RSS, for the
first import and a re-import (all duplicates). For scale, the same run times the floor: the
standard library parsing every message and raw SQL inserting subject and body into one
table. `--compare` also imports message by message on a second desk (the path before the
batched one). `--rules` gives every desk event rules (`RULES`: routing and an auto-reply
on `created`, a rule on `customer replied`): the messages a rule fires on are imported one
by one, the rest still in batches.
"""

from __future__ import annotations

import argparse
import email
import json
import mailbox as std_mailbox
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from email import policy
from email.message import EmailMessage
from pathlib import Path

SAMPLES = [
    ("utf-8", "Ne mogu platiti račun", "Poštovani, kartica je odbijena već treći put. Hvala!"),
    ("windows-1250", "Aplikacija se ruši", "Dobar dan, aplikacija se ruši čim otvorim izvješće."),
    ("koi8-r", "Не приходит письмо", "Здравствуйте! Не приходит письмо для сброса пароля."),
    ("windows-1251", "Двойное списание", "Добрый день. Сумма списана дважды, прошу вернуть."),
    ("utf-8", "مشکل ورود به حساب", "<p>سلام، رمز عبور حساب من کار نمی‌کند.</p>"),
    ("gb2312", "账户无法登录", "您好，我的账户从昨天开始无法登录，请帮忙。"),
    ("iso-2022-jp", "請求書の金額", "お世話になっております。請求書の金額が違います。"),
    ("shift_jis", "ログインできません", "ログインできません。パスワードを再設定してください。"),
    ("latin-1", "Rechnung für November", "Guten Tag, die Rechnung ist doppelt. Grüße aus Köln"),
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
        tld = rng.choice(["ba", "hr", "ru", "ir", "cn", "jp", "de"])
        sender = f"customer{rng.randrange(2000)}@example.{tld}"
        msg["From"] = sender
        msg["Subject"] = f"{subject} {n}"
        if body.startswith("<p>"):
            msg.set_content(body, subtype="html", charset=charset)
        elif charset == "latin-1":  # raw 8-bit, no charset declared
            msg.set_content(body.encode("latin-1"), maintype="text", subtype="plain",
                            cte="8bit")
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


#: The message-by-message path (every message through `Importer.receive`, no parsing
#: ahead): what import did before the batched path, run for comparison with --compare.
_ONE_BY_ONE = (
    "import json, sys; from deskterm.config import load_config; "
    "from deskterm.store.db import open_db; from deskterm.mail.sources import read_path; "
    "from deskterm.services.messaging.inbound import Importer; from pathlib import Path; "
    "open_db(sys.argv[1]); s = Importer(load_config(), batched=False, parse_workers=0)"
    ".import_many(read_path(Path(sys.argv[2]))); print(json.dumps({'counts': s.counts}))"
)


#: The event rules of `--rules`: about one new ticket in three fires one.
RULES = """
[[rule]]
name = "invoices to billing"
when = "created"
[rule.if]
subject = "Rechnung"
[rule.then]
set = { queue = "billing" }

[[rule]]
name = "russian auto-reply"
when = "created"
[rule.if]
language = "ru"
[rule.then]
reply = { body = "Здравствуйте! Мы ответим в течение рабочего дня." }

[[rule]]
name = "back after resolved"
when = "customer replied"
[rule.if]
status = "resolved"
[rule.then]
set = { priority = "high" }
"""


def _seed(db: Path, rules: bool = False) -> None:
    seed = [sys.executable, "-c", (
        "import sys; from deskterm.store.db import open_db; from deskterm.domain import Actor; "
        "from deskterm.services import directory as d; open_db(sys.argv[1]); "
        "s = Actor.system('bench'); d.create_team(s, 'tier1', 'Tier 1'); "
        "d.create_queue(s, 'general', 'General', email='support@bench.example', "
        "team='tier1'); d.create_queue(s, 'billing', 'Billing', team='tier1')\n"
        "if len(sys.argv) > 2:\n"
        "    from deskterm.services.automation import rules, rules_file\n"
        "    rules.load_rules(s, rules_file.parse_rules(sys.argv[2]))"), str(db)]
    subprocess.run(seed + ([RULES] if rules else []), check=True)


def _import(root: Path, box: Path, label: str, db: str = "bench.db",
            one_by_one: bool = False) -> None:
    command = [sys.executable, "-m", "deskterm", "--db", str(root / db), "--as",
               "bench", "mail", "import", str(box), "--json"]
    if one_by_one:
        command = [sys.executable, "-c", _ONE_BY_ONE, str(root / db), str(box)]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.DEVNULL,
                                 env={**os.environ, "DESKTERM_CONFIG": str(root / "config.toml")})
        _, status, usage = os.wait4(child.pid, 0)  # this child's own figures (and its workers')
        elapsed = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"{label}: exit {child.returncode}")
        output.seek(0)
        stdout = output.read()
    peak, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    counts = json.loads(stdout)["counts"]
    total = sum(counts.values())
    rss = f"peak RSS {peak / 1024:.0f} MB"
    print(f"{label}: {total} messages in {elapsed:.1f}s = {total / elapsed:.0f} msg/s "
          f"({cpu:.1f}s CPU = {total / cpu:.0f} msg/s of CPU), {rss} "
          f"{dict(sorted(counts.items()))}")


def _floor(box: Path, root: Path) -> None:
    """The standard library's parse plus raw SQL inserts: what no importer can beat."""
    started = time.perf_counter()
    cpu_started = time.process_time()
    con = sqlite3.connect(root / "floor.db")
    con.execute("CREATE TABLE m (subject TEXT, body TEXT)")
    mbox = std_mailbox.mbox(str(box))
    rows = []
    for key in mbox.iterkeys():
        msg = email.message_from_bytes(mbox.get_bytes(key), policy=policy.default)
        part = msg.get_body(("plain", "html"))
        try:
            body = part.get_content() if part is not None else ""
        except (LookupError, UnicodeError):
            body = ""
        rows.append((str(msg["Subject"]), body))
    with con:
        con.executemany("INSERT INTO m VALUES (?, ?)", rows)
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    print(f"floor (stdlib parse + raw SQL): {len(rows)} messages in {elapsed:.1f}s = "
          f"{len(rows) / elapsed:.0f} msg/s ({cpu:.1f}s CPU = {len(rows) / cpu:.0f} msg/s of CPU)")


def _generate(path: Path, messages: int, seed: int) -> None:
    rng = random.Random(seed)
    box = std_mailbox.mbox(str(path), create=True)
    earlier: list[tuple[str, str]] = []
    started = time.perf_counter()
    size = 0
    box.lock()
    for n in range(messages):
        raw = make_message(rng, n, earlier)
        size += len(raw)
        box.add(raw)
    box.flush()
    box.unlock()
    print(f"generated {messages} messages ({size / 1e6:.1f} MB mbox) in "
          f"{time.perf_counter() - started:.1f}s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--generate", metavar="MBOX", help=argparse.SUPPRESS)
    parser.add_argument("--compare", action="store_true",
                        help="also import message by message (the path before batching)")
    parser.add_argument("--rules", action="store_true",
                        help="desks with event rules (routing, auto-reply, customer replied)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    if args.generate:
        _generate(Path(args.generate), args.messages, args.seed)
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        box_path = root / "inbox.mbox"
        # in a child: a child's peak RSS starts at its parent's, so this process stays small
        subprocess.run([sys.executable, __file__, "--generate", str(box_path), "--messages",
                        str(args.messages), "--seed", str(args.seed)], check=True)
        (root / "config.toml").write_text(
            '[mail]\naddress = "support@bench.example"\ndomain = "bench.example"\n'
            "auto_cap = 10000000\n", encoding="utf-8")
        _seed(root / "bench.db", args.rules)
        _import(root, box_path, "first import")
        _import(root, box_path, "re-import (duplicates)")
        if args.compare:
            _seed(root / "one-by-one.db", args.rules)
            _import(root, box_path, "first import, message by message", "one-by-one.db",
                    one_by_one=True)
        _floor(box_path, root)
        print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
