"""Settings from the environment and ``.env`` (pydantic-settings).

A missing or malformed setting must stop the bot at start-up with one line that
names it: ``load_settings`` turns pydantic's report into a ``SettingsError``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pydantic_settings
from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from flows.ami import DEFAULT_INBOUND_CONTEXTS
from flows.errors import SettingsError
from helpline.mail.urls import ami_address, imap_address, smtp_address

TELEGRAM_API = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    """Everything the bot reads from its environment. See ``.env.example``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API
    data_dir: Path = Field(default=Path("data"), alias="HELPLINE_DATA_DIR")
    database_url: str | None = None
    time_zone: str = "Europe/Amsterdam"
    default_language: Literal["nl", "en"] = "nl"
    queue_chats: dict[str, int] = Field(default_factory=dict)
    flows_dir: Path | None = None
    dispatch_interval: float = Field(default=2.0, gt=0, le=60)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # The largest file `helpline import contacts` reads, in MB (10^6 bytes).
    import_max_mb: int = Field(default=100, ge=1, le=100_000)
    # --- Privacy: how long each kind of data is kept (see flows/privacy.py) ---
    retention_free_text_months: int = Field(default=12, ge=1, le=120)
    retention_contact_years: int = Field(default=7, ge=1, le=30)
    retention_draft_days: int = Field(default=14, ge=1, le=365)
    retention_run_hour: int = Field(default=3, ge=0, le=23)
    # --- Errors: a staff chat for error reports (ids and tracebacks only) ---
    error_chat_id: int | None = None
    # --- HTTP server in the bot's process (telephony webhooks); no port: no server ---
    http_listen: str = "127.0.0.1"
    http_port: int | None = Field(default=None, ge=0, le=65535)  # 0: any free port
    # --- Telephony: the secret in the webhook paths, and the queue that takes calls ---
    telephony_secret: SecretStr | None = None
    telephony_queue: str = "coordinatie"
    # A call with no hangup this long after it began ringing is closed as unknown.
    telephony_stale_call_minutes: int = Field(default=240, ge=10, le=10080)
    # Asterisk: the Manager Interface (ami://user@host:5038) and the dialplan contexts
    # inbound calls start in; no AMI_URL: no connection.
    ami_url: str | None = None
    ami_secret: SecretStr | None = None
    ami_inbound_contexts: str = ",".join(DEFAULT_INBOUND_CONTEXTS)
    # 📞 Bel nu (click-to-dial): the provider's endpoint (VoIPGRID's /api/clicktodial/
    # shape) and its token ("user:apikey"); no DIAL_URL: no button.
    dial_url: str | None = None
    dial_token: SecretStr | None = None
    # --- The coordinator web page (on the same HTTP server); no secret: no pages ---
    # Signs login links and session cookies. Only here, never in the database.
    web_secret: SecretStr | None = None
    # The address staff open (behind the https proxy); default http://HTTP_LISTEN:HTTP_PORT.
    web_base_url: str | None = None
    web_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Log in with Telegram (its OpenID Connect login): the client of the bot's Login Widget
    # settings in BotFather; unset: only the one-time link of /inloggen.
    telegram_login_client_id: str | None = None
    telegram_login_client_secret: SecretStr | None = None
    telegram_login_issuer: str = "https://oauth.telegram.org"
    web_session_hours: int = Field(default=12, ge=1, le=7 * 24)
    # --- Email as a channel (README "Email"); no IMAP_URL: no mail channel ---
    imap_url: str | None = None  # imaps://user@host:993/INBOX
    imap_password: SecretStr | None = None
    imap_poll_seconds: float = Field(default=60.0, ge=0.05, le=3600)  # without IDLE
    smtp_url: str | None = None  # smtps://user@host:465, smtp://user@host:587
    smtp_password: SecretStr | None = None
    mail_from: str | None = None  # the line's own address: the sender of every mail

    @field_validator("error_chat_id", mode="before")
    @classmethod
    def _error_chat(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if str(value).strip() in ("0", "-0"):
            raise ValueError("must be a Telegram chat id (a group's id starts with -100)")
        return value

    @field_validator("retention_contact_years")
    @classmethod
    def _contacts_outlive_free_text(cls, value: int, info: ValidationInfo) -> int:
        months = info.data.get("retention_free_text_months")
        if isinstance(months, int) and value * 12 < months:
            need = -(-months // 12)
            raise ValueError(f"must be at least {need}: RETENTION_FREE_TEXT_MONTHS is {months}")
        return value

    # --- end Privacy ---

    # TELEPHONY_SECRET is all that stands between the internet and the call log.
    @field_validator("webhook_secret", "telephony_secret")
    @classmethod
    def _secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("must be 16 to 256 characters: letters, digits, _ or -")
        return value

    @field_validator("web_secret")
    @classmethod
    def _web_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (make one with secrets.token_urlsafe)")
        return value

    @field_validator("web_base_url")
    @classmethod
    def _web_base_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be the address staff open, starting with https://")
        return value.strip().rstrip("/")

    @field_validator("imap_url", "smtp_url", "ami_url")
    @classmethod
    def _server_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or not value.strip():
            return None
        read = {"imap_url": imap_address, "smtp_url": smtp_address, "ami_url": ami_address}
        read[str(info.field_name)](value)
        return value.strip()

    @field_validator("mail_from")
    @classmethod
    def _mail_from(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", value.strip()):
            raise ValueError("must be the line's email address, like hulp@example.nl")
        return value.strip().lower()

    @field_validator("dial_url")
    @classmethod
    def _dial_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("https://", "http://")):
            raise ValueError("must be the provider's click-to-dial address (https://…)")
        return value.strip()

    @field_validator("http_port", mode="before")
    @classmethod
    def _http_port(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be the public https:// address Telegram posts updates to")
        return value.rstrip("/")

    @field_validator("telegram_bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        token = value.get_secret_value().strip()
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or len(secret) < 4:
            raise ValueError("does not look like a bot token (expected 123456:ABC...)")
        return SecretStr(token)

    @field_validator("telegram_api_base_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must start with https:// (or http:// for a local Bot API server)")
        return value.rstrip("/")

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value.strip()

    @property
    def token(self) -> str | None:
        """The bot token, or None when not set (demo mode)."""
        return self.telegram_bot_token.get_secret_value() if self.telegram_bot_token else None

    @property
    def db_url(self) -> str:
        """The database URL; default an SQLite file in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir / 'helpline.db'}"

    @property
    def zone(self) -> ZoneInfo:
        """The line's time zone."""
        return ZoneInfo(self.time_zone)


_ENV_NAMES = {"data_dir": "HELPLINE_DATA_DIR"}


def _env_file(overrides: dict[str, object]) -> str:
    """The ``.env`` file these settings read, for a message that names it."""
    chosen = overrides.get("_env_file", Settings.model_config.get("env_file"))
    return str(chosen[0] if isinstance(chosen, list | tuple) and chosen else chosen)


def load_settings(**overrides: object) -> Settings:
    """Reads the settings, raising ``SettingsError`` with one line naming the bad setting
    (or the ``.env`` file, when that cannot be read as text)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError as exc:
        where = f"file {_env_file(overrides)}"
        raise SettingsError(
            f"{where}: not UTF-8 text (byte {exc.start + 1}); save it as UTF-8"
        ) from None
    except OSError as exc:  # e.g. a .env this user may not read
        raise SettingsError(
            f"file {exc.filename or _env_file(overrides)}: {exc.strerror or exc}"
        ) from None
    except pydantic_settings.SettingsError as exc:
        # Raised for a complex value (a dict) that is not valid JSON.
        match = re.search(r'field "(\w+)"', str(exc))
        name = _ENV_NAMES.get(match.group(1), match.group(1)).upper() if match else "?"
        raise SettingsError(f"setting {name}: not valid JSON") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        name = _ENV_NAMES.get(field, field).upper()
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"setting {name}: {message}") from None
