"""Reading an import file (CSV or XLSX) into a header and numbered rows.

Whatever a person may hand us — an empty file, a PDF, an old ``.xls``, a CSV from
Dutch Excel (semicolons, Windows-1252) — ends as one ``ImportFileError`` line, never
a traceback. Row numbers are the ones a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old Excel .xls (and .doc)
_DELIMITERS = (",", ";", "\t")


class ImportFileError(ValueError):
    """The file cannot be read as an import table; the message is one line."""


@dataclass(frozen=True)
class RawTable:
    """The header names (normalised) and the non-empty rows with their row numbers."""

    header: list[str]
    rows: list[tuple[int, list[Any]]]


def normalise_header(name: Any) -> str:
    """``" Occurred At"`` → ``occurred_at``."""
    text = str(name or "").strip().lstrip("\ufeff").strip().casefold()
    return "_".join(text.replace("-", " ").split())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _table(rows: Any) -> RawTable:
    header: list[str] | None = None
    body: list[tuple[int, list[Any]]] = []
    for number, row in enumerate(rows, start=1):
        values = list(row)
        while values and _blank(values[-1]):
            values.pop()
        if not values:
            continue  # blank lines (often at the end of a file) carry nothing
        if header is None:
            header = [normalise_header(v) for v in values]
            continue
        body.append((number, values))
    if header is None:
        raise ImportFileError("the file holds no header row and no data")
    return RawTable(header, body)


def _decode(data: bytes) -> str:
    if b"\x00" in data[:65536]:
        raise ImportFileError("this is a binary file, not a CSV or XLSX file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Dutch Windows still saves "CSV" in Windows-1252.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ImportFileError("the file is not readable text (expected UTF-8 CSV)") from None


def read_csv(data: bytes) -> RawTable:
    """Reads CSV bytes; the delimiter (comma, semicolon or tab) is taken from the header."""
    text = _decode(data)
    first_line = text.split("\n", 1)[0]
    delimiter = max(_DELIMITERS, key=first_line.count)
    try:
        return _table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise ImportFileError(f"not a valid CSV file: {exc}") from None


def read_xlsx(path: Path) -> RawTable:
    """Reads the first sheet of an XLSX workbook (values, not formulas)."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors for damaged workbooks
        raise ImportFileError(f"not a valid XLSX file ({type(exc).__name__})") from None
    try:
        if not workbook.worksheets:
            raise ImportFileError("the workbook has no sheets")
        _refuse_unsaved_formulas(workbook.worksheets[0])
        return _table(workbook.worksheets[0].iter_rows(values_only=True))
    except ImportFileError:
        raise
    except Exception as exc:  # a sheet that breaks half-way through reading
        raise ImportFileError(f"not a valid XLSX file ({type(exc).__name__})") from None
    finally:
        workbook.close()


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _refuse_unsaved_formulas(sheet: Any) -> None:
    """A formula cell without a saved result would read as empty, silently dropping
    what the formula shows (a workbook written by a program, never opened in Excel):
    refuse the file, naming the first such cell."""
    from xml.etree.ElementTree import iterparse

    # openpyxl gives only the saved result of a formula, so the sheet's XML is read
    # once more, streaming, for formulas that have none.
    with sheet._get_source() as source:
        for _event, element in iterparse(source):
            if element.tag == f"{_SHEET_NS}c":
                if element.find(f"{_SHEET_NS}f") is not None and _no_result(element):
                    raise ImportFileError(
                        f"sheet {sheet.title!r}, cell {element.get('r', '?')}: a formula "
                        "without a saved value; open the file in Excel, save it, and "
                        "import it again"
                    )
            elif element.tag == f"{_SHEET_NS}row":
                element.clear()


def _no_result(cell: Any) -> bool:
    value = cell.find(f"{_SHEET_NS}v")
    # An empty <v/> is a result only for a formula that returns text (t="str").
    return value is None or (not value.text and cell.get("t") != "str")


def read_table(path: Path) -> RawTable:
    """Reads a CSV or XLSX file, recognised by its content rather than its name.

    Raises:
        ImportFileError: for a missing, empty, binary or otherwise unreadable file.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            if not head:
                raise ImportFileError("the file is empty")
            if head.startswith(_OLE_MAGIC):
                raise ImportFileError(
                    "old Excel .xls files are not supported; save as .xlsx or CSV"
                )
            if head.startswith(_ZIP_MAGIC):
                return read_xlsx(path)
            if path.suffix.casefold() == ".xlsx":
                raise ImportFileError("not a valid XLSX file (not a ZIP archive)")
            return read_csv(head + fh.read())
    except IsADirectoryError:
        raise ImportFileError("this is a directory, not a file") from None
    except FileNotFoundError:
        raise ImportFileError("no such file") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
