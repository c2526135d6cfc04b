"""Server addresses from the settings: IMAP_URL and SMTP_URL, and Asterisk's AMI_URL.

``imaps://user@host:993/INBOX`` (TLS), ``imap://user@host:143/INBOX`` (no TLS: tests, or
a server on the same host); ``smtps://user@host:465`` (TLS), ``smtp://user@host:587``
(STARTTLS when the server offers it), ``smtp://host:25`` without a user (no login).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class ServerAddress:
    """Where a mail server is and who logs in."""

    tls: bool  # TLS from the first byte (imaps, smtps)
    host: str
    port: int
    user: str | None
    folder: str = "INBOX"  # IMAP only


_DEFAULT_PORTS = {"imap": 143, "imaps": 993, "smtp": 587, "smtps": 465, "ami": 5038, "amis": 5039}


def parse_server_url(url: str, kinds: tuple[str, str]) -> ServerAddress:
    """Reads ``scheme://user@host:port/folder``; ValueError (one line) when it is not one.

    Args:
        url: The setting's value.
        kinds: The plain and the TLS scheme, e.g. ``("imap", "imaps")``.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("is not an address like imaps://user@host:993/INBOX") from None
    if parts.scheme not in kinds or not parts.hostname:
        raise ValueError(f"must start with {kinds[1]}:// (or {kinds[0]}://) and name a host")
    if parts.password:
        raise ValueError("must not hold the password (use the *_PASSWORD setting)")
    folder = unquote(parts.path.strip("/")) or "INBOX"
    return ServerAddress(
        tls=parts.scheme == kinds[1],
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[parts.scheme],
        user=unquote(parts.username) if parts.username else None,
        folder=folder,
    )


def imap_address(url: str) -> ServerAddress:
    """IMAP_URL, read."""
    return parse_server_url(url, ("imap", "imaps"))


def smtp_address(url: str) -> ServerAddress:
    """SMTP_URL, read."""
    return parse_server_url(url, ("smtp", "smtps"))


def ami_address(url: str) -> ServerAddress:
    """AMI_URL, read: ``ami://user@host:5038`` (``amis://`` for TLS)."""
    return parse_server_url(url, ("ami", "amis"))
