"""Language detection on a labelled sample in every desk language, short and long, and
Finglish (Persian in Latin letters) as its own language for the Persian desk's rule."""

from __future__ import annotations

import pytest

from deskterm.domain import Actor
from deskterm.services import tickets
from deskterm.services.automation import rules
from deskterm.services.automation.rules_file import parse_rules
from deskterm.services.messaging import language

#: (expected, text): a short and a longer message in each desk language.
LABELLED = [
    ("en", "My invoice is wrong"),
    ("en", "Hello, I was charged twice for my subscription this month. Could you please "
           "refund the second payment? Thank you."),
    ("bs", "Ne mogu platiti račun"),
    ("bs", "Poštovani, kartica je odbijena već treći put kada pokušam platiti račun. Molim "
           "vas da provjerite šta nije u redu. Hvala!"),
    ("bs", "Zdravo, da li godišnji plan uključuje podršku vikendom?"),
    ("bs", "Здраво, не могу да се пријавим на свој налог већ два дана."),
    ("ru", "Не приходит письмо"),
    ("ru", "Здравствуйте! Уже второй день не приходит письмо для сброса пароля. Проверил "
           "папку со спамом, там пусто. Помогите, пожалуйста."),
    ("fa", "رمز عبور کار نمی‌کند"),
    ("fa", "سلام، رمز عبور حساب کاربری من کار نمی‌کند و نمی‌توانم وارد شوم. لطفا کمک کنید."),
    ("fa-latn", "salam, man nemitoonam payamak befrestam, lotfan komak konid"),
    ("fa-latn", "salam, ramz hesabam kar nemikone, lotfan komak konid"),
    ("de", "Guten Tag, die Rechnung für November ist doppelt gebucht."),
]


@pytest.mark.parametrize(("expected", "text"), LABELLED)
def test_labelled_sample(expected, text):
    assert language.normalise(language.detect(text)) == expected


def test_too_little_text_is_unknown():
    assert language.detect("ok") is None and language.detect("?? 12") is None


def test_english_is_not_finglish_and_finglish_is_not_persian():
    assert language.detect("Can you help me with my account, please?") == "en"
    assert language.detect("salam, lotfan komak konid") == "fa-Latn"
    assert not language.same_language("fa-Latn", "fa")
    assert language.same_language("hr", "sr") and language.same_language("sr", "bs")


def test_persian_desk_rule_closes_finglish_and_english_but_not_persian(desk):
    rules.load_rules(Actor.system("test"), parse_rules("""
[[rule]]
name = "Persian-only desk"
when = "created"
[rule.if]
language = { not = "fa" }
[rule.then]
reply = { body = "لطفاً درخواست خود را به زبان فارسی بنویسید." }
close = true
"""))
    customer = Actor("customer", "customer@example.ir")

    def new(subject: str, body: str) -> str:
        made = tickets.create_ticket(customer, subject=subject, body=body, queue="general",
                                     requester_email="customer@example.ir", channel="email")
        return tickets.get_ticket(made.id).status.value

    assert new("payamak", "salam, man nemitoonam payamak befrestam, lotfan komak konid") == (
        "closed")
    assert new("SMS", "Hello, I cannot send a text message, please help.") == "closed"
    assert new("پیامک", "سلام، نمی‌توانم پیامک بفرستم، لطفا کمک کنید.") == "new"
