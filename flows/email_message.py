"""An email as the line reads it: from raw RFC 5322 bytes to an ``IncomingMail``.

Pure and without network: ``parse_mail(raw, reference_prefix=…)`` never raises. It
finds the Message-ID (the key that makes intake idempotent), the sender's address, the
subject, the writer's own words (text/plain preferred, HTML made plain, quoted replies
and signature cut off, bad encodings decoded with replacement characters), a request
reference (``HH-2026-00042``) in the subject or the reply headers, whether there were
attachments (never kept), and a ``Verdict``: a resident's mail, or an auto-reply, a
bounce, a mailing list, spam, an oversize message, one without a sender, or the line's
own mail coming back.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import Message
from email.utils import getaddresses, parseaddr
from enum import StrEnum

from flows.email_text import html_to_text, strip_quotes

MAX_BYTES = 25 * 1024 * 1024  # bigger than most mailboxes accept
MAX_TEXT = 10_000  # characters of the writer's own words kept for the request
MAX_SUBJECT = 300


class Verdict(StrEnum):
    """What a message is; only ``resident`` becomes a request."""

    resident = "resident"
    auto_reply = "auto_reply"  # out-of-office, vacation and other automatic answers
    bounce = "bounce"  # a delivery report
    mailing_list = "mailing_list"
    spam = "spam"  # marked as spam by the mail server
    oversize = "oversize"
    no_sender = "no_sender"
    own = "own"  # sent by the line itself (a loop)


@dataclass(frozen=True)
class IncomingMail:
    """One received email, normalised.

    Attributes:
        message_id: the Message-ID without ``<>``; for a message without one, a hash of
            its bytes (the same message read twice gets the same key).
        from_address: the sender's address in lower case, or None.
        from_name: the display name of the sender, if any.
        subject: the decoded subject ("" when none).
        text: the writer's own words (quotes and signature stripped), at most MAX_TEXT.
        reference: a request reference found in the subject or reply headers, upper case.
        in_reply_to: the Message-ID this answers, without ``<>``.
        has_attachments: there were attachments (they are not stored).
        html_only: the text was read from an HTML body.
        truncated: the text was longer than MAX_TEXT.
        verdict: whether it is a resident's mail, and if not, what.
    """

    message_id: str
    from_address: str | None
    from_name: str | None
    subject: str
    text: str
    reference: str | None
    in_reply_to: str | None
    has_attachments: bool
    html_only: bool
    truncated: bool
    verdict: Verdict

    @property
    def triage_text(self) -> str:
        """What triage reads: the subject and the writer's own words."""
        return "\n".join(part for part in (self.subject, self.text) if part)


_AUTO_SUBJECT = re.compile(
    r"^\s*(automatisch antwoord|automatic reply|auto(matic)?[- ]?reply|out of (the )?office"
    r"|afwezigheidsmelding|afwezig\s*:|abwesenheitsnotiz|r[ée]ponse automatique)",
    re.IGNORECASE,
)
_BOUNCE_SENDERS = ("mailer-daemon", "postmaster", "mail-daemon")


def _header(msg: Message, name: str) -> str:
    """A header as text; "" when missing or unreadable."""
    try:
        value = msg.get(name)
        return "" if value is None else str(value).strip()
    except Exception:  # a malformed encoded word: the header is as good as missing
        return ""


def _ids(value: str) -> list[str]:
    """The message ids in a Message-ID / In-Reply-To / References header, without ``<>``."""
    found = re.findall(r"<([^<>\s]+)>", value)
    return found or ([value.strip()] if value.strip() and " " not in value.strip() else [])


