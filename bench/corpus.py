"""Multilingual ticket text for the generator: English, Bosnian/Croatian, Russian, Persian.

Subjects and bodies are assembled from sentence pools, so a million tickets share a
realistic vocabulary (common words such as `račun`/`racun`, `VPN`, `пароль`) and still
carry rare ones (order numbers, device codes) that a search can single out.
"""

from __future__ import annotations

import random

LANGUAGES = ("bs", "hr", "en", "ru", "fa")
#: How often each language writes in (a Sarajevo/Zagreb desk with Russian and Persian customers).
WEIGHTS = (30, 20, 25, 15, 10)

SUBJECTS = {
    "bs": [
        "Račun za {month} nije stigao", "Dvostruko naplaćena pretplata", "Pisač ne ispisuje",
        "Ne mogu se prijaviti", "Zaboravljena lozinka", "Spor rad sistema u špici",
        "Aplikacija se ruši pri pokretanju", "Zahtjev za novi ugovor", "Greška {code} na portalu",
        "Ćevapi narudžba nije isporučena", "Promjena adrese za dostavu", "Upit o cijeni licence",
    ],
    "hr": [
        "Račun za {month} je pogrešan", "Mrežni pisač javlja grešku {code}",
        "Ponuda za dodatne licence", "Radno vrijeme za praznike", "Povrat novca za narudžbu",
        "Ažuriranje nije uspjelo", "Korisnički račun je zaključan", "Pošta ne stiže u sandučić",
    ],
    "en": [
        "Invoice for {month} is missing", "Printer does not print after the update",
        "VPN disconnects every few minutes", "Password reset link expired",
        "Server returns 502 on the reports page", "Change of billing address",
        "Feature request: dark mode", "Error {code} when exporting", "Cannot log in since Monday",
        "Refund for order {order}", "Mobile app crashes on start", "Add a new user to our account",
    ],
    "ru": [
        "Не работает VPN после обновления", "Счёт выставлен на неверную организацию",
        "Нужен доступ для нового сотрудника", "Ошибка {code} при входе", "Вопрос по договору",
        "Не приходит письмо для сброса пароля", "Принтер не печатает",
        "Возврат средств за заказ {order}",
    ],
    "fa": [
        "فاکتور این ماه اشتباه است", "ایمیل‌ها به صندوق ورودی نمی‌رسند",
        "حساب کاربری من قفل شده است", "سوال درباره تمدید قرارداد", "خطای {code} در ورود",
        "چاپگر کار نمی‌کند", "درخواست بازپرداخت سفارش {order}",
    ],
}
SENTENCES = {
    "bs": [
        "Poštovani, račun za {month} još nije stigao na moju adresu.",
        "Molim vas da provjerite šta se desilo sa mojom narudžbom {order}.",
        "Pisač u uredu ne ispisuje ništa nakon jučerašnjeg ažuriranja.",
        "Greška {code} se pojavljuje svaki put kad pokušam sačuvati dokument.",
        "Između 9 i 11 sati sistem radi izuzetno sporo.",
        "Hvala na brzom odgovoru, ali problem je i dalje prisutan.",
        "Evo dodatnih informacija koje ste tražili, broj ugovora je u potpisu.",
        "Da li je moguće da mi pošaljete novu šifru?",
        "Lijep pozdrav iz Sarajeva.",
    ],
    "hr": [
        "Dobar dan, ovaj mjesec mi je pretplata naplaćena dva puta.",
        "Trebamo ponudu za još {n} licenci, možete li poslati cjenik?",
        "Mrežni pisač javlja grešku {code} i ne želi se spojiti.",
        "Molim povrat novca na isti račun s kojeg je plaćeno.",
        "Zahvaljujem na pomoći, sve sada radi kako treba.",
        "Kada mogu očekivati rješenje ovog problema?",
        "Srdačan pozdrav iz Zagreba.",
    ],
    "en": [
        "Hello, we moved offices, please update the billing address on our contract.",
        "Since this morning the reports page returns 502 Bad Gateway for all our users.",
        "The VPN client disconnects every few minutes with error {code}.",
        "I requested a password reset but the link had already expired.",
        "Could you tell me when order {order} will be shipped?",
        "Thanks for the details, I will try that and let you know.",
        "Attaching a screenshot of the error we see on device {device}.",
        "This is blocking {n} people in our team, please treat it as urgent.",
        "Best regards, and thank you for your patience.",
    ],
    "ru": [
        "Здравствуйте! После обновления клиента VPN не подключается.",
        "В счёте указано неверное название организации, прошу исправить.",
        "Прошу создать учётную запись для нового сотрудника отдела продаж.",
        "Ошибка {code} появляется при каждом входе в систему.",
        "Спасибо, попробую и сообщу результат.",
        "Подскажите, можно ли перейти на годовой тариф в середине срока договора?",
        "Заказ {order} до сих пор не доставлен.",
        "С уважением, отдел закупок.",
    ],
    "fa": [
        "سلام، مبلغ فاکتور این ماه با قرارداد ما مطابقت ندارد.",
        "از دیروز ایمیل‌های مشتریان به صندوق ورودی ما نمی‌رسد.",
        "بعد از چند بار تلاش ناموفق، حساب کاربری من قفل شد.",
        "قرارداد ما ماه آینده تمام می‌شود. شرایط تمدید چگونه است؟",
        "خطای {code} هنگام ورود نمایش داده می‌شود.",
        "ممنون، مشکل هنوز وجود دارد.",
        "با تشکر از راهنمایی شما.",
    ],
}
AGENT_SENTENCES = {
    "bs": ["Poštovani, hvala na poruci. Provjeravamo i javljamo se uskoro.",
           "Problem je riješen, molim potvrdite da sve radi.",
           "Poslali smo novi račun na vašu adresu."],
    "hr": ["Poštovani, zaprimili smo vaš zahtjev i radimo na njemu.",
           "Povrat novca je odobren i bit će uplaćen u roku od {n} dana."],
    "en": ["Hi, thanks for the details. Could you tell us which version you are on?",
           "We have fixed the issue on our side, please try again.",
           "I've sent a new password reset link, it is valid for 24 hours."],
    "ru": ["Здравствуйте! Мы разбираемся с вашим вопросом.",
           "Проблема устранена, проверьте, пожалуйста."],
    "fa": ["درخواست شما دریافت شد و در حال بررسی است.", "مشکل برطرف شد، لطفا دوباره امتحان کنید."],
}
NOTES = [
    "Provjerio sam logove, greška je na strani servera.", "Клиент VIP, ответить в приоритете.",
    "Duplicate of an older ticket, probably.", "این مشکل قبلا هم گزارش شده بود.",
    "Čekamo odgovor dobavljača za {order}.",
]
MONTHS = ["januar", "februar", "mart", "april", "maj", "juni", "juli", "august", "septembar",
          "oktobar", "novembar", "decembar"]
