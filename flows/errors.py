"""Every error the helpline raises on purpose, in one place.

Two families under ``HelplineError``:

- ``InputError`` (also a ``ValueError``): something a person gave us cannot be used: a
  typed answer, a command, a file, a setting, a webhook body. Its message, or its
  ``key`` into texts.toml, is the one-line answer they get; never a traceback.
- ``StateError`` (also a ``RuntimeError``): the world was not as the code decided on,
  or a service said no: a draft changed underneath, keys made with another secret, a
  server that cannot listen, a provider that refused a call. The caller answers,
  retries or stops with one line.

Each module raises the ones of its subject and re-exports them, so callers import them
from there or from here alike.
"""

from __future__ import annotations


class HelplineError(Exception):
    """An error the helpline raises on purpose (never a bug)."""


class InputError(HelplineError, ValueError):
    """Input that cannot be used; the message is one line for the person who gave it."""


class TextedInputError(InputError):
    """Typed input that cannot be used; ``key`` names the answer in texts.toml,
    ``detail`` the part that was wrong, ``values`` what the text fills in."""

    def __init__(self, key: str, detail: str = "", **values: str) -> None:
        super().__init__(key)
        self.key, self.detail, self.values = key, detail, values


class StateError(HelplineError, RuntimeError):
    """Things were not as decided on, or a service refused; nothing half-done is kept."""


# Configuration and settings
class ConfigError(InputError):
    """The flows configuration is invalid; the message names the file and key."""


class HoursError(InputError):
    """The opening hours in organisation.toml are malformed."""


class SettingsError(InputError):
    """A setting is missing or wrong; the message is one line naming it."""


# What staff type in Telegram
class StaffCommandError(TextedInputError):
    """The command is malformed: ``key`` names the text that explains it (texts.toml)."""


class WhenError(TextedInputError):
    """A typed time could not be used; ``key`` is the texts.toml entry that explains why."""


class RepeatError(TextedInputError):
    """A repetition that cannot be used; ``key`` names the re-prompt text."""


class AvailabilityError(TextedInputError):
    """Typed availability that cannot be read; ``key`` names the explanation, ``detail`` the bit."""


class RotaInputError(TextedInputError):
    """Typed input that cannot be read; ``key`` names the one-line answer in texts.toml."""


class RefError(InputError):
    """The REF cannot name anyone (empty, too long, a malformed phone number)."""


# Files, reports and data
class ImportFileError(InputError):
    """The file cannot be read as an import table; the message is one line."""


class PeriodError(InputError):
    """A period that cannot be read or is empty (start after end)."""


class DimensionError(InputError):
    """An unknown dimension, or one that does not apply to the metric."""


class SingleBreakdownError(InputError):
    """CSV holds one table; several breakdowns need JSON, XLSX or PNG."""


class CorpusError(InputError):
    """A corpus file that cannot be used; the message names the file and line."""


class OutdatedModel(InputError):
    """A model file written for an older ``FORMAT`` (its features no longer match)."""


class PayloadError(InputError):
    """A webhook body that cannot be read; ``str(error)`` names the field, never a number."""


class StaffExistsError(InputError):
    """A staff member with this Telegram id is already registered."""


# State and services
class DraftChanged(StateError):
    """The draft changed in the database after it was read: the step decided on an old
    state, so nothing of it is stored (the update's transaction rolls back)."""


class ImportKeyMismatch(StateError):
    """The stored import keys were made with another secret than the one given."""


class WebNotSetUp(StateError):
    """WEB_SECRET is not set: there is no web page to log in to."""


class HttpStartError(StateError):
    """The server cannot listen; the message is one line naming the setting."""


class DialError(StateError):
    """The provider refused the call or could not be reached; ``str()`` says which, without
    any number."""
