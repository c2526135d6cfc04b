"""The readable text of an email: HTML made plain, quoted replies and signatures cut off.

Pure functions, standard library only. What is cut is what a mail program adds below
the writer's own words: the quoted earlier message ("Op … schreef …:", "On … wrote:",
"> " lines, Outlook's "Van: … Verzonden: …" block) and the signature after "-- ".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Tags that start a new line in the text; their content is text as usual.
_BLOCK = frozenset(
    {
        "address", "article", "blockquote", "br", "dd", "div", "dl", "dt", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "ol", "p", "pre",
        "section", "table", "tr", "ul",
    }
)  # fmt: skip
_HIDDEN = frozenset({"head", "script", "style", "title", "template"})


class _PlainText(HTMLParser):
    """Collects the visible text; text inside a blockquote is marked as quoted ("> ")."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._quoted = 0
        self._pre = 0

    def _break(self) -> None:
        text = "".join(self._line)
        text = text if self._pre else re.sub(r"[ \t\r\n\f\v\u00a0]+", " ", text).strip()
        if text or (self.lines and self.lines[-1]):
            self.lines.append(("> " if self._quoted and text else "") + text)
        self._line = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Opens a block (a new line), a hidden part or a quote."""
        classes = " ".join(value or "" for name, value in attrs if name == "class")
        if tag in _HIDDEN:
            self._hidden += 1
        elif tag in _BLOCK:
            self._break()
        if tag == "blockquote" or (tag == "div" and "gmail_quote" in classes):
            self._quoted += 1
        if tag == "pre":
            self._pre += 1
        if tag == "li":
            self._line.append("- ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """``<br/>``: one line break, as ``<br>`` (not two)."""
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        """Closes a block, a hidden part or a quote."""
        if tag in _HIDDEN:
            self._hidden = max(self._hidden - 1, 0)
        elif tag in _BLOCK:
            self._break()
        if tag == "blockquote":
            self._quoted = max(self._quoted - 1, 0)
        if tag == "pre":
            self._pre = max(self._pre - 1, 0)

    def handle_data(self, data: str) -> None:
        """Visible text joins the current line."""
        if not self._hidden:
            self._line.append(data)

    def text(self) -> str:
        """The collected text, lines joined."""
        self._break()
        return "\n".join(self.lines)


def html_to_text(html: str) -> str:
    """The readable text of an HTML body (never raises on bad HTML)."""
    parser = _PlainText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this is a last resort against odd input
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()


# The line a mail program writes above a quoted earlier message. Dutch and English;
# Gmail may wrap it over two lines, so it is also tried on a line joined with the next.
_ATTRIBUTION = re.compile(
    r"^\s*(op\s.{0,240}\sschreef\s?.{0,240}:|on\s.{0,240}\swrote\s?:"
    r"|-{2,}\s*(oorspronkelijk bericht|original message|doorgestuurd bericht"
    r"|forwarded message)\s*-{2,})\s*$",
    re.IGNORECASE,
)
_HEADER_BLOCK = re.compile(r"^\s*\*?(van|from)\s*:", re.IGNORECASE)
_HEADER_NEXT = re.compile(r"^\s*\*?(verzonden|sent|datum|date|aan|to)\s*:", re.IGNORECASE)
_SIGNATURE = re.compile(r"^(--|-- |__+)\s*$")
_DEVICE = re.compile(
    r"^\s*(verzonden|verstuurd|sent)\s+(vanaf|met|from|with)\s+(mijn|my)\b", re.IGNORECASE
)


def _cut_at(lines: list[str]) -> int:
    """The index of the first line that belongs to a quote or signature (or len)."""
    for i, line in enumerate(lines):
        joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
        if _ATTRIBUTION.match(line) or (
            re.match(r"^\s*(op|on)\s", line, re.IGNORECASE) and _ATTRIBUTION.match(joined)
        ):
            return i
        if _HEADER_BLOCK.match(line) and any(_HEADER_NEXT.match(n) for n in lines[i + 1 : i + 4]):
            return i
        if _SIGNATURE.match(line) or _DEVICE.match(line):
            return i
    return len(lines)


def strip_quotes(text: str) -> str:
    """The writer's own words: without quoted replies, forwarded headers and the signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _cut_at(lines)]
    kept = [line.rstrip() for line in lines if not line.lstrip().startswith(">")]
    out = "\n".join(kept)
    out = re.sub(r"\n{3,}", "\n\n", out)
    return out.strip()
