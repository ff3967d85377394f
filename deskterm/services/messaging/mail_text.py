"""The words notifications need in each desk language, and which language a customer gets.

Languages: en, bs, hr, sr (Latin), ru and fa (right-to-left). A contact's own language wins
(detected from their first message, changeable by agents), then the queue's, then the
desk's; anything else falls back to English.
"""

from __future__ import annotations

LANGUAGES = ("en", "bs", "hr", "sr", "ru", "fa")
RIGHT_TO_LEFT = frozenset({"fa", "ar", "he", "ur"})

MARKERS = {
    "en": "##- Please type your reply above this line -##",
    "hr": "##- Molimo odgovorite iznad ove crte -##",
    "bs": "##- Molimo odgovorite iznad ove linije -##",
    "sr": "##- Molimo odgovorite iznad ove linije -##",
    "ru": "##- Пожалуйста, пишите ответ над этой строкой -##",
    "fa": "##- لطفاً پاسخ خود را بالای این خط بنویسید -##",
}

_STATUS_WORDS = {
    "en": ("new", "open", "pending", "on hold", "postponed", "resolved", "closed"),
    "hr": ("nova", "otvorena", "čeka vaš odgovor", "na čekanju", "odgođena", "riješena",
           "zatvorena"),
    "bs": ("nova", "otvorena", "čeka vaš odgovor", "na čekanju", "odgođena", "riješena",
           "zatvorena"),
    "sr": ("nova", "otvorena", "čeka vaš odgovor", "na čekanju", "odložena", "rešena",
           "zatvorena"),
    "ru": ("новая", "открыта", "ждёт вашего ответа", "приостановлена", "отложена", "решена",
           "закрыта"),
    "fa": ("جدید", "باز", "در انتظار پاسخ شما", "معلق", "به تعویق افتاده", "حل شده", "بسته"),
}
_STATUSES = ("new", "open", "pending", "on_hold", "postponed", "resolved", "closed")


def supported(code: str | None) -> str | None:
    """`code` as one of LANGUAGES (`sr-Latn` is `sr`), or None."""
    if not code:
        return None
    base = code.strip().lower().replace("_", "-").split("-")[0]
    return base if base in LANGUAGES else None


def choose(contact: str | None, queue: str | None, desk: str | None) -> str:
    """The language a customer is written to in."""
    return supported(contact) or supported(queue) or supported(desk) or "en"


def status_name(status: str, language: str) -> str:
    """A status as the customer reads it (`on_hold` is "na čekanju" in Croatian)."""
    words = _STATUS_WORDS.get(language, _STATUS_WORDS["en"])
    return words[_STATUSES.index(status)] if status in _STATUSES else status


def direction(language: str) -> str:
    return "rtl" if language in RIGHT_TO_LEFT else "ltr"


#: SMS notifications (`{desk}`, `{ref}`, `{snippet}` of a reply, `{status}`).
SMS_TEXTS = {
    "en": ("{desk}: new reply on your ticket {ref}: {snippet}",
           "{desk}: your ticket {ref} is now {status}."),
    "hr": ("{desk}: novi odgovor na vašu prijavu {ref}: {snippet}",
           "{desk}: vaša prijava {ref} je sada: {status}."),
    "bs": ("{desk}: novi odgovor na vašu prijavu {ref}: {snippet}",
           "{desk}: vaša prijava {ref} je sada: {status}."),
    "sr": ("{desk}: novi odgovor na vašu prijavu {ref}: {snippet}",
           "{desk}: vaša prijava {ref} je sada: {status}."),
    "ru": ("{desk}: новый ответ по заявке {ref}: {snippet}",
           "{desk}: статус заявки {ref}: {status}."),
    "fa": ("{desk}: پاسخ جدید برای درخواست {ref}: {snippet}",
           "{desk}: وضعیت درخواست {ref}: {status}."),
}


def sms_text(kind: str, language: str, *, desk: str, ref: str, snippet: str = "",
             status: str = "") -> str:
    """The SMS for a reply (`kind` "reply") or a status change ("status")."""
    reply, changed = SMS_TEXTS.get(language, SMS_TEXTS["en"])
    line = " ".join(snippet.split())
    if len(line) > 100:
        line = line[:99].rstrip() + "…"
    template = reply if kind == "reply" else changed
    return template.format(desk=desk, ref=ref, snippet=line, status=status)
