"""Spreadsheets in and out, as pure functions: the table of each export kind (its columns, and its
rows from the records storage reads), the two writers (XLSX, CSV), and the reader of an XLSX the
committee sends (rows of text, as the CSV reader gives them).

One table feeds both writers, so `/export` in the chat and `frontdesk export` in the shell give the
same columns. The headers and the words in the cells (statuses, yes/no, languages) come from the
reader's templates (`Words`), so a Chinese-speaking admin gets Chinese headers; the residents' and
volunteers' headers are ones `frontdesk import` knows, so an export imports back.

Safe to open: a cell of people's words (a request, a name, a comment) that starts with = + - @ (or a
tab or carriage return) never becomes a formula: in XLSX every text is a string cell, whatever it
starts with; in CSV such a cell gets a leading apostrophe (OWASP's advice for CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

KINDS = ("tickets", "residents", "volunteers", "ratings")
IMPORT_KINDS = ("residents", "volunteers", "shifts")
# What an admin may type for a kind, in either language. Add a word here, not an if.
KIND_WORDS = {
    "tickets": ("tickets", "ticket", "requests", "工单", "求助", "求助单"),
    "residents": ("residents", "resident", "居民", "住户"),
    "volunteers": ("volunteers", "volunteer", "志愿者"),
    "ratings": ("ratings", "rating", "评价", "评分"),
    "shifts": ("shifts", "shift", "roster", "排班", "值班", "班表"),
}
_KIND_INDEX = {word: kind for kind, words in KIND_WORDS.items() for word in words}
# What an export covers when no period is named: the recent weeks of what happens, everyone who is.
DEFAULT_PERIOD = {"tickets": "30d", "ratings": "30d", "residents": "all", "volunteers": "all"}

# Column types: "int" and "date" are numbers in the sheet; "text" is people's words (guarded
# against formulas); "code" is a value the bot wrote (a phone in E.164, a grid, a word of ours).
INT, DATE, TEXT, CODE = "int", "date", "text", "code"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
# openpyxl refuses these (XML 1.0 has no place for them); a resident's text may hold them
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MOST_WIDTH = 60
WIDTH_SAMPLE = 500  # rows looked at to size the columns (a 100,000-row export need not be read twice)


@dataclass(frozen=True)
class Column:
    key: str
    type: str
    words: str | None = None   # the table of words its codes are shown as (Words.values[words])


COLUMNS: dict[str, tuple[Column, ...]] = {
    "tickets": (
        Column("id", INT), Column("created_at", DATE), Column("status", CODE, "status"),
        Column("urgency", CODE, "urgency"), Column("category", CODE, "category"), Column("grid", CODE),
        Column("building", TEXT), Column("unit", TEXT), Column("room", TEXT), Column("location", TEXT),
        Column("text", TEXT), Column("reporter_name", TEXT), Column("reporter_phone", CODE),
        Column("volunteer", TEXT), Column("claimed_at", DATE), Column("resolved_at", DATE), Column("closed_at", DATE),
        Column("rating", INT), Column("rating_comment", TEXT),
        # a duplicate (the same problem reported again) names the request it follows: "#12"
        Column("linked_to", CODE, "ticket"),
    ),
    # the residents' and volunteers' columns are the importer's (bot/services/importer.py HEADERS)
    "residents": (
        Column("name", TEXT), Column("phone", CODE), Column("telegram_id", INT), Column("building", TEXT),
        Column("unit", TEXT), Column("room", TEXT), Column("grid", CODE), Column("language", CODE, "language"),
        Column("lives_alone", CODE, "yes_no"), Column("birth_year", INT), Column("emergency_contact_name", TEXT),
        Column("emergency_contact_phone", CODE), Column("emergency_contact_telegram_id", INT),
        Column("checkin_times", CODE), Column("registered_at", DATE), Column("created_at", DATE),
    ),
    "volunteers": (
        Column("name", TEXT), Column("phone", CODE), Column("telegram_id", INT), Column("team", TEXT),
        Column("role", CODE, "role"), Column("grids", CODE), Column("language", CODE, "language"),
        Column("active", CODE, "yes_no"), Column("joined_at", DATE),
    ),
    "ratings": (
        Column("id", INT), Column("rated_at", DATE), Column("rating", INT), Column("rating_comment", TEXT),
        Column("urgency", CODE, "urgency"), Column("category", CODE, "category"), Column("grid", CODE),
        Column("building", TEXT), Column("volunteer", TEXT), Column("reporter_name", TEXT),
        Column("created_at", DATE), Column("resolved_at", DATE),
    ),
}


@dataclass(frozen=True)
class Words:
    """What a reader sees: the headers of each kind's columns (kind -> key -> header), the sheet
    titles of every kind, and
    the words codes are shown as ("status" -> {"open": "等待志愿者"}, "yes_no" -> {1: "是"})."""

    headers: Mapping[str, Mapping[str, str]]
    titles: Mapping[str, str]
    values: Mapping[str, Mapping[Any, str]] = field(default_factory=dict)


@dataclass
class Sheet:
    kind: str
    title: str
    columns: tuple[Column, ...]
    headers: list[str]
    rows: list[list[Any]]


class SheetError(ValueError):
    """A spreadsheet sent to us cannot be read: `reason` is a code the import templates name."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


