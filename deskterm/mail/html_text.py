"""Turn an HTML mail body into readable plain text (standard library only).

Block elements become line breaks, list items get a dash, links keep their address,
`<blockquote>` lines are prefixed with `> ` so quoted history can be stripped like in
plain-text mail. Scripts, styles and hidden elements vanish.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK = {
    "address", "article", "aside", "div", "dl", "dt", "dd", "fieldset", "figure", "footer",
    "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "table", "tr", "ul", "center",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "object", "svg"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "area", "base", "col", "wbr", "source"}
_HIDDEN = re.compile(r"display\s*:\s*none", re.I)
_SPACES = re.compile(r"[ \t\r\n\f\u00a0]+")


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip_depth = 0
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden) of open non-void elements
        self.quote_depth = 0
        self.pre_depth = 0
        self.link: str | None = None
        self.link_text: list[str] = []

    # --- line handling ---------------------------------------------------------
    def _flush(self, force_blank: bool = False) -> None:
        text = "".join(self.current)
        self.current = []
        if not self.pre_depth:
            text = _SPACES.sub(" ", text).strip()
        prefix = "> " * self.quote_depth
        if text:
            self.lines.append(prefix + text)
        elif force_blank and self.lines and self.lines[-1].strip("> "):
            self.lines.append(prefix.rstrip())

    def _write(self, text: str) -> None:
        if self.skip_depth:
            return
        if self.link is not None:
            self.link_text.append(text)
        self.current.append(text)

    # --- parser callbacks ------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in _VOID:
            self._void(tag, attributes)
            return
        hidden = bool(_HIDDEN.search(attributes.get("style") or "")) or "hidden" in attributes
        hidden = hidden or tag in _SKIP
        self.stack.append((tag, hidden))
        if hidden:
            self.skip_depth += 1
            return
        if tag in _BLOCK or tag == "blockquote":
            self._flush(force_blank=tag in ("p", "table", "h1", "h2", "h3"))
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag in ("td", "th") and self.current:
            self.current.append(" | ")
        elif tag == "a":
            self.link = attributes.get("href") or ""
            self.link_text = []

    def _void(self, tag: str, attributes: dict[str, str | None]) -> None:
        if self.skip_depth:
            return
        if tag == "br":
            if self.pre_depth:
                self.current.append("\n")
            else:
                self._flush()
        elif tag == "hr":
            self._flush()
            self.lines.append("> " * self.quote_depth + "----")
        elif tag == "img":
            alt = (attributes.get("alt") or "").strip()
            if alt:
                self._write(f"[{alt}]")

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        # Pop up to the matching open tag (tolerates unclosed children).
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                break
        else:
            return
        while len(self.stack) > index:
            open_tag, hidden = self.stack.pop()
            self._close(open_tag, hidden)

    def _close(self, tag: str, hidden: bool) -> None:
        if hidden:
            self.skip_depth -= 1
            return
        if tag == "a" and self.link is not None:
            href, shown = self.link, "".join(self.link_text).strip()
            self.link = None
            if href.startswith(("http://", "https://")) and href.rstrip("/") != shown.rstrip("/"):
                self.current.append(f" ({href})" if shown else href)
        if tag in _BLOCK or tag == "blockquote":
            self._flush(force_blank=tag in ("p", "table"))
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.pre_depth and not self.skip_depth:
            # keep line structure inside <pre>
            parts = data.split("\n")
            for i, part in enumerate(parts):
                if i:
                    self._flush()
                self._write(part)
            return
        self._write(data)

    def text(self) -> str:
        self._flush()
        lines = [line.rstrip() for line in self.lines]
        out: list[str] = []
        for line in lines:
            if not line.strip("> ") and out and not out[-1].strip("> "):
                continue  # collapse runs of blank lines
            out.append(line)
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text for an HTML document or fragment."""
    builder = _TextBuilder()
    try:
        builder.feed(html)
        builder.close()
    except Exception:  # html.parser is lenient; anything left is not worth a lost message
        return _SPACES.sub(" ", re.sub(r"<[^>]*>", " ", html)).strip()
    return builder.text()
