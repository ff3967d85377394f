"""Parsing real MIME messages from data/mail/ and CPython's own email test data."""

from __future__ import annotations

import importlib.util
from email.message import EmailMessage
from pathlib import Path

import pytest

from deskterm.mail import ids
from deskterm.mail.html_text import html_to_text
from deskterm.mail.parse import message_digest, parse_message
from deskterm.mail.quoting import REPLY_MARKER, strip_reply

CORPUS = Path(__file__).resolve().parent.parent / "data" / "mail"


def corpus(name: str):
    (path,) = CORPUS.glob(f"{name}-*.eml")
    return parse_message(path.read_bytes())


def test_bosnian_quoted_printable_and_encoded_words():
    mail = corpus("01")
    assert mail.from_name == "Selma Hadžić"
    assert mail.from_email == "selma.hadzic@example.ba"
    assert mail.subject == "Ne mogu platiti račun – kartica odbijena"
    assert "ne mogu platiti račun broj 2026-118" in mail.body
    assert mail.message_id == "<selma-0001@mail.example.ba>"
    assert mail.automatic is None


def test_croatian_alternative_prefers_plain_windows_1250():
    mail = corpus("02")
    assert mail.subject == "Aplikacija se ruši nakon ažuriranja"
    assert "aplikacija se ruši čim otvorim izvješće" in mail.body
    assert "<b>" not in mail.body
    assert mail.cc == [("Ivana Kovačević", "ivana.kovacevic@example.hr")]
    assert mail.attachments == []  # the HTML alternative is not an attachment


def test_persian_html_only_becomes_text():
    mail = corpus("03")
    assert mail.subject == "مشکل ورود به حساب کاربری"
    assert mail.from_name == "مریم احمدی"
    assert "رمز عبور حساب من کار نمی\u200cکند" in mail.body
    assert "- مرورگر: فایرفاکس" in mail.body
    assert "color:red" not in mail.body and "<p>" not in mail.body


def test_koi8r_body_and_subject():
    mail = corpus("04")
    assert mail.subject == "Не приходит письмо для сброса пароля"
    assert mail.from_name == "Дмитрий Соколов"
    assert "Проверил папку 'Спам'" in mail.body


def test_windows_1251_body_and_non_ascii_attachment_names():
    mail = corpus("05")
    assert mail.subject == "Двойное списание по счёту"
    assert "Сумма списана дважды" in mail.body
    names = [a.filename for a in mail.attachments]
    assert names == ["счёт-2026.pdf", "snimak_zaslona_greška.png"]
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")
    assert mail.attachments[1].data.startswith(b"\x89PNG")


def test_inline_image_is_kept_as_attachment():
    mail = corpus("06")
    (image,) = mail.attachments
    assert image.inline and image.content_id == "shot-06@example.ba"
    assert image.content_type == "image/png" and image.data.startswith(b"\x89PNG")
    assert "the checkout (https://shop.example.com/checkout)" in mail.body


def test_followup_strips_quoted_history_but_keeps_it_in_text():
    mail = corpus("07")
    assert mail.body == "Evo i broja narudžbe: 55-1182. Hvala na brzini!\n\nSelma"
    assert "> ne mogu platiti" in mail.text
    assert mail.thread_ids == ["<selma-0001@mail.example.ba>"]
    assert mail.clean_subject == "Ne mogu platiti račun – kartica odbijena"


def test_outlook_reply_strips_signature_and_header_block():
    mail = corpus("11")
    assert mail.body == "Evo snimke zaslona, greška se javlja i na drugom računalu."
    assert mail.thread_ids == ["<zeljko-0002@example.hr>"]


def test_auto_reply_bulk_and_bounce_are_classified():
    assert corpus("08").automatic.startswith("Auto-Submitted")
    assert corpus("13").automatic == "Precedence: bulk"
    bounce = corpus("09")
    assert bounce.bounce
    assert bounce.bounced_ids == ["<dt.9999.0000000000.0000000000000000@deskterm.example>"]
    assert corpus("01").bounce is False


def test_messy_message_without_id_and_with_raw_8bit_headers():
    mail = corpus("12")
    assert mail.message_id is None and len(mail.digest) == 64
    assert mail.from_name == "Jovana Marković"
    assert mail.subject == "Pitanje o pretplati – godišnji plan"
    assert "uključuje podršku vikendom" in mail.body


@pytest.mark.parametrize(("codec", "name", "subject"), [
    ("koi8-r", "Дмитрий Соколов", "Не приходит письмо"),
    ("cp1251", "Анна Петрова", "Двойное списание"),
    ("cp1250", "Željko Šimić", "Pitanje o računu"),
    ("latin-1", "Jürgen Groß", "Rechnung für Köln"),
])
def test_raw_8bit_headers_with_no_charset_are_read_in_one_table(codec, name, subject):
    """A client that declares nothing wrote every header in one table: read together, a
    short KOI8-R Subject is not taken for Hebrew."""
    raw = (f"From: {name} <client@example.net>\nTo: support@desk.example\n"
           f"Subject: {subject}\nMessage-ID: <raw-8bit@example.net>\n\nHello.\n")
    mail = parse_message(raw.encode(codec))
    assert (mail.from_name, mail.from_email, mail.subject) == (
        name, "client@example.net", subject)