def kind_of(word: str | None, kinds: Sequence[str] = KINDS) -> str | None:
    """'工单' -> 'tickets', 'Residents' -> 'residents'; None for a word that names none of `kinds`."""
    if not word:
        return None
    kind = _KIND_INDEX.get(unicodedata.normalize("NFKC", word).strip().lower())
    return kind if kind in kinds else None


def local_time(at: float | None, tz: str) -> datetime | None:
    """An epoch time as the committee's wall clock, without a zone (Excel has none)."""
    if at is None:
        return None
    return datetime.fromtimestamp(at, ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def _clean_text(value: str) -> str:
    return _ILLEGAL.sub(" ", value)


def _value(column: Column, raw: Any, words: Words, tz: str) -> Any:
    if raw is None or raw == "":
        return None
    if column.type == DATE:
        return local_time(float(raw), tz)
    if column.type == INT:
        return int(raw)
    if column.words == "ticket":  # a ticket's number, as the bot writes it everywhere
        return f"#{int(raw)}"
    if column.words:
        table = words.values.get(column.words, {})
        if raw in table:
            return table[raw]
    # openpyxl refuses a text with a character XML cannot hold: it is cleaned here, once
    return _clean_text(str(raw))


def build(kind: str, records: Iterable[Mapping[str, Any]], words: Words, tz: str) -> Sheet:
    """The table of one export kind: a header row in the reader's language and one row a record
    (the records as storage/exports.py reads them)."""
    columns = COLUMNS[kind]
    rows = [[_value(column, record.get(column.key), words, tz) for column in columns] for record in records]
    headers = words.headers.get(kind, {})
    return Sheet(kind, words.titles.get(kind, kind), columns, [headers.get(c.key, c.key) for c in columns], rows)


def guard_csv(text: str) -> str:
    """People's words for a CSV cell: one that a spreadsheet would read as a formula is prefixed
    with an apostrophe, so it shows as the text it is."""
    return "'" + text if text.startswith(DANGEROUS_START) else text


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    text = str(value)
    # a CJK character takes two columns' width
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text.split("\n")[0])


def widths(sheet: Sheet) -> list[int]:
    """Each column wide enough for its header and its usual content, within reason."""
    result = []
    for index, header in enumerate(sheet.headers):
        sample = (_display_width(row[index]) for row in sheet.rows[:WIDTH_SAMPLE])
        result.append(min(MOST_WIDTH, max(6, _display_width(header), *sample) + 2))
    return result


_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")   # what Excel (and openpyxl) refuse in a sheet's name


