"""Which language a message is written in.

lingua-language-detector (its models ship in the package; accurate on short texts) chooses
among the languages a desk meets; Persian written in Latin letters ("Finglish": `salam,
man nemitoonam payamak befrestam`) is recognised first, by its words, as `fa-Latn`. Codes
are ISO 639-1 (`fa-Latn` for Finglish); Bosnian, Croatian and Serbian (Latin or Cyrillic)
count as one language for comparisons, so `bs`, `hr` and `sr` match each other, while
`fa-Latn` is not `fa` (a Persian desk's rule can close Finglish tickets).
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_ALIASES = {"hr": "bs", "sr": "bs", "sh": "bs", "cnr": "bs"}
#: Words that only Finglish uses (common English, Bosnian or Turkish words left out).
_FINGLISH = frozenset("""
salam salaam lotfan lotfn komak konid konin mikonam mikonid mikham mikhastam mikhaham
nemitoonam nemitunam nemitavanam nemishe nemikone nemikonad mamnoon mamnun mamnunam
chetori khoobi khubi baraye barayeh hesab hesabam hesabe payamak befrestam befresti
ramz ramze oboor obur ersal ghabz pardakht dorost moshkel moshkeli shoma hastam hastid
nist chera kojast kheili kheyli khahesh khahash ziad dastresi vared vorood vorud sabt
ertebat pasokh javab tamas daram darim nadaram nadarim shod nashod mishe bayad
""".split())
_MIN_LETTERS = 3


def normalise(code: str) -> str:
    """Canonical code for comparisons (`hr` and `sr` become `bs`; `fa-Latn` stays apart)."""
    code = code.strip().lower().replace("_", "-")
    if code in ("fa-latn", "finglish"):
        return "fa-latn"
    base = code.split("-")[0]
    return _ALIASES.get(base, base)


def same_language(a: str | None, b: str) -> bool:
    return a is not None and normalise(a) == normalise(b)


@lru_cache(maxsize=1)
def _detector():
    from lingua import Language, LanguageDetectorBuilder

    languages = [Language.ENGLISH, Language.BOSNIAN, Language.CROATIAN, Language.SERBIAN,
                 Language.RUSSIAN, Language.PERSIAN, Language.GERMAN, Language.FRENCH,
                 Language.SPANISH, Language.ITALIAN, Language.TURKISH, Language.ARABIC,
                 Language.UKRAINIAN]
    # low accuracy mode: trigram models only, loaded on first use in a fraction of a second
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def _finglish(words: list[str]) -> bool:
    latin = [w for w in words if w.isascii()]
    hits = {w for w in latin if w in _FINGLISH}
    return len(latin) == len(words) and len(hits) >= 2 and len(hits) * 4 >= len(set(latin))


def detect(text: str) -> str | None:
    """The language code of `text`, or None when there is too little to tell."""
    words = [w.lower() for w in _WORD.findall(text or "")]
    if sum(len(w) for w in words) < _MIN_LETTERS:
        return None
    if _finglish(words):
        return "fa-Latn"
    found = _detector().detect_language_of(" ".join(words)[:2000])
    return found.iso_code_639_1.name.lower() if found is not None else None