@pytest.mark.parametrize(("label", "codec", "text"), [
    ("unicode-1-1-utf-7", "utf-7", "Привет, račun"),
    ("x-mac-cyrillic", "mac-cyrillic", "Привет, мир"),
    ("x-mac-ce", "mac-latin2", "Čćžš u računu"),
    ("iso-8859-2", "cp1250", "Šta ćeš, Žarko?"),  # 0x8a, 0x8e: windows-1250 mislabelled
    ("ks_c_5601-1987", "cp949", "결제 오류"),
    ("gbk", "gb18030", "朱镕基 王喆"),
])
def test_charset_labels_mail_clients_use(label, codec, text):
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "x"
    msg.set_content(text.encode(codec), maintype="text", subtype="plain",
                    params={"charset": label}, cte="base64")
    assert parse_message(bytes(msg)).body == text


@pytest.mark.parametrize(("headers", "requester"), [
    ({"Reply-To": "Helpdesk Bot <bot@intranet>"}, ("Helpdesk Bot", "bot@intranet")),
    ({"Return-Path": "<bounce@example.net>", "Reply-To": "answers@example.net"},
     ("", "answers@example.net")),
    ({"Reply-To": "r@example.net", "Sender": "Sekretarica <s@example.ba>"},
     ("Sekretarica", "s@example.ba")),
    ({"From": "undisclosed-recipients:;", "Sender": "s@example.ba"}, ("", "s@example.ba")),
])
def test_requester_from_sender_then_reply_to_then_return_path(headers, requester):
    msg = EmailMessage()
    for name, value in headers.items():
        msg[name] = value
    msg["Subject"] = "No usable From"
    msg.set_content("Hello.")
    mail = parse_message(bytes(msg))
    assert (mail.from_name, mail.from_email) == requester


def test_subject_ref_and_clean_subject():
    mail = corpus("10")
    assert mail.subject_ref == 1
    assert mail.clean_subject == "I have the same problem"


def test_undecodable_charset_falls_back_instead_of_failing():
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "x"
    msg.set_content("Čćžšđ".encode("windows-1250"), maintype="text", subtype="plain",
                    params={"charset": "x-no-such-charset"})
    mail = parse_message(bytes(msg))
    assert mail.body  # decoded with a fallback, not an exception


def test_html_to_text_blockquote_and_hidden():
    html = ('<div>Thanks!<span style="display:none">secret</span></div>'
            "<blockquote><p>old text</p></blockquote><script>x()</script>")
    text = html_to_text(html)
    assert text.splitlines()[0] == "Thanks!"
    assert "> old text" in text and "secret" not in text and "x()" not in text
    assert strip_reply(text) == "Thanks!"


def test_strip_reply_marker_russian_and_persian_attributions():
    assert strip_reply(f"Да, спасибо.\n\n{REPLY_MARKER}\nold") == "Да, спасибо."
    ru = "Спасибо, работает.\n\n2 нояб. 2026 г., в 10:00, Support <s@example.com> пишет:\n> old"
    assert strip_reply(ru) == "Спасибо, работает."
    fa = "ممنون، حل شد.\n\nدر تاریخ ۱۲ آبان، پشتیبانی نوشت:\n> قبلی"
    assert strip_reply(fa) == "ممنون، حل شد."
    assert strip_reply("> only a quote") == "> only a quote"  # nothing new: keep it all


def test_signed_ids_and_tokens_reject_forgery():
    mid = ids.make_message_id(1042, "s3cret", "example.com")
    assert ids.ticket_from_message_id(mid, "s3cret") == 1042
    assert ids.ticket_from_message_id(mid, "other") is None
    forged = mid.replace("dt.1042.", "dt.1043.")
    assert ids.ticket_from_message_id(forged, "s3cret") is None
    token = ids.make_token(7, "s3cret")
    assert ids.ticket_from_token(f"hello\n> {token}\n", "s3cret") == 7
    assert ids.ticket_from_token(token.replace("#7-", "#8-"), "s3cret") is None


CPYTHON_DATA = None
_spec = importlib.util.find_spec("test.test_email")
if _spec and _spec.submodule_search_locations:
    CPYTHON_DATA = Path(list(_spec.submodule_search_locations)[0]) / "data"


@pytest.mark.skipif(not (CPYTHON_DATA and CPYTHON_DATA.is_dir()), reason="CPython test data absent")
def test_parses_every_cpython_test_message():
    files = sorted(CPYTHON_DATA.glob("msg_*.txt"))
    assert len(files) > 40
    for path in files:
        raw = path.read_bytes()
        mail = parse_message(raw)
        assert len(mail.digest) == 64 and message_digest(raw) == mail.digest, path.name


def test_header_only_digest_matches_the_full_parse():
    for path in sorted(CORPUS.glob("*.eml")):
        raw = path.read_bytes()
        assert message_digest(raw) == parse_message(raw).digest, path.name