def to_xlsx(sheet: Sheet) -> bytes:
    """The sheet as an Excel workbook (openpyxl, write-only: rows streamed, not kept as cells): a
    bold header row, frozen, columns sized to their content, dates as dates, every text a string
    cell, never a formula, whatever it starts with. Only the header, the dates and a text starting
    with "=" need a cell object of their own; every other value is passed plain, which openpyxl
    writes fastest (bench/run.py `bench_export`)."""
    from openpyxl import Workbook
    from openpyxl.cell import Cell, WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    ws = book.create_sheet(_SHEET_NAME_BAD.sub(" ", sheet.title)[:31] or "Sheet1")
    ws.freeze_panes = "A2"   # the header stays in view
    for index, width in enumerate(widths(sheet), 1):
        ws.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)

    def text(value: str) -> Any:
        if "\r" in value:
            # a carriage return reads back as a line feed from openpyxl's own XML writer, as itself
            # from lxml's: a line break, written the same whichever openpyxl uses
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        # openpyxl takes a str starting with "=" for a formula: that one is made a string cell by hand
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell

    # a date cell's style (its number format) made once and copied into each: setting
    # `number_format` on every one costs 0.7 s more for 100,000 tickets
    dated = WriteOnlyCell(ws)
    dated.number_format = DATE_FORMAT
    date_style = dated._style

    def date(value: datetime) -> Cell:
        return Cell(ws, row=1, column=1, value=value, style_array=date_style)

    header = []
    for title in sheet.headers:
        cell = WriteOnlyCell(ws, title)
        cell.data_type = "s"
        cell.font = bold
        header.append(cell)
    ws.append(header)
    for row in sheet.rows:
        ws.append([text(value) if isinstance(value, str) else date(value) if isinstance(value, datetime) else value
                   for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def to_csv(sheet: Sheet) -> bytes:
    """The sheet as CSV in UTF-8 with a byte-order mark (Excel then reads Chinese right); dates as
    `YYYY-MM-DD HH:MM`, people's words guarded against formulas."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(sheet.headers)
    types = [column.type for column in sheet.columns]
    for row in sheet.rows:
        writer.writerow([_csv_cell(value, kind) for value, kind in zip(row, types)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if kind == TEXT:
        return guard_csv(str(value))
    return str(value)


def write(sheet: Sheet, fmt: str) -> bytes:
    return to_xlsx(sheet) if fmt == "xlsx" else to_csv(sheet)


# -- reading an XLSX the committee sends -----------------------------------------------------------

XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # the old binary .xls (OLE)
MOST_UNPACKED = 200_000_000   # bytes of XML inside an .xlsx: about 500,000 rows of a roster


@dataclass
class Workbook:
    """The first worksheet as text: (row number as Excel shows it, cells), and its merged ranges
    as (first row, last row, "A1:C1")."""

    rows: list[tuple[int, list[str]]]
    merged: list[tuple[int, int, str]]


def cell_text(value: Any) -> str:
    """A cell as the clerk sees it: 13800001111 (a number) -> "13800001111", 1938.0 -> "1938", a
    time 09:00 -> "09:00", a date -> "2026-11-30"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d") if value.time() == time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_xlsx(data: bytes) -> Workbook:
    """The first worksheet of an .xlsx file. Raises SheetError: "workbook" for the old binary .xls,
    "bad_workbook" for what does not open as a workbook, "too_big" for one that unpacks into more
    than MOST_UNPACKED, "empty" for a sheet with nothing in it."""
    if data.startswith(XLS_MAGIC):
        raise SheetError("workbook")
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            unpacked = sum(info.file_size for info in package.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SheetError("bad_workbook", detail=type(exc).__name__) from None
    if unpacked > MOST_UNPACKED:   # a few MB that unpack into gigabytes: refused before reading
        raise SheetError("too_big", size=f"{unpacked / 1e6:.0f} MB unpacked", most=f"{MOST_UNPACKED / 1e6:.0f} MB")
    try:
        # not read-only: the merged ranges are only known to a full load (the file is at most a few MB)
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise SheetError("bad_workbook", detail=type(exc).__name__) from None
    try:
        if not book.worksheets:
            raise SheetError("empty")
        ws = book.worksheets[0]
        rows = []
        for number, values in enumerate(ws.iter_rows(min_row=1, min_col=1, values_only=True), 1):
            cells = [cell_text(v) for v in values]
            while cells and not cells[-1].strip():
                cells.pop()
            rows.append((number, cells))
        if not any(cells for _, cells in rows):
            raise SheetError("empty")
        merged = [(r.min_row, r.max_row, r.coord) for r in ws.merged_cells.ranges]
        return Workbook(rows, merged)
    finally:
        book.close()
