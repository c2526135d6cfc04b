"""The helpline's own errors: one module, two families, the same classes wherever imported."""

from __future__ import annotations

import importlib
import inspect

import pytest

from flows import errors

# Where each error is raised from: callers import it from there.
RAISED_IN = {
    "ConfigError": "flows.config",
    "HoursError": "flows.business_hours",
    "SettingsError": "helpline.settings",
    "StaffCommandError": "flows.staff_admin",
    "WhenError": "flows.calls.when",
    "RepeatError": "flows.calls.recurrence",
    "AvailabilityError": "flows.calls.availability",
    "RotaInputError": "flows.rota",
    "RefError": "flows.privacy",
    "ImportFileError": "helpline.reporting.importfile",
    "PeriodError": "helpline.reporting.periods",
    "DimensionError": "helpline.reporting.build",
    "SingleBreakdownError": "helpline.reporting.writers",
    "CorpusError": "flows.triage.corpus",
    "OutdatedModel": "flows.triage.model",
    "PayloadError": "flows.telephony",
    "StaffExistsError": "storage.repository.staff",
    "DraftChanged": "storage.repository.drafts",
    "ImportKeyMismatch": "storage.repository.import_keys",
    "WebNotSetUp": "helpline.cases.web_login",
    "HttpStartError": "helpline.web.server",
    "DialError": "helpline.phone_dial",
}
FAMILIES = {errors.HelplineError, errors.InputError, errors.TextedInputError, errors.StateError}


def test_every_error_is_in_one_family_and_listed() -> None:
    defined = {
        name
        for name, value in vars(errors).items()
        if inspect.isclass(value) and issubclass(value, Exception) and value not in FAMILIES
    }
    assert defined == set(RAISED_IN)
    for name in defined:
        error = getattr(errors, name)
        assert issubclass(error, errors.InputError) != issubclass(error, errors.StateError)
        # Bad input stays a ValueError, so every existing answer to one still catches it.
        if issubclass(error, errors.InputError):
            assert issubclass(error, ValueError)


@pytest.mark.parametrize("name", sorted(RAISED_IN))
def test_the_module_of_an_error_gives_the_same_class(name: str) -> None:
    assert getattr(importlib.import_module(RAISED_IN[name]), name) is getattr(errors, name)


def test_typed_input_errors_carry_their_text_key() -> None:
    error = errors.WhenError("when_past", detail="gisteren")
    assert (error.key, error.detail, str(error)) == ("when_past", "gisteren", "when_past")
    assert errors.StaffCommandError("bad_name", name="x").values == {"name": "x"}
