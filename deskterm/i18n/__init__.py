"""Customer languages: gettext catalogues (built with Babel), negotiation, dates.

Below the services (customer mail is translated too) and the portal (its pages): both
import it from here, never from a face.

Catalogues live in `translations/<lang>/LC_MESSAGES/messages.po`; the compiled `.mo` files
are committed beside them, so a clean clone works without a build step
(`python -m deskterm.i18n.catalogues` re-extracts and recompiles them).
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Interface languages, each in its own name.
LANGUAGES: dict[str, str] = {
    "en": "English",
    "bs": "Bosanski",
    "hr": "Hrvatski",
    "sr": "Srpski (latinica)",
    "ru": "Русский",
    "fa": "فارسی",
}
RTL = frozenset({"fa"})
#: Babel/CLDR locale of each language (Serbian in Latin script).
LOCALES = {"en": "en", "bs": "bs", "hr": "hr", "sr": "sr_Latn", "ru": "ru", "fa": "fa"}
DEFAULT = "en"
CATALOGUE_DIR = Path(__file__).parent / "translations"


@lru_cache(maxsize=16)
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English: the source strings)."""
    if language not in LANGUAGES or language == "en":
        return gettext.NullTranslations()
    return gettext.translation("messages", CATALOGUE_DIR, languages=[language], fallback=True)


def gettext_for(language: str):
    """The `_` function of a language."""
    return translations(language).gettext


def direction(language: str) -> str:
    return "rtl" if language in RTL else "ltr"


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an `Accept-Language` header (English if none)."""
    choices: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "")[:500].split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        base = tag.strip().lower().replace("_", "-").split("-")[0]
        if tag.strip().lower() in ("sr-cyrl", "sr-cyrl-rs", "sr-cyrl-ba"):
            base = "sr"  # we have Latin only; still the closest
        if base in LANGUAGES and quality > 0:
            choices.append((-quality, position, base))
    return min(choices)[2] if choices else DEFAULT


def zone(name: str | None) -> ZoneInfo:
    """A time zone by name (UTC for an unknown one)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
