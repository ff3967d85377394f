"""mbox variants read as their writers meant: mboxrd `>From ` unquoting, mboxcl2
Content-Length bodies with unquoted `From ` lines, both on the samples and imported."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskterm.mail import mbox
from deskterm.mail.parse import parse_message
from deskterm.mail.sources import read_path
from deskterm.services.messaging.inbound import Importer
from deskterm.store.models import Entry, Ticket

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"
MBOXRD = CORPUS / "31-mboxrd-from-quoting.mbox"
MBOXCL2 = CORPUS / "32-mboxcl2-content-length.mbox"

AMRA = ('Dobar dan,\n\nFrom Monday on, the invoice PDF is empty.\n'
        '>From the earlier reply: "try another browser" - I did.\n'
        '>>From 2025 on it happened once before.\n\nAmra Begić')
IVAN = "Pozdrav,\n\nFrom the app I cannot log in since the update.\n\nIvan Perić"
LEJLA = ("Hello,\n\nFrom now on every invoice shows the wrong VAT rate.\n"
         ">From the old thread: it was 17%, now 25%.\n\nGreetings,\nLejla Mehić")
TOM = "Hi,\n\nplease close my account.\nFrom: me, as agreed on the phone.\n\nTom"


def texts(path: Path) -> list[tuple[str, str, str]]:
    return [(m.subject, m.from_email, m.text)
            for m in map(parse_message, mbox.read_messages(path))]


def test_mboxrd_takes_one_quote_level_off_every_from_line():
    assert mbox.variant(MBOXRD) == "mboxrd"
    assert texts(MBOXRD) == [
        ("Empty invoice PDF", "amra.begic@example.ba", AMRA),
        ("Login after the update", "ivan.peric@example.hr", IVAN),
    ]


def test_mboxcl2_body_is_content_length_bytes_and_not_unquoted():
    assert mbox.variant(MBOXCL2) == "mboxcl2"
    assert texts(MBOXCL2) == [
        ("Wrong VAT on invoices", "lejla.mehic@example.ba", LEJLA),
        ("Close my account", "tom@example.co.uk", TOM),
    ]


def test_wrong_content_length_falls_back_to_from_lines(tmp_path):
    broken = tmp_path / "broken.mbox"
    broken.write_bytes(MBOXCL2.read_bytes().replace(b"Content-Length: 128", b"Content-Length: 90"))
    assert mbox.variant(broken) == "mboxrd"
    # split at every From line: Lejla's body line "From now on" starts a third message
    assert len(list(mbox.read_messages(broken))) == 3


def test_crlf_mbox_and_empty_and_leading_blank_file(tmp_path):
    crlf = tmp_path / "crlf.mbox"
    crlf.write_bytes(MBOXRD.read_bytes().replace(b"\n", b"\r\n"))
    assert [t[2] for t in texts(crlf)] == [AMRA, IVAN]
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert list(mbox.read_messages(empty)) == []


def test_last_message_keeps_its_final_line_without_a_trailing_blank(tmp_path):
    box = tmp_path / "one.mbox"
    box.write_bytes(b"From x Tue Dec  1 00:00:00 2026\nFrom: a@example.com\nSubject: s\n\n"
                    b">From the top\nend")
    (raw,) = mbox.read_messages(box)
    assert raw == b"From: a@example.com\nSubject: s\n\nFrom the top\nend"


def test_import_reads_both_samples_exactly(mail_desk):
    messages = [*read_path(MBOXRD), *read_path(MBOXCL2)]
    assert [source for source, _ in messages] == [
        "31-mboxrd-from-quoting.mbox#1", "31-mboxrd-from-quoting.mbox#2",
        "32-mboxcl2-content-length.mbox#1", "32-mboxcl2-content-length.mbox#2",
    ]
    summary = Importer(mail_desk).import_many(messages)
    assert summary.counts == {"created": 4}
    bodies = {t.subject: Entry.get(Entry.ticket == t.id).body for t in Ticket.select()}
    assert bodies == {"Empty invoice PDF": AMRA, "Login after the update": IVAN,
                      "Wrong VAT on invoices": LEJLA, "Close my account": TOM}


@pytest.mark.sqlite_only
def test_import_caps_the_page_cache_and_gives_it_back(mail_desk, monkeypatch):
    """SQLite's page cache would grow with the database during a big import (it was most
    of the importer's peak memory): 8 MB while importing, the desk's own size after."""
    from deskterm.services.messaging.inbound import IMPORT_CACHE_KIB
    from deskterm.store.db import backend, db

    def cache_size() -> int:
        return db.execute_sql("PRAGMA cache_size").fetchone()[0]

    before = cache_size()
    seen = []
    original = Importer._batch

    def watched(self, batch, parsed=None):
        seen.append(cache_size())
        return original(self, batch, parsed)

    monkeypatch.setattr(Importer, "_batch", watched)
    summary = Importer(mail_desk).import_many(read_path(MBOXRD))
    assert summary.counts == {"created": 2}
    assert seen == [-IMPORT_CACHE_KIB] and before == -32_000 and cache_size() == before
    with backend().capped_cache(db, 1000):
        assert cache_size() == -1000
    assert cache_size() == before
