"""Strip quoted history and signatures from a reply, only where they are clearly marked.

Cuts at: deskterm's own "reply above this line" marker, an attribution line ("On ... wrote:",
in the desk's languages) followed by quoted lines, Outlook's "Original Message" separator or
From:/Sent: header block, a trailing block of `>` lines, and the `-- ` signature delimiter
or a "Sent from my phone" line. When stripping would leave nothing, the text is kept whole.
"""

from __future__ import annotations

import re

#: The line deskterm puts at the top of every outgoing mail (see templates).
REPLY_MARKER = "##- Please type your reply above this line -##"
_MARKER = re.compile(r"^\s*>?\s*##-.*-##\s*$")

# "On <date>, <name> wrote:" and its cousins (en, de, fr, es, ru, hr/bs/sr, fa).
_ATTRIBUTION = re.compile(
    r"(^(On|Am|Le|El|Dana|Dne|Op|Il)\b.{0,200}"
    r"(wrote|schrieb|a écrit|escribió|je napisao|je napisala|je napisao/la|napisa|"
    r"napisao|napisala|schreef|ha scritto)\s*:\s*$)"
    r"|(^.{0,200}(пишет|написал|написала|написал\(а\)|написав|نوشت)\s*:\s*$)",
    re.I,
)
_OUTLOOK_SEPARATOR = re.compile(
    r"^\s*-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|"
    r"Исходное сообщение|Izvorna poruka|Originalna poruka|Forwarded message)\s*-{2,}\s*$",
    re.I,
)
_HEADER_LINE = re.compile(
    r"^\s*\*?(From|Von|De|От|Od|Šalje|Pošiljatelj|از)\s*\*?\s*:", re.I
)
_HEADER_FOLLOW = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Envoyé|Отправлено|Дата|Poslano|Datum|Subject|To|An|À|Кому|"
    r"Za|Prima|Tema|Predmet|تاریخ|ارسال|موضوع)\s*\*?\s*:",
    re.I,
)
#: A forward's content is the message (not quoted history): never cut at or after it.
_FORWARD = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Weitergeleitete Nachricht|Message transféré|"
    r"Proslijeđena poruka|Prosleđena poruka|Proslijeđena pošta|Пересылаемое сообщение|"
    r"پیام بازارسال شده)\s*-{2,}|Begin forwarded message:|-{5,} ?Forwarded by)\s*$",
    re.I,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_MOBILE_SIGNATURE = re.compile(
    r"^\s*(Sent from my \w+|Get Outlook for \w+|Poslano s mog|Отправлено с (моего )?\w+)", re.I
)


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _cut_index(lines: list[str]) -> int | None:
    """Index of the first line of quoted history, or None."""
    for i, line in enumerate(lines):
        if _MARKER.match(line):
            return i
        if _OUTLOOK_SEPARATOR.match(line):
            return i
        if _ATTRIBUTION.match(line.strip()):
            return i
        # attribution split over two lines: "On Mon, 3 Nov 2026 at 10:00, Ana" / "<a@b> wrote:"
        if i + 1 < len(lines) and _ATTRIBUTION.match(line.strip() + " " + lines[i + 1].strip()):
            return i
        if _HEADER_LINE.match(line):
            window = lines[i + 1 : i + 5]
            if sum(1 for w in window if _HEADER_FOLLOW.match(w)) >= 2:
                start = i - 1 if i and _UNDERSCORES.match(lines[i - 1]) else i
                return start
    # a trailing block of quoted lines (possibly followed by blank lines only)
    last = len(lines)
    while last and not lines[last - 1].strip():
        last -= 1
    start = last
    while start and (_is_quote(lines[start - 1]) or not lines[start - 1].strip()):
        start -= 1
    if start < last and any(_is_quote(x) for x in lines[start:last]):
        return start
    return None


def _strip_signature(lines: list[str]) -> list[str]:
    for i, line in enumerate(lines):
        if line in ("-- ", "--", "—") and i > 0:
            return lines[:i]
        if _MOBILE_SIGNATURE.match(line) and i > 0 and i >= len(lines) - 2:
            return lines[:i]
    return lines


def strip_reply(text: str) -> str:
    """The new part of a reply: quoted history and marked signatures removed. A forwarded
    message is kept whole, with whatever the sender wrote above it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = next((i for i, line in enumerate(lines) if _FORWARD.match(line)), None)
    if forward is not None:
        head = strip_reply("\n".join(lines[:forward])) if forward else ""
        return "\n\n".join(p for p in (head, "\n".join(lines[forward:]).strip()) if p)
    cut = _cut_index(lines)
    if cut is not None:
        lines = lines[:cut]
    lines = _strip_signature(lines)
    result = "\n".join(lines).strip()
    return result if result else text.strip()
