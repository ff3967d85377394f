"""Decode mail text the way mail clients do: the declared charset first (with the aliases
and mislabels seen in real mail), then detection with charset-normalizer for undeclared or
wrongly declared 8-bit text. The result never holds a surrogate or a replacement mark that
a better reading would avoid.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import charset_normalizer

#: Names mail clients use for a codec Python calls otherwise (or that a superset reads better).
ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "euc-cn": "gb18030", "csgb2312": "gb18030", "chinese": "gb18030",
    "ks_c_5601-1987": "cp949", "ks_c_5601": "cp949", "euc-kr": "cp949", "ksc5601": "cp949",
    "iso-8859-8-i": "iso-8859-8", "iso-8859-8-e": "iso-8859-8", "iso-8859-6-i": "iso-8859-6",
    "iso-8859-6-e": "iso-8859-6", "visual": "iso-8859-8", "logical": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7", "utf7": "utf-7", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "x-mac-roman": "mac-roman", "macintosh": "mac-roman", "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-ce": "mac-latin2", "x-mac-centraleurroman": "mac-latin2", "x-mac-greek": "mac-greek",
    "x-mac-turkish": "mac-turkish", "x-mac-icelandic": "mac-iceland",
    "x-mac-croatian": "mac-croatian", "x-mac-romanian": "mac-romanian",
    "x-mac-arabic": "mac-arabic", "x-mac-farsi": "mac-farsi", "x-mac-ukrainian": "mac-cyrillic",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "windows-31j": "cp932", "ms_kanji": "cp932", "csshiftjis": "cp932",
    "iso-2022-jp": "iso2022_jp_ext", "csiso2022jp": "iso2022_jp_ext",
    "big5": "big5hkscs", "x-x-big5": "big5hkscs", "tis-620": "cp874", "iso-8859-11": "cp874",
    "cp-1251": "windows-1251", "win-1251": "windows-1251", "x-cp1251": "windows-1251",
    "cp-1250": "windows-1250", "win-1250": "windows-1250", "x-cp1250": "windows-1250",
    "x-user-defined": "windows-1252", "ansi_x3.4-1968": "ascii",
    # labels that say nothing: the bytes go to detection
    "unknown-8bit": "", "unknown": "", "x-unknown": "", "default": "", "charset": "",
    "none": "",
}

#: ISO labels whose Windows superset uses 0x80-0x9f for letters: mislabelled Windows text.
_WINDOWS_SUPERSETS = {
    "iso-8859-1": "windows-1252", "latin-1": "windows-1252", "latin1": "windows-1252",
    "iso8859-1": "windows-1252", "iso-8859-15": "windows-1252", "iso-8859-2": "windows-1250",
    "latin2": "windows-1250",
    "iso-8859-7": "windows-1253", "iso-8859-9": "windows-1254", "iso-8859-8": "windows-1255",
    "iso-8859-6": "windows-1256", "iso-8859-4": "windows-1257", "iso-8859-13": "windows-1257",
    "iso-8859-5": "windows-1251",
}

#: What detection chooses among: the charsets of the languages a desk meets.
CANDIDATES = [
    "utf_8", "cp1252", "cp1250", "cp1251", "koi8_r", "koi8_u", "cp866", "iso8859_5",
    "cp1256", "cp1255", "cp1253", "cp1254", "cp1257", "gb18030", "big5hkscs", "cp932",
    "euc_jp", "iso2022_jp_ext", "cp949", "utf_16",
]

_CYRILLIC_SINGLE_BYTE = {"koi8-r", "koi8-u", "windows-1251", "cp1251", "iso-8859-5", "cp866",
                         "koi8_r", "koi8_u", "iso8859_5", "mac-cyrillic"}
_C1 = re.compile(rb"[\x80-\x9f]")

#: Letters common in the desk's Latin-script languages (bs, hr, sr, en, de, fr, es, it, tr).
_COMMON_LATIN = set("čćžšđČĆŽŠĐéèêëàâäçùûüôöîïñáíóúßœÉÀÇÜÖÄÑ")
#: Letters that in practice only appear when text was decoded with the wrong table.
_RARE = set("ÆæÐðÞþÝýÿŕĺľťďňřůűőŤĎŇŘŮŰŐăĂâşţŞŢ¤¦¨´¸¹²³¼½¾×÷¬¯°±µ¶·º»«¿¡§©®ª")


def codec_name(label: str | None) -> str | None:
    """The Python codec for a charset label from a message ('' label: undeclared)."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = ALIASES.get(name, name)
    if not name:
        return None
    try:
        codecs.lookup(name)
    except LookupError:
        return None
    return name


