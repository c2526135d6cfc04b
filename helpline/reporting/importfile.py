"""Reading an import file (CSV or XLSX) as a header and numbered rows, streaming.

Whatever a person may hand us — an empty file, a PDF, an old ``.xls``, a CSV from
Dutch Excel (semicolons, Windows-1252), a device such as ``/dev/zero``, a file larger
than the limit — ends as one ``ImportFileError`` line, never a traceback. Row numbers
are the ones a spreadsheet shows: the header is row 1. Rows are read one at a time as
they are asked for, so memory does not grow with the file.
"""

from __future__ import annotations

import codecs
import csv
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.errors import ImportFileError

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # old Excel .xls (and .doc)
_DELIMITERS = (",", ";", "\t")
_CHUNK = 1 << 20
_SNIFF = 1 << 16  # bytes looked at for NUL (binary) and characters for the delimiter


@dataclass(frozen=True)
class RawTable:
    """The header names (normalised) and the non-empty rows with their row numbers.

    ``rows`` is read from the file while it is iterated, once; ``estimated_rows`` is
    for a progress bar (the number of lines, or the sheet's size), 0 when unknown.
    """

    header: list[str]
    rows: Iterator[tuple[int, list[Any]]]
    estimated_rows: int = 0


def normalise_header(name: Any) -> str:
    """``" Occurred At"`` → ``occurred_at``."""
    text = str(name or "").strip().lstrip("\ufeff").strip().casefold()
    return "_".join(text.replace("-", " ").split())


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _non_blank(rows: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    for number, row in rows:
        values = row if row.__class__ is list else list(row)  # the csv module's own list
        while values:  # (inline: a call per cell costs seconds on a million rows)
            last = values[-1]
            blank = (not last or last.isspace()) if last.__class__ is str else _blank(last)
            if not blank:
                break
            values.pop()
        if values:  # blank lines (often at the end of a file) carry nothing
            yield number, values


def _table(rows: Iterator[tuple[int, Sequence[Any]]], estimated_rows: int) -> RawTable:
    """Reads up to the header now; the rows after it are read as they are asked for."""
    body = _non_blank(rows)
    for _number, values in body:
        return RawTable([normalise_header(v) for v in values], body, estimated_rows)
    raise ImportFileError("the file holds no header row and no data")


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def _csv_encoding(path: Path, max_bytes: int | None) -> tuple[str, int]:
    """The file's encoding and its number of lines, read once in chunks (not kept).

    The whole file is checked before any row is used, as reading it whole used to:
    UTF-8 if every byte is, else Windows-1252 — what Excel on Dutch Windows still
    saves as "CSV".
    """
    utf8 = codecs.getincrementaldecoder("utf-8")()
    size = lines = 0
    is_utf8 = True
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            if size == 0 and b"\x00" in chunk[:_SNIFF]:
                raise ImportFileError("this is a binary file, not a CSV or XLSX file")
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:  # it grew after stat()
                raise _too_large(size, max_bytes)
            lines += chunk.count(b"\n")
            if is_utf8:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    is_utf8 = False
        if is_utf8:
            try:
                utf8.decode(b"", final=True)
                return "utf-8-sig", lines
            except UnicodeDecodeError:
                pass
        fh.seek(0)
        try:
            while chunk := fh.read(_CHUNK):
                chunk.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError("the file is not readable text (expected UTF-8 CSV)") from None
    return "cp1252", lines


def read_csv(path: Path, *, max_bytes: int | None = None) -> RawTable:
    """Reads a CSV file; the delimiter (comma, semicolon or tab) is taken from the header."""
    encoding, lines = _csv_encoding(path, max_bytes)
    with path.open(encoding=encoding, newline="") as fh:
        first_line = fh.readline(_SNIFF)
    delimiter = max(_DELIMITERS, key=first_line.count)

    def rows() -> Iterator[tuple[int, list[str]]]:
        with path.open(encoding=encoding, newline="") as fh:
            try:
                yield from enumerate(csv.reader(fh, delimiter=delimiter), start=1)
            except csv.Error as exc:
                raise ImportFileError(f"not a valid CSV file: {exc}") from None

    return _table(rows(), lines)


def read_xlsx(path: Path) -> RawTable:
    """Reads the first sheet of an XLSX workbook (values, not formulas), row by row."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl's own errors for damaged workbooks
        raise ImportFileError(f"not a valid XLSX file ({type(exc).__name__})") from None
    estimated: list[int] = [0]

    def rows() -> Iterator[tuple[int, Sequence[Any]]]:
        try:
            if not workbook.worksheets:
                raise ImportFileError("the workbook has no sheets")
            sheet = workbook.worksheets[0]
            _refuse_unsaved_formulas(sheet)
            estimated[0] = int(getattr(sheet, "max_row", 0) or 0)
            yield from enumerate(sheet.iter_rows(values_only=True), start=1)
        except ImportFileError:
            raise
        except Exception as exc:  # a sheet that breaks half-way through reading
            raise ImportFileError(f"not a valid XLSX file ({type(exc).__name__})") from None
        finally:
            workbook.close()

    body = rows()
    table = _table(body, 0)
    return RawTable(table.header, table.rows, estimated[0])


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


def _too_large(size: int, max_bytes: int) -> ImportFileError:
    return ImportFileError(
        f"the file is {_megabytes(size)}, more than the {_megabytes(max_bytes)} an import"
        " may be (setting IMPORT_MAX_MB); split it into smaller files"
    )


def _guarded(rows: Iterator[tuple[int, list[Any]]], path: Path) -> Iterator[tuple[int, list[Any]]]:
    """The rows, with a read error half-way through as one line too."""
    try:
        yield from rows
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_table(path: Path, *, max_bytes: int | None = None) -> RawTable:
    """Opens a CSV or XLSX file, recognised by its content rather than its name, and
    reads its header; the rows are read as they are iterated.

    Args:
        path: the file.
        max_bytes: the largest file accepted (None: any size).

    Raises:
        ImportFileError: for a missing, empty, too large, binary or otherwise unreadable
            file, or something that is not a regular file (a device, a pipe); also while
            iterating the rows, for a file that turns out damaged further on.
    """
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            raise ImportFileError("this is a directory, not a file")
        if not stat.S_ISREG(info.st_mode):
            # /dev/zero, /dev/urandom, a pipe: endless, or unknown in size.
            raise ImportFileError("not a regular file (a device or a pipe); save it as a file")
        if max_bytes is not None and info.st_size > max_bytes:
            raise _too_large(info.st_size, max_bytes)
        with path.open("rb") as fh:
            head = fh.read(8)
        if not head:
            raise ImportFileError("the file is empty")
        if head.startswith(_OLE_MAGIC):
            raise ImportFileError("old Excel .xls files are not supported; save as .xlsx or CSV")
        if head.startswith(_ZIP_MAGIC):
            table = read_xlsx(path)
        elif path.suffix.casefold() == ".xlsx":
            raise ImportFileError("not a valid XLSX file (not a ZIP archive)")
        else:
            table = read_csv(path, max_bytes=max_bytes)
        return RawTable(table.header, _guarded(table.rows, path), table.estimated_rows)
    except IsADirectoryError:
        raise ImportFileError("this is a directory, not a file") from None
    except FileNotFoundError:
        raise ImportFileError("no such file") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror or exc}") from None
