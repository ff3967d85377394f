"""Every hand-made sample in data/mail/: the exact subject, sender, body start and file
names a user would check; `mail parse` predicts exactly what import then does; and no
message, however broken, crashes or stores a surrogate."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.mail.parse import parse_message
from deskterm.mail.sources import read_path
from deskterm.services.messaging.inbound import Importer
from deskterm.store.db import db
from deskterm.store.models import Attachment, Contact, Entry, InboundMessage, Ticket

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"

#: file prefix: (subject, sender name, sender address, body start, attachment names)
EXPECTED = {
    "14": ("账户无法登录 - 朱镕基路分行", "王喆", "wang.zhe@example.cn",
           "您好：\n我的账户从昨天开始无法登录，系统提示密码错误。\n联系人：王喆", []),
    "15": ("請求書の金額が違います", "田中 花子", "tanaka@example.jp",
           "お世話になっております。\n11月分の請求書の金額が違います。", []),
    "16": ("ログインできません", "", "yamada@example.jp",
           "㈱山田商事の山田です。\n① ログインできません。", []),
    "17": ("Двойное списание", "Ольга Петрова", "olga@example.ru",
           "Здравствуйте!\nС карты списали деньги дважды за один заказ.", []),
    "18": ("Rechnung für November", "Jürgen Müller", "juergen@example.de",
           "Guten Tag,\ndie Rechnung für November ist doppelt gebucht. Grüße aus Köln!", []),
    "20": ("Nightly report", "Billing Script", "billing-script@example.com",
           "Hello,\nthe report from our script is attached below.\n\nRegards, cron",
           ["report.txt"]),
    "21": ("Ne radi prijava", "Ana Kovač", "ana.kovac@example.hr",
           "Poštovani,\n\nprijava ne radi od jutros.", []),
    "22": ("Fwd: Narudžba 55-1182", "Selma Hadžić", "selma.hadzic@example.ba",
           "---------- Forwarded message ---------\nFrom: Shop <orders@shop.example>\n"
           "Date: Sun, 29 Nov 2026 at 18:02\nSubject: Narudžba 55-1182\n"
           "To: <selma.hadzic@example.ba>\n\nVaša narudžba 55-1182 je otkazana.", []),
    "23": ("FW: FW: Stock report", "Marko Horvat", "marko.horvat@example.hr",
           "Molim pogledajte proslijeđenu poruku.\n\n---------- Forwarded message ----------\n"
           "From: Shop <shop@example.com>\nDate: Fri, 27 Nov 2026 09:00:00 +0000\n"
           "Subject: FW: Stock report\nTo: marko@example.hr\n\nSee the warehouse mail.\n\n"
           "---------- Forwarded message ----------\nFrom: Warehouse <warehouse@example.com>\n"
           "Date: Fri, 27 Nov 2026 08:00:00 +0000\nSubject: Stock report\nTo: shop@example.com\n\n"
           "Printer toner: 0 left.", ["stock.csv"]),
    "24": ("Quoted local part", "Test User", '"test test"@example.com',
           "Hello from a quoted local part.", []),
    "25": ("Cron <root@backup> /usr/local/bin/backup", "", "root@localhost",
           "backup: disk /dev/sdb1 is full", []),
    "26": ("Sender but no From", "Helpdesk Bot", "bot@intranet",
           "A message with only a Sender header.", []),
    "27": ("Return-Path only", "", "someone@example.net", "Only the envelope sender is known.",
           []),
    "28": ("Wrong amount", "Mary O'Neil", "mary@example.ie",
           "The invoice says \u201c49,90 \u20ac\u201d but I paid \u201339,90 \u20ac\u2013 "
           "last week.",
           []),
    "29": ("결제 오류", "김민준", "minjun@example.kr",
           "안녕하세요. 결제가 두 번 되었습니다. 환불 부탁드립니다.", []),
    "30": ("בעיה בהתחברות", "Dana Levi", "dana@example.il",
           "שלום, אני לא מצליח להתחבר לחשבון.", []),
    "33": ("Račun i specifikacija", "Nermin Delić", "nermin.delic@example.ba",
           "Poštovani,\n\nu prilogu su račun i specifikacija.\n\nNermin Delić",
           ["račun-studeni.pdf", "specifikacija.csv"]),
    "34": ("Potpisani ugovor", "Goran Knežević", "goran.knezevic@example.rs",
           "Dobar dan,\nšaljem potpisani ugovor za 2027.\n\nGoran Knežević",
           ["ugovor-2027.txt"]),
}


def sample(prefix: str) -> Path:
    (path,) = CORPUS.glob(f"{prefix}-*.eml")
    return path


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_sample_parses_to_the_expected_text(prefix):
    subject, name, address, body, files = EXPECTED[prefix]
    mail = parse_message(sample(prefix).read_bytes())
    assert (mail.subject, mail.from_name, mail.from_email) == (subject, name, address)
    assert mail.body.startswith(body), mail.body
    assert [a.filename for a in mail.attachments] == files


def test_uuencoded_block_becomes_the_file_it_encodes():
    mail = parse_message(sample("20").read_bytes())
    (report,) = mail.attachments
    assert report.data == b"Invoice 2026-118\nAmount: 49.90 EUR\nStatus: unpaid\n" * 3
    assert report.content_type == "text/plain"
    assert "begin 644" not in mail.text and len(mail.text) < 100


def test_nested_forward_keeps_the_innermost_attachment():
    (csv,) = parse_message(sample("23").read_bytes()).attachments
    assert (csv.content_type, csv.data) == ("text/csv", b"item,count\r\ntoner,0")


def test_undecodable_bytes_in_every_header_never_reach_the_database(mail_desk):
    raw = sample("19").read_bytes()
    mail = parse_message(raw)
    texts = [mail.subject, mail.from_name, mail.body, *[n for n, _ in mail.to + mail.cc],
             *[a.filename for a in mail.attachments]]
    assert not [t for t in texts if any("\ud800" <= c <= "\udfff" for c in t)]
    assert mail.from_email == "bytes@example.org" and mail.cc[0][1] == "cc-bytes@example.org"
    result = Importer(mail_desk).import_raw(raw, "19")
    assert result.status == "created"
    _assert_no_surrogates_stored()


def _assert_no_surrogates_stored() -> None:
    for model, fields in ((Ticket, ["subject"]), (Entry, ["body", "author"]),
                          (Contact, ["name", "email"]), (Attachment, ["filename"]),
                          (InboundMessage, ["subject", "from_addr", "reason"])):
        for row in model.select():
            for name in fields:
                value = getattr(row, name) or ""
                assert not any("\ud800" <= c <= "\udfff" for c in value), (model, name, value)


def test_parse_predicts_what_import_does_for_every_sample(mail_desk):
    """In file order on one desk: each prediction is made just before that import."""
    importer = Importer(mail_desk)
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()
        predicted = importer.explain(raw)
        result = importer.import_raw(raw, path.name)
        assert (predicted["result"], predicted["action"]) == (result.status, result.reason), (
            path.name)
        assert importer.explain(raw)["result"] == "duplicate", path.name
    assert InboundMessage.select().where(InboundMessage.status == "quarantined").count() == 0


def test_folder_of_files_without_extensions_and_other_formats(mail_desk, tmp_path):
    import mailbox as std_mailbox

    folder = tmp_path / "incoming"
    folder.mkdir()
    for n, prefix in enumerate(("01", "14", "15", "24")):
        name = {0: "1", 1: "msg-two.msg", 2: "three.box", 3: "sub/four"}[n]
        (folder / name).parent.mkdir(exist_ok=True)
        (folder / name).write_bytes(sample(prefix).read_bytes())
    (folder / "notes.txt").write_text("shopping list: milk, bread\n")
    box = std_mailbox.MMDF(str(folder / "archive"), create=True)
    box.add(sample("17").read_bytes())
    box.add(sample("29").read_bytes())
    box.close()
    summary = Importer(mail_desk).import_many(read_path(folder))
    assert summary.counts == {"created": 6, "skipped": 1}
    (skipped,) = [r for r in summary.results if r.status == "skipped"]
    assert (skipped.source, skipped.reason) == (
        "notes.txt", "not a mail message (no RFC 822 headers)")
    subjects = sorted(t.subject for t in Ticket.select())
    assert subjects == sorted([
        "Ne mogu platiti račun – kartica odbijena", "账户无法登录 - 朱镕基路分行",
        "請求書の金額が違います", "Quoted local part", "Двойное списание", "결제 오류",
    ])


CHARSETS = ["utf-8", "koi8-r", "windows-1251", "iso-8859-2", "gb2312", "shift_jis",
            "iso-2022-jp", "bogus-charset", "utf-7", "ks_c_5601-1987", ""]


@st.composite
def messages(draw) -> bytes:
    """Random headers, charsets, raw bytes and nesting."""
    junk = st.binary(max_size=40)
    text = st.text(max_size=60)
    line = st.text(st.characters(exclude_categories=("Cs", "Zl", "Zp", "Cc")), max_size=60)

    def build(depth: int) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = draw(st.sampled_from(["a@b.example", '"x y"@h', "root@localhost", ""]))
        msg["Subject"] = draw(line)
        body = draw(text)
        charset = draw(st.sampled_from(CHARSETS))
        msg.set_content(body.encode("utf-8", "replace"), maintype="text", subtype="plain")
        if charset:
            msg.replace_header("Content-Type", f'text/plain; charset="{charset}"')
        if depth < 3 and draw(st.booleans()):
            msg.make_mixed()
            msg.attach(_wrap(build(depth + 1)))
        if draw(st.booleans()):
            msg.make_mixed() if not msg.is_multipart() else None
            msg.add_attachment(draw(junk), maintype="application", subtype="octet-stream",
                               filename="f.bin")
        return msg

    top = build(0)
    for n, part in enumerate(top.walk()):  # fixed boundaries: no `random` inside hypothesis
        if part.is_multipart():
            part.set_boundary(f"==b{n}==")
    raw = top.as_bytes()
    head, _, rest = raw.partition(b"\n\n")
    return head + b"\nX-Junk: " + draw(junk).replace(b"\n", b" ").replace(b"\r", b" ") \
        + b"\nReply-To: " + draw(junk).replace(b"\n", b"").replace(b"\r", b"") \
        + b"\n\n" + rest + draw(junk)


def _wrap(inner: EmailMessage) -> EmailMessage:
    part = EmailMessage()
    part.set_content(inner)
    return part


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=messages())
def test_generated_messages_never_crash_or_store_surrogates(mail_desk, raw):
    mail = parse_message(raw)
    assert not any("\ud800" <= c <= "\udfff" for c in mail.subject + mail.body + mail.from_name)
    result = Importer(mail_desk).import_raw(raw, "generated")
    assert result.status in {"created", "quarantined", "duplicate", "ignored", "threaded"}
    _assert_no_surrogates_stored()
    db.execute_sql("SELECT 1")


def test_unreadable_winmail_dat_is_kept_as_it_came():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "Broken TNEF"
    msg.set_content("See the file.")
    msg.add_attachment(b"\x78\x9f\x3e\x22not really tnef", maintype="application",
                       subtype="ms-tnef", filename="winmail.dat")
    mail = parse_message(bytes(msg))
    assert mail.body == "See the file."
    assert [(a.filename, a.data) for a in mail.attachments] == [
        ("winmail.dat", b"\x78\x9f\x3e\x22not really tnef")]


def test_winmail_dat_files_are_imported_with_their_bytes(mail_desk):
    from deskterm.services import attachments

    result = Importer(mail_desk).import_raw(sample("33").read_bytes(), "33")
    assert result.status == "created"
    rows = Attachment.select().order_by(Attachment.id)
    stored = [attachments.read_bytes(row.id) for row in rows]
    assert [(info.filename, data) for info, data in stored] == [
        ("račun-studeni.pdf", b"%PDF-1.4\n% deskterm sample\n%%EOF\n"),
        ("specifikacija.csv", "artikal;količina\ntoner;2\n".encode()),
    ]