def decode_part(part: Message) -> str:
    """The text of a MIME part; bad or unknown charsets never raise (replacement chars)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    charset = None
    try:
        charset = part.get_content_charset()
        if charset:
            codecs.lookup(charset)
    except (LookupError, ValueError):
        charset = None
    if charset:
        return payload.decode(charset, errors="replace")
    try:
        return payload.decode("utf-8")
    except UnicodeDecodeError:
        return payload.decode("cp1252", errors="replace")


def _is_attachment(part: Message) -> bool:
    if part.is_multipart():
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    return part.get_content_maintype() not in ("text", "multipart", "message")


def _bodies(msg: Message) -> tuple[str | None, str | None, bool]:
    """The first text/plain and text/html bodies, and whether there were attachments."""
    plain = html = None
    attachments = False
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if _is_attachment(part):
            attachments = True
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = decode_part(part)
        elif kind == "text/html" and html is None:
            html = decode_part(part)
    return plain, html, attachments


def _verdict(msg: Message, raw_size: int, address: str | None, own: frozenset[str]) -> Verdict:
    """Why a message is not a resident's question (or ``resident``)."""
    if raw_size > MAX_BYTES:
        return Verdict.oversize
    auto = _header(msg, "Auto-Submitted").lower()
    if auto and auto != "no":
        return Verdict.auto_reply
    if msg.get_content_type() == "multipart/report":
        return Verdict.bounce
    local = (address or "").split("@", 1)[0]
    if local in _BOUNCE_SENDERS or _header(msg, "Return-Path") == "<>":
        return Verdict.bounce
    precedence = _header(msg, "Precedence").lower()
    if precedence == "list":
        return Verdict.mailing_list
    if precedence in ("bulk", "junk", "auto_reply"):
        return Verdict.auto_reply
    if any(_header(msg, h) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")):
        return Verdict.auto_reply
    if _AUTO_SUBJECT.match(_header(msg, "Subject")):
        return Verdict.auto_reply
    if any(_header(msg, h) for h in ("List-Id", "List-Unsubscribe", "List-Post")):
        return Verdict.mailing_list
    if _header(msg, "X-Spam-Flag").lower() == "yes":
        return Verdict.spam
    if address is None:
        return Verdict.no_sender
    if address in own:
        return Verdict.own
    return Verdict.resident


def reference_pattern(prefix: str) -> re.Pattern[str]:
    """The pattern of a request reference (``HH-2026-00042``), any case."""
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-\d{{4}}-\d{{5}}(?!\d)", re.IGNORECASE)


def _sender(msg: Message) -> tuple[str | None, str | None]:
    value = _header(msg, "From")
    try:
        pairs = getaddresses([value]) if value else []
    except Exception:
        pairs = [parseaddr(value)]
    for name, address in pairs:
        address = address.strip().lower()
        if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
            return address, (name.strip() or None)
    return None, None


def parse_mail(
    raw: bytes, *, reference_prefix: str, own_addresses: frozenset[str] = frozenset()
) -> IncomingMail:
    """Reads one raw message (RFC 5322 bytes) as the line sees it; never raises.

    Args:
        raw: The message as the mail server stores it.
        reference_prefix: The line's reference prefix (``HH``).
        own_addresses: The line's own addresses in lower case (mail from them is a loop).
    """
    msg = message_from_bytes(raw[: MAX_BYTES + 1], policy=policy.default)
    ids = _ids(_header(msg, "Message-ID"))
    message_id = ids[0] if ids else "sha256-" + hashlib.sha256(raw).hexdigest() + "@no-id"
    address, name = _sender(msg)
    verdict = _verdict(msg, len(raw), address, own_addresses)
    subject = re.sub(r"\s+", " ", _header(msg, "Subject"))[:MAX_SUBJECT]
    in_reply = _ids(_header(msg, "In-Reply-To"))
    pattern = reference_pattern(reference_prefix)
    found = pattern.search(subject) or pattern.search(
        " ".join([*in_reply, _header(msg, "References")])
    )
    text, html_only, attachments = "", False, False
    if verdict is not Verdict.oversize:
        try:
            plain, html, attachments = _bodies(msg)
        except Exception:  # a broken MIME structure: read what the first part gives
            plain, html = decode_part(msg), None
        if plain is None and html is not None:
            plain, html_only = html_to_text(html), True
        if plain is None:  # no text part: a broken multipart keeps its text elsewhere
            whole = "" if attachments else decode_part(msg)  # a lone image is no text
            plain = (msg.preamble or "") if msg.is_multipart() else whole
        text = strip_quotes(plain or "")
    return IncomingMail(
        message_id=message_id[:500],
        from_address=address,
        from_name=name,
        subject=subject,
        text=text[:MAX_TEXT],
        reference=found.group(0).upper() if found else None,
        in_reply_to=in_reply[0][:500] if in_reply else None,
        has_attachments=attachments,
        html_only=html_only,
        truncated=len(text) > MAX_TEXT,
        verdict=verdict,
    )
