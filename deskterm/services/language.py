"""Which language a message is written in: script first, then common words.

Small and dependency-free, good enough for rules such as "close what is not written
in Persian". Codes are ISO 639-1; Bosnian, Croatian and Serbian (Latin or Cyrillic)
count as one language, so `bs`, `hr` and `sr` match each other.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_PERSIAN_LETTERS = set("پچژگکی")
_SERBIAN_CYRILLIC = set("ђјљњћџЂЈЉЊЋЏ")
_UKRAINIAN = set("іїєґІЇЄҐ")
_SOUTH_SLAVIC_LATIN = set("čćđšžČĆĐŠŽ")
_STOPWORDS = {
    "en": "the and is are to of for you your it this that with have not please can my on in be",
    "bs": "je i da se na u za ne sam što sto kako ali mi vam su od to li imam molim hvala nije",
    "de": "der die das und ist nicht ich sie mit für ein eine zu auf bitte haben den",
    "fr": "le la les et est pas je vous pour une un des avec merci que dans ne",
    "es": "el la los las y es no que de para por con una un mi gracias por favor",
    "it": "il la le e è non che di per con una un grazie mi sono",
    "tr": "ve bir bu için ile değil çok ben siz merhaba teşekkür",
    "bs_cyrl": "је да се ради молим хвала помозите ми сам што како али вам су од имам није",
    "ru": "и в не на что я с как это по но вы мы у меня пожалуйста спасибо",
    "fa": "و در به از که این را با است برای می من شما ما آن",
    "ar": "في من على إلى أن هذا هذه التي الذي مع عن لا شكرا",
}
_WORDS = {code: set(words.split()) for code, words in _STOPWORDS.items()}
_ALIASES = {"hr": "bs", "sr": "bs", "sh": "bs", "cnr": "bs"}


def normalise(code: str) -> str:
    """Canonical code for comparisons (`hr` and `sr` become `bs`)."""
    code = code.strip().lower().split("-")[0].split("_")[0]
    return _ALIASES.get(code, code)


def same_language(a: str | None, b: str) -> bool:
    return a is not None and normalise(a) == normalise(b)


def _script_counts(text: str) -> dict[str, int]:
    counts = {"arabic": 0, "cyrillic": 0, "latin": 0}
    for char in text:
        point = ord(char)
        if 0x0600 <= point <= 0x06FF or 0xFB50 <= point <= 0xFEFF:
            counts["arabic"] += 1
        elif 0x0400 <= point <= 0x04FF:
            counts["cyrillic"] += 1
        elif char.isalpha() and point < 0x0250:
            counts["latin"] += 1
    return counts


def _best_by_words(words: list[str], candidates: tuple[str, ...]) -> str | None:
    scores = {code: sum(1 for w in words if w in _WORDS[code]) for code in candidates}
    best = max(scores, key=lambda code: scores[code])
    return best if scores[best] > 0 else None


def detect(text: str) -> str | None:
    """The language code of `text`, or None when there is too little to tell."""
    counts = _script_counts(text)
    script = max(counts, key=lambda name: counts[name])
    if counts[script] < 3:
        return None
    words = [w.lower() for w in _WORD.findall(text)]
    letters = set(text)
    if script == "arabic":
        if letters & _PERSIAN_LETTERS:
            return "fa"
        return _best_by_words(words, ("fa", "ar")) or "ar"
    if script == "cyrillic":
        if letters & _SERBIAN_CYRILLIC:
            return "bs"
        if letters & _UKRAINIAN:
            return "uk"
        return "bs" if _best_by_words(words, ("ru", "bs_cyrl")) == "bs_cyrl" else "ru"
    best = _best_by_words(words, ("en", "bs", "de", "fr", "es", "it", "tr"))
    if letters & _SOUTH_SLAVIC_LATIN and best in (None, "bs", "en"):
        return "bs"
    return best
