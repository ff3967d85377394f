"""Notifications in the customer's language: every template in every language, the
multipart/alternative message with an HTML part (right-to-left for Persian), the choice of
language (contact, queue, desk), admin overrides in the config folder."""

from __future__ import annotations

import email
import os
import re
from email import policy
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import app
from deskterm.domain import Actor
from deskterm.mail.outbound import local_outbox_dir, send_due
from deskterm.services import directory, tickets
from deskterm.services.messaging import mail_text, notifications
from deskterm.services.messaging.inbound import Importer
from deskterm.store import migrations
from deskterm.store.db import db, open_db
from deskterm.store.models import OutboxMessage

KINDS = ("ticket_opened", "reply", "status_changed", "survey")


def message(sender: str, subject: str, body: str) -> bytes:
    from email.message import EmailMessage

    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, "support@desk.example", subject
    msg.set_content(body)
    return bytes(msg)


@pytest.mark.parametrize("language", mail_text.LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_template_renders_with_no_placeholder_left(kind, language):
    values = {name: f"<{name}>" for name in notifications.PLACEHOLDERS}
    subject, body = notifications.render(kind, values, language)
    source = notifications.template_text(kind, language)
    templates = Path(notifications.__file__).parents[2] / "templates"
    assert source == (templates / f"mail-{kind}.{language}.txt").read_text(encoding="utf-8")
    assert subject and "<ticket.ref>" in subject
    assert not re.search(r"\{[a-z_.]+\}", subject + body), (kind, language)
    assert "<token>" in body and ("<reply.body>" in body) == (kind == "reply")


def _sent(config) -> list:
    send_due(config)
    folder = local_outbox_dir(config) / "new"
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)]


def test_persian_customer_gets_persian_mail_with_a_right_to_left_html_part(mail_desk):
    raw = message("maryam@example.ir", "مشکل ورود", "سلام، رمز عبور حساب من کار نمی‌کند و "
                  "نمی‌توانم وارد شوم. لطفا کمک کنید.")
    opened = Importer(mail_desk).import_raw(raw, "fa")
    assert directory.contact_language("maryam@example.ir") == "fa"
    (mail,) = _sent(mail_desk)
    assert mail["Subject"] == f"[#{opened.ticket_id}] مشکل ورود"
    assert mail["Content-Language"] == "fa"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html = mail.get_payload()
    assert plain.get_content().startswith(mail_text.MARKERS["fa"] + "\n\nmaryam گرامی،")
    markup = html.get_content()
    assert '<html lang="fa" dir="rtl">' in markup and '<div dir="rtl"' in markup
    assert "از اینکه با Desk Support تماس گرفتید سپاسگزاریم" in markup


def test_language_from_contact_then_queue_then_desk(mail_desk, tmp_path):
    importer = Importer(mail_desk)
    ru = importer.import_raw(message("ivan@example.ru", "Не работает", "Здравствуйте, у меня не "
                                     "работает вход, помогите пожалуйста."), "ru")
    hr = importer.import_raw(message("ana@example.hr", "Ne radi", "Poštovani, prijava mi ne radi "
                                     "već dva dana, molim vas pomoć."), "hr")
    short = importer.import_raw(message("x@example.com", "?", "ok"), "short")
    by_ticket = {m.ticket_id: m for m in OutboxMessage.select()}
    assert "Спасибо, что обратились в Desk Support" in by_ticket[ru.ticket_id].body
    assert "hvala što ste se obratili službi Desk Support" in by_ticket[hr.ticket_id].body
    assert directory.contact_language("x@example.com") is None
    assert "thank you for contacting Desk Support" in by_ticket[short.ticket_id].body
    # the queue's language comes before the desk's; the contact's before both
    from deskterm.store.models import Queue

    Queue.update(language="sr").where(Queue.slug == "general").execute()
    ana = directory.actor_for("ana")
    tickets.set_status(ana, short.ticket_id, "on_hold")
    status_mail = OutboxMessage.select().where(OutboxMessage.kind == "status_changed").get()
    assert "promenjen je iz\n\"nova\" u \"na čekanju\"" in status_mail.body
    directory.set_contact_language(Actor.system("test"), "x@example.com", "ru")
    tickets.set_status(ana, short.ticket_id, "open")
    last = OutboxMessage.select().order_by(OutboxMessage.id.desc()).get()
    assert "изменён:\n«на паузе»" not in last.body and "«приостановлена» → «открыта»" in last.body


def test_admin_template_in_the_config_folder_wins(mail_desk):
    folder = Path(os.environ["DESKTERM_CONFIG"]).parent / "templates"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mail-ticket_opened.ru.txt").write_text(
        "Subject: Заявка {ticket.ref}\n\n{marker}\n\n"
        "Мы на связи, {requester.first_name}.\n{token}\n",
        encoding="utf-8")
    (folder / "mail-layout.html").write_text(
        '<html lang="{lang}" dir="{dir}"><body class="ours">{body}{hidden}</body></html>',
        encoding="utf-8")
    result = Importer(mail_desk).import_raw(
        message("Ivan Petrov <ivan@example.ru>", "Вопрос", "Здравствуйте, как мне изменить "
                "пароль? Спасибо."), "ru")
    (mail,) = _sent(mail_desk)
    assert mail["Subject"] == f"Заявка #{result.ticket_id}"
    plain, html = mail.get_payload()
    assert "Мы на связи, Ivan." in plain.get_content()
    assert html.get_content().startswith('<html lang="ru" dir="ltr"><body class="ours">')


def test_agents_set_a_customers_language_from_the_cli(desk):
    runner = CliRunner()
    base = ["--db", str(desk), "--as", "ana", "mail", "language", "lejla@example.ba"]
    directory.update_contact("lejla@example.ba", name="Lejla Begić")  # a known customer
    assert runner.invoke(app, [*base, "bs"]).exit_code == 0
    shown = runner.invoke(app, [*base, "--json"])
    assert shown.exit_code == 0 and '"language": "bs"' in shown.stdout
    bad = runner.invoke(app, [*base, "klingon"])
    assert bad.exit_code == 2 and "unknown language 'klingon'" in bad.output
    assert runner.invoke(app, [*base, "auto"]).exit_code == 0
    assert directory.contact_language("lejla@example.ba") is None


def test_a_migration_released_after_a_higher_one_is_still_applied(tmp_path):
    path = tmp_path / "gap.db"
    open_db(path)
    db.execute_sql('ALTER TABLE "contact" DROP COLUMN "language"')
    db.execute_sql('ALTER TABLE "contact" DROP COLUMN "sms_opt_in"')
    db.execute_sql('ALTER TABLE "queue" DROP COLUMN "language"')
    db.execute_sql('ALTER TABLE "outbox_message" DROP COLUMN "channel"')
    db.execute_sql('DELETE FROM "schema_version" WHERE "version" = 7')
    assert 7 not in migrations.applied_versions(db)
    db.close()
    open_db(path)
    assert 7 in migrations.applied_versions(db)
    columns = {row[1] for row in db.execute_sql('PRAGMA table_info("contact")')}
    assert {"language", "sms_opt_in"} <= columns
