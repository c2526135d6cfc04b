"""Spreadsheet cells that stay data: a name, label or note never becomes a formula.

Spreadsheet programs run a CSV cell that starts with ``=``, ``+``, ``-`` or ``@`` (and,
in some of them, a tab or carriage return before one of those) as a formula, and
openpyxl stores a text starting with ``=`` as a formula cell. A staff name such as
``=HYPERLINK("http://…","klik")`` would then be a live link in the municipality's copy
of a report. Every CSV and XLSX writer of the project passes its cells through here,
following the OWASP rule for such texts:

- CSV: the text gets a leading single quote (``'=HYPERLINK(…)``), which spreadsheet
  programs show as text;
- XLSX: the cell is stored as text with Excel's own quote prefix, so it shows exactly
  as typed and stays text when someone edits it.

Numbers, dates and empty cells pass unchanged: a negative count stays a number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # openpyxl takes a second to import: the CSV writers do without it
    from _typeshed import DataclassInstance
    from openpyxl.worksheet.worksheet import Worksheet

RISKY_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
# The characters openpyxl refuses in a cell (XML 1.0 cannot hold them): replaced, so a
# stray control character in old data gives a visible mark, not a failed export.
_NOT_IN_XLSX = re.compile(r"[\000-\010\013\014\016-\037]")

V = TypeVar("V")
D = TypeVar("D", bound="DataclassInstance")


def is_risky(value: object) -> bool:
    """Whether ``value`` is a text a spreadsheet program could read as a formula."""
    return isinstance(value, str) and value.startswith(RISKY_START)


def safe_cell(value: V) -> V | str:
    """A CSV cell: a risky text with a leading single quote, anything else unchanged."""
    if is_risky(value):
        return QUOTE + str(value)
    return value


def safe_fields(record: D) -> D:
    """A copy of the dataclass ``record`` with every field passed through ``safe_cell``."""
    changes = {f.name: safe_cell(getattr(record, f.name)) for f in fields(record)}
    return replace(record, **changes)


def append_row(sheet: Worksheet, values: Sequence[Any]) -> None:
    """Appends ``values`` as the sheet's next row, every text stored as text (never as
    a formula or an error value); a risky text is marked with Excel's quote prefix."""
    row = [_NOT_IN_XLSX.sub("\ufffd", v) if isinstance(v, str) else v for v in values]
    sheet.append(row)
    line = sheet.max_row
    for column, value in enumerate(row, 1):
        if isinstance(value, str):
            cell = sheet.cell(line, column)
            # openpyxl makes "=…" a formula ('f') and "#N/A" an error ('e') by itself.
            cell.data_type = "s"
            if is_risky(value):
                cell.quotePrefix = True