FIRST = ["Amra", "Kenan", "Ivana", "Josip", "Dmitrij", "Natalija", "Maryam", "Ali", "Tea",
         "Edin", "Sanja", "Pavel", "Neda", "Luka", "Emina", "Tomislav", "Elena", "Hossein",
         "Jasmina", "Petra", "John", "Emma", "Ольга", "Сергей", "مریم", "رضا"]
LAST = ["Hadžić", "Kovačević", "Novak", "Иванов", "Кузнецова", "Rahimi", "Babić", "Delić",
        "Jurić", "Moradi", "Smith", "Begović", "Соколов", "کریمی"]
ORGS = ["Acme d.o.o.", "Bosnalijek", "Podravka", "Росинтех", "Pars Data", "Sunce d.d.",
        "Northwind Ltd", "Telekom BH", "Konzum", "Газпромбанк", "Digikala"]
TAGS = ["vip", "bug", "invoice", "vpn", "password", "printer", "feature-request", "outage",
        "refund", "contract", "spam", "waiting-info"]


def _fill(rng: random.Random, text: str) -> str:
    if "{" not in text:
        return text
    return text.format(
        month=rng.choice(MONTHS),
        code=f"0x{rng.randrange(16**4):04x}",
        order=f"N-{rng.randrange(10**7):07d}",
        device=f"DEV{rng.randrange(10**5):05d}",
        n=rng.randrange(2, 60),
    )


def language(rng: random.Random) -> str:
    return rng.choices(LANGUAGES, WEIGHTS)[0]


def subject(rng: random.Random, lang: str) -> str:
    return _fill(rng, rng.choice(SUBJECTS[lang]))


def customer_text(rng: random.Random, lang: str) -> str:
    pool = SENTENCES[lang]
    return " ".join(_fill(rng, rng.choice(pool)) for _ in range(rng.randint(2, 4)))


def agent_text(rng: random.Random, lang: str, name: str) -> str:
    first = name.split()[0]
    return f"{first}, " + " ".join(
        _fill(rng, rng.choice(AGENT_SENTENCES[lang])) for _ in range(rng.randint(1, 3))
    )


def note_text(rng: random.Random) -> str:
    return _fill(rng, rng.choice(NOTES))