def _plausibility(text: str) -> float:
    """How much a decoded text looks like human writing (higher is better)."""
    score = 0.0
    previous = " "
    for ch in text:
        if ch.isascii():
            previous = ch
            continue
        if ch in _COMMON_LATIN:
            score += 1.0
        elif ch in _RARE:
            score -= 2.0
        elif "\u0400" <= ch <= "\u04ff":  # Cyrillic: most letters inside words are lowercase
            score += 1.0 if ch.islower() or not previous.isalpha() else -1.5
        elif "\u0600" <= ch <= "\u06ff" or "\u0590" <= ch <= "\u05ff":
            score += 1.0
        elif "\u3040" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af":
            # CJK glued to a Latin letter is a byte pair misread, not writing
            score += -3.0 if previous.isascii() and previous.isalpha() else 1.5
        elif "\uff61" <= ch <= "\uff9f":  # half-width katakana: a sign of a wrong CJK guess
            score -= 2.0
        elif ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn", "Cs"):
            score -= 5.0
        previous = ch
    return score


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _cyrillic_check(data: bytes, text: str, codec: str) -> str:
    """Cyrillic text declared in the wrong Cyrillic table reads as mostly capitals."""
    best, best_score = text, _plausibility(text)
    if best_score > 0:
        return text
    for other in ("koi8_r", "cp1251", "cp866", "iso8859_5"):
        if codecs.lookup(other).name == codecs.lookup(codec).name:
            continue
        candidate = _strict(data, other)
        if candidate is not None and (score := _plausibility(candidate)) > best_score:
            best, best_score = candidate, score
    return best


def _readings(data: bytes, hints: tuple[str, ...]) -> list[tuple[float, int, str, str]]:
    """(score, order, text, codec) for each plausible reading of undeclared 8-bit bytes."""
    readings: list[tuple[float, int, str, str]] = []
    for order, hint in enumerate(h for h in hints if h):
        candidate = _strict(data, hint)
        if candidate is not None:
            readings.append((_plausibility(candidate) + 0.5, -order, candidate, hint))
    try:
        results = charset_normalizer.from_bytes(data, cp_isolation=CANDIDATES)
    except Exception:  # the detector must never stop an import
        results = []
    for order, match in enumerate(results):
        candidate = str(match)
        score = _plausibility(candidate) - 10 * match.chaos
        readings.append((score, -order - 100, candidate, match.encoding))
    for order, fallback in enumerate(("cp1252", "cp1250", "cp1251")):
        candidate = _strict(data, fallback)
        if candidate is not None:
            readings.append((_plausibility(candidate) - 0.25, -order - 200, candidate, fallback))
    return readings


def detect(data: bytes, hints: tuple[str, ...] = ()) -> str:
    """Undeclared 8-bit bytes: utf-8 when valid, else the best of charset-normalizer's
    readings (ties broken by how plausible the text reads, hinted charsets first)."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    readings = _readings(data, hints)
    if not readings:
        return data.decode("utf-8", errors="replace")
    return max(readings, key=lambda r: (r[0], r[1]))[2]


def detect_codec(data: bytes, hints: tuple[str, ...] = ()) -> str | None:
    """The codec `detect` reads these bytes with (None: plain ASCII or UTF-8)."""
    if _strict(data, "utf-8") is not None:
        return None
    readings = _readings(data, hints)
    return max(readings, key=lambda r: (r[0], r[1]))[3] if readings else None


def decode(data: bytes, label: str | None, hints: tuple[str, ...] = ()) -> str:
    """Text of a part or header declared as `label` (None: undeclared)."""
    if not data:
        return ""
    raw_label = (label or "").strip().strip("\"'").lower()
    codec = codec_name(raw_label)
    if codec in ("ascii", "us-ascii") and not any(b > 0x7F for b in data):
        return data.decode("ascii")
    if raw_label in _WINDOWS_SUPERSETS and (as_utf8 := _strict(data, "utf-8")) is not None:
        return as_utf8  # 8-bit UTF-8 labelled as a legacy table (valid UTF-8 is no accident)
    if codec and _C1.search(data) and raw_label in _WINDOWS_SUPERSETS:
        codec = _WINDOWS_SUPERSETS[raw_label]
    if codec in (None, "ascii", "us-ascii"):
        return detect(data, hints)
    text = _strict(data, codec)
    if text is None:  # wrongly declared: the label becomes one hint among others
        return detect(data, (codec, *hints))
    if codec in _CYRILLIC_SINGLE_BYTE or codecs.lookup(codec).name in _CYRILLIC_SINGLE_BYTE:
        return _cyrillic_check(data, text, codec)
    if codec in ("windows-1252", "iso-8859-1", "cp1252", "latin-1") and _plausibility(text) < 0:
        return detect(data, hints)
    return text


def fix_surrogates(value: str, hints: tuple[str, ...] = ()) -> str:
    """Raw 8-bit header bytes arrive as surrogate escapes: decode them like body text."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    data = value.encode("utf-8", "surrogateescape")
    return scrub(detect(data, hints))


def scrub(text: str) -> str:
    """No lone surrogate ever leaves the parser (the database cannot store one)."""
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        return text.encode("utf-8", "replace").decode("utf-8")
    return text
