"""Load the committee's spreadsheets (CSV or Excel .xlsx, with a header row) into the database.

The files are what Excel saves on the clerk's PC: the workbook itself (.xlsx, its first sheet: see
bot/core/sheets.py), or CSV in UTF-8 with or without a byte-order mark,
GBK/GB18030 on a Chinese Windows, or UTF-16 tab-separated ("Unicode text"); headers and values
in Chinese or English (`HEADERS`, `YES_NO`, `LANGUAGE_WORDS`, `ROLE_WORDS` below are the
tables of words; add a word there, not an if). A title row above the header is skipped.

Re-importing updates rather than duplicates: residents are matched by Telegram id, then phone,
then (for people without either) name and flat; an empty cell keeps what is on record. Within
one file, a second row with the same phone, Telegram id or (phoneless) person is reported as a
duplicate of the first and skipped, never silently merged. A bad row is reported with its line
number and a reason code (rendered for the clerk by templates/<lang>/import_report.j2); the rest load.

Phone numbers are read by the book (libphonenumber, PHONE_REGION) into E.164. A number somebody only
typed in the bot is not who a row is: the row becomes its own record (with the number) and the
typist's claim waits for the committee as a link request (bot/services/identity.py).
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from bot.clock import Clock
from bot.core import DEFAULT_REGION, checkins as checkin_rules, clean_building, clean_room, clean_unit, normalize_phone
from bot.core import identity as identity_rules, sheets
from bot.services.identity import convert_phones
from bot.services.teams import assign_building, parse_grids
from storage import Database, Tx, checkins as checkins_repo, identity as identity_repo, residents as residents_repo
from storage import rosters as rosters_repo, teams as teams_repo

log = logging.getLogger(__name__)

# Every header a committee is known to write, by the field it means. Compared after `_header_key`
# (NFKC, lower case, no spaces, underscores, stars or bracketed notes), so "Telegram ID", "telegram_id"
# and "姓名*" all match.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "姓名", "名字", "居民姓名", "志愿者姓名"),
    "phone": ("phone", "mobile", "tel", "telephone", "phone number", "电话", "手机", "手机号", "手机号码",
              "联系电话", "电话号码", "联系方式"),
    "telegram_id": ("telegram_id", "telegram id", "telegram", "tg", "tg id", "tg号", "telegram号", "电报", "电报号"),
    "building": ("building", "bldg", "block", "楼号", "楼栋", "楼栋号", "楼", "栋", "楼宇", "楼座"),
    "unit": ("unit", "entrance", "单元", "单元号"),
    "room": ("room", "flat", "apartment", "房号", "门牌", "门牌号", "室", "房间", "房间号", "室号"),
    "grid": ("grid", "网格", "所属网格", "网格号"),
    "grids": ("grids", "负责网格", "服务网格"),
    "language": ("language", "lang", "语言"),
    "lives_alone": ("lives_alone", "lives alone", "alone", "独居", "是否独居"),
    "birth_year": ("birth_year", "birth year", "year of birth", "born", "出生年份", "出生年", "出生年月", "出生日期"),
    "emergency_contact_name": ("emergency_contact_name", "emergency contact", "紧急联系人", "紧急联系人姓名"),
    "emergency_contact_phone": ("emergency_contact_phone", "emergency phone", "紧急联系人电话", "紧急联系电话",
                                "紧急联系人手机"),
    "emergency_contact_telegram_id": ("emergency_contact_telegram_id", "紧急联系人telegram", "紧急联系人tg"),
    "checkin_times": ("checkin_times", "checkin times", "check-in times", "check in times", "checkin", "平安打卡时间",
                      "打卡时间", "平安打卡", "问候时间", "签到时间"),
    "team": ("team", "队伍", "小队", "队", "队名", "所属队伍"),
    "role": ("role", "角色", "职务", "身份"),
    # shifts (rosters)
    "days": ("days", "weekdays", "day", "日子", "星期", "值班日", "值班日期", "周几"),
    "start": ("start", "from", "start time", "开始", "开始时间", "上班时间", "起"),
    "end": ("end", "to", "end time", "结束", "结束时间", "下班时间", "止"),
    "volunteers": ("volunteers", "who", "people", "志愿者", "值班人员", "值班志愿者", "人员", "值班人"),
}
RESIDENT_FIELDS = ("name", "phone", "telegram_id", "building", "unit", "room", "grid", "language", "lives_alone",
                   "birth_year", "emergency_contact_name", "emergency_contact_phone", "emergency_contact_telegram_id",
                   "checkin_times")
VOLUNTEER_FIELDS = ("name", "phone", "telegram_id", "team", "role", "grids", "language")
SHIFT_FIELDS = ("team", "days", "start", "end", "volunteers")
FIELDS = {"residents": RESIDENT_FIELDS, "volunteers": VOLUNTEER_FIELDS, "shifts": SHIFT_FIELDS}
# In a volunteers file a plain "grid" (网格) column is the grids the team covers.
KIND_ALIASES = {"volunteers": {"grid": "grids"}, "residents": {}, "shifts": {}}
REQUIRED = {"residents": ("name", "building"), "volunteers": ("name", "team"), "shifts": SHIFT_FIELDS}

YES_NO = {
    "是": 1, "否": 0, "有": 1, "无": 0, "對": 1, "对": 1, "不": 0, "不是": 0, "没有": 0, "独居": 1, "不独居": 0,
    "非独居": 0, "y": 1, "n": 0, "yes": 1, "no": 0, "true": 1, "false": 0, "1": 1, "0": 0,
    "√": 1, "✓": 1, "✔": 1, "x": 1, "×": 0, "✗": 0, "✘": 0,
}
LANGUAGE_WORDS = {
    "zh": "zh", "zh-cn": "zh", "cn": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "普通话": "zh", "国语": "zh",
    "华语": "zh", "en": "en", "english": "en", "eng": "en", "英文": "en", "英语": "en",
}
ROLE_WORDS = {
    "leader": "leader", "队长": "leader", "组长": "leader", "负责人": "leader", "网格长": "leader",
    "member": "member", "队员": "member", "成员": "member", "组员": "member", "志愿者": "member",
}
NO_PHONE = {"", "无", "没有", "暂无", "无手机", "没手机", "-", "--", "—", "——", "/", "\\", "none", "n/a", "na", "null"}

_ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GBK"))
_HEADER_SEARCH = 10  # rows looked at for the header (a title row or two may come first)
_SCIENTIFIC = re.compile(r"^\d+(?:\.\d+)?e\+?\d+$", re.IGNORECASE)
_FLOAT_ZERO = re.compile(r"^(\d+)\.0+$")  # 13800001111.0: Excel stored the number as a float
_YEAR = re.compile(r"^((?:19|20)\d\d)(?:年.*|[-/.]\d.*)?$")
_BRACKETS = re.compile(r"[(（\[【].*?[)）\]】]")


def _header_key(text: str) -> str:
    text = _BRACKETS.sub("", unicodedata.normalize("NFKC", text)).lower()
    return re.sub(r"[\s_\-*:：]+", "", text)


_HEADER_INDEX = {_header_key(word): name for name, words in HEADERS.items() for word in words}


class Problem(NamedTuple):
    """A row that did not load (an error) or loaded with a caveat (a warning); reason is a code that
    templates/<lang>/_import.j2 turns into a sentence, params fill it in."""

    line: int | None
    reason: str
    params: dict[str, Any]


@dataclass
class Report:
    kind: str
    encoding: str = ""
    created: int = 0
    updated: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows not loaded (a row may have several errors)."""
        return len({problem.line for problem in self.errors})


class RowError(ValueError):
    """This row cannot load: `reason` is a code (see templates/<lang>/_import.j2)."""

    def __init__(self, reason: str, **params: Any) -> None:
        super().__init__(reason)
        self.reason = reason
        self.params = params


class RowErrors(ValueError):
    """Every problem of one row, so the clerk fixes them in one pass."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(", ".join(error.reason for error in errors))
        self.errors = errors


class _Cells:
    """Reads one row's fields, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[RowError] = []

    def read(self, parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except RowError as exc:
            self.errors.append(exc)
            return None

    def check(self) -> None:
        if self.errors:
            raise RowErrors(self.errors)


class FileError(RowError):
    """The whole file cannot load (not text, a workbook, no header, ...)."""


# -- reading a file ----------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """The file's text and the name of its encoding, tried strictly in order: UTF-16 (by its BOM),
    UTF-8 (with or without BOM), GB18030 (a superset of GBK and GB2312). Text in GBK is almost never
    valid UTF-8, so the order decides correctly; a file that is neither is refused, never guessed."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise FileError("not_text") from None
    for codec, label in _ENCODINGS:
        try:
            return data.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise FileError("not_text")


def _cell(value: str) -> str:
    return unicodedata.normalize("NFKC", value).replace("\ufeff", "").replace("\u200b", "").strip()


@dataclass
class Table:
    encoding: str
    columns: dict[str, list[int]]      # field -> the file's columns that mean it, in order
    headers: list[str]                 # the file's header cells, as written
    ignored: list[str]                 # header cells that mean nothing we know
    rows: list[tuple[int, list[str]]]  # (line number, cells)
    region: str = DEFAULT_REGION       # how a number without +country is read (PHONE_REGION)
    header_line: int = 1               # where the header row is (a title may be above it)

    def value(self, cells: list[str], name: str) -> str:
        """The first non-empty cell of the columns that mean `name`."""
        for index in self.columns.get(name, ()):
            if index < len(cells) and cells[index]:
                return cells[index]
        return ""

    def column(self, name: str) -> str:
        """The header the clerk wrote for a field (for the report)."""
        indexes = self.columns.get(name)
        return self.headers[indexes[0]] if indexes else name


def _recognise(header: list[str], kind: str) -> dict[str, list[int]]:
    wanted = FIELDS[kind]
    columns: dict[str, list[int]] = {}
    for index, cell in enumerate(header):
        name = _HEADER_INDEX.get(_header_key(cell)) if cell else None
        name = KIND_ALIASES[kind].get(name, name) if name else None
        if name in wanted:
            columns.setdefault(name, []).append(index)
    return columns


def read_table(source: Path | bytes, kind: str) -> Table:
    """The file's header and rows: a CSV (any of the encodings above) or an Excel workbook (.xlsx,
    its first sheet; line numbers are Excel's row numbers). A file that cannot be read, or has no
    header we know, raises FileError and nothing is imported."""
    data = source if isinstance(source, bytes) else source.read_bytes()
    if data.startswith((sheets.XLSX_MAGIC, sheets.XLS_MAGIC)):
        return _workbook_table(data, kind)
    text, encoding = decode(data)
    if not text.strip():
        raise FileError("empty")
    if "\x00" in text:
        raise FileError("not_text")
    first_lines = text.lstrip("\ufeff").splitlines()[:_HEADER_SEARCH]
    delimiter = "\t" if sum(line.count("\t") for line in first_lines) > sum(line.count(",") for line in first_lines) \
        else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def lines() -> Any:
        previous = 0
        for cells in reader:
            line, previous = previous + 1, reader.line_num
            yield line, cells

    try:
        return _table(lines(), kind, encoding)
    except csv.Error as exc:
        raise FileError("not_csv", detail=str(exc)) from None


def _workbook_table(data: bytes, kind: str) -> Table:
    try:
        book = sheets.read_xlsx(data)
    except sheets.SheetError as exc:
        raise FileError(exc.reason, **exc.params) from None
    table = _table(iter(book.rows), kind, "XLSX")
    # A merged cell hides which row its value belongs to: refused, unless it is a title above the header
    for first, last, cells in sorted(book.merged):
        if last >= table.header_line:
            raise FileError("merged", cells=cells, line=first)
    return table


def _table(lines: Any, kind: str, encoding: str) -> Table:
    """The header (within the first rows: a title may come first) and the non-empty rows after it."""
    required = REQUIRED[kind]
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    header_line = 0
    columns: dict[str, list[int]] = {}
    best: dict[str, list[int]] = {}
    for line, cells in lines:
        cells = [_cell(c) for c in cells]
        if header is None:
            found = _recognise(cells, kind)
            if all(name in found for name in required):
                header, columns, header_line = cells, found, line
            elif line >= _HEADER_SEARCH:
                break
            elif len(found) > len(best):
                best = found
            continue
        if any(cells):
            rows.append((line, cells))
    if header is None:
        raise FileError("missing_columns", fields=[name for name in required if name not in best])
    used = {index for indexes in columns.values() for index in indexes}
    ignored = [cell for index, cell in enumerate(header) if cell and index not in used]
    return Table(encoding, columns, header, ignored, rows, header_line=header_line)


# -- reading values ----------------------------------------------------------------------------


def _number_text(value: str, column: str) -> str:
    if _SCIENTIFIC.match(value):
        raise RowError("scientific", column=column, value=value)
    float_zero = _FLOAT_ZERO.match(value)
    return float_zero.group(1) if float_zero else value


def _phone(table: Table, cells: list[str], name: str) -> str | None:
    value = table.value(cells, name)
    if value.lower() in NO_PHONE:
        return None
    column = table.column(name)
    phone = normalize_phone(_number_text(value, column), table.region)
    if phone is None:
        raise RowError("bad_phone", column=column, value=value)
    return phone


def _telegram_id(table: Table, cells: list[str], name: str) -> int | None:
    value = table.value(cells, name)
    if not value:
        return None
    column = table.column(name)
    digits = _number_text(value, column)
    if not digits.isdigit() or len(digits) > 15:
        raise RowError("bad_number", column=column, value=value)
    return int(digits)


def _year(table: Table, cells: list[str]) -> int | None:
    value = table.value(cells, "birth_year")
    if not value:
        return None
    match = _YEAR.match(value)
    if not match:
        raise RowError("bad_year", column=table.column("birth_year"), value=value)
    return int(match.group(1))


def _word(table: Table, cells: list[str], name: str, words: dict[str, Any], reason: str) -> Any:
    value = table.value(cells, name)
    if not value:
        return None
    if value.lower() not in words:
        raise RowError(reason, column=table.column(name), value=value)
    return words[value.lower()]


def _place(table: Table, cells: list[str], name: str, clean: Any) -> str | None:
    value = table.value(cells, name)
    if not value:
        return None
    cleaned = clean(value)
    if not cleaned:
        raise RowError(f"bad_{name}", column=table.column(name), value=value)
    return str(cleaned)


def _grid(table: Table, cells: list[str], name: str) -> list[str]:
    value = table.value(cells, name)
    if not value:
        return []
    try:
        return parse_grids(value)
    except ValueError:
        raise RowError("bad_grid", column=table.column(name), value=value) from None


def _name(table: Table, cells: list[str]) -> str:
    name = " ".join(table.value(cells, "name").split())
    if not name:
        raise RowError("required", column=table.column("name"))
    return name


def _team(table: Table, cells: list[str]) -> str:
    team = " ".join(table.value(cells, "team").split())
    if not team:
        raise RowError("required", column=table.column("team"))
    return team


def _same_name(a: str, b: str) -> bool:
    return "".join(a.split()).casefold() == "".join(b.split()).casefold()


class _Seen:
    """Who this file already named, so a later row with the same phone, Telegram id or person is a
    duplicate rather than an overwrite."""

    def __init__(self) -> None:
        self.keys: dict[tuple[str, Any], tuple[int, dict[str, Any]]] = {}

    def first(self, keys: list[tuple[str, Any]]) -> tuple[str, Any, int, dict[str, Any]] | None:
        for what, value in keys:
            if (what, value) in self.keys:
                line, info = self.keys[(what, value)]
                return what, value, line, info
        return None

    def add(self, keys: list[tuple[str, Any]], line: int, info: dict[str, Any]) -> None:
        for key in keys:
            self.keys.setdefault(key, (line, info))


def _identity(values: dict[str, Any]) -> list[tuple[str, Any]]:
    keys: list[tuple[str, Any]] = []
    if values.get("phone"):
        keys.append(("phone", values["phone"]))
    if values.get("telegram_id") is not None:
        keys.append(("telegram_id", values["telegram_id"]))
    return keys


def _duplicate(line: int, found: tuple[str, Any, int, dict[str, Any]]) -> Problem:
    what, value, first_line, info = found
    return Problem(line, "duplicate", {"what": what, "value": value, "first_line": first_line,
                                       "first_name": info.get("name")})


# -- residents ---------------------------------------------------------------------------------


def _one_grid(table: Table, cells: list[str]) -> str | None:
    grids = _grid(table, cells, "grid")
    if len(grids) > 1:
        raise RowError("bad_grid", column=table.column("grid"), value=table.value(cells, "grid"))
    return grids[0] if grids else None


def _resident_values(table: Table, cells: list[str]) -> dict[str, Any]:
    row = _Cells()
    values: dict[str, Any] = {
        "name": row.read(_name, table, cells),
        "phone": row.read(_phone, table, cells, "phone"),
        "telegram_id": row.read(_telegram_id, table, cells, "telegram_id"),
        "building": row.read(_place, table, cells, "building", clean_building),
        "unit": row.read(_place, table, cells, "unit", clean_unit),
        "room": row.read(_place, table, cells, "room", clean_room),
        "grid": row.read(_one_grid, table, cells),
        "language": row.read(_word, table, cells, "language", LANGUAGE_WORDS, "bad_language"),
        "lives_alone": row.read(_word, table, cells, "lives_alone", YES_NO, "bad_yes_no"),
        "birth_year": row.read(_year, table, cells),
        "emergency_contact_name": table.value(cells, "emergency_contact_name") or None,
        "emergency_contact_phone": row.read(_phone, table, cells, "emergency_contact_phone"),
        "emergency_contact_telegram_id": row.read(_telegram_id, table, cells, "emergency_contact_telegram_id"),
        "checkin_times": row.read(_checkin_times, table, cells),
    }
    row.check()
    if not values["phone"] and values["telegram_id"] is None and not values["building"]:
        raise RowError("unreachable_resident")
    return values


def _checkin_times(table: Table, cells: list[str]) -> str | None:
    """`09:00;18:00` -> a daily check-in plan at those times; empty: no plan (one on record stays)."""
    value = table.value(cells, "checkin_times")
    if not value:
        return None
    times = checkin_rules.parse_times(value)
    if times is None:
        raise RowError("bad_checkin_times", column=table.column("checkin_times"), value=value)
    return checkin_rules.format_times(times)


def _resident_keys(values: dict[str, Any]) -> list[tuple[str, Any]]:
    keys = _identity(values)
    if not keys:  # known by name and flat only (no smartphone): that pair is who they are
        keys.append(("person", (values["name"].casefold(), values["building"], values["unit"], values["room"])))
    return keys


async def import_residents(db: Database, path: Path | bytes, clock: Clock, region: str = DEFAULT_REGION) -> Report:
    table = read_table(path, "residents")
    table.region = region
    await convert_phones(db, region, clock.now())   # numbers on record in the form this file's are read into
    report = Report("residents", table.encoding, ignored_columns=table.ignored)
    seen = _Seen()
    building_lines: dict[str, tuple[str, int]] = {}  # building -> (grid, first line that gave it)
    for line, cells in table.rows:
        try:
            values = _resident_values(table, cells)
            keys = _resident_keys(values)
            found = seen.first(keys)
            if found:
                report.errors.append(_duplicate(line, found))
                continue
            building, grid = values["building"], values["grid"]
            if building and grid:
                first_grid, first_line = building_lines.setdefault(building, (grid, line))
                if first_grid != grid:
                    report.warnings.append(Problem(line, "grid_conflict", {
                        "building": building, "grid": grid, "first_grid": first_grid, "first_line": first_line}))
                    values["grid"] = first_grid
            notes: list[tuple[str, dict[str, Any]]] = []
            async with db.transaction() as tx:
                created = await _upsert_resident(tx, values, clock.now(), notes)
            report.warnings.extend(Problem(line, reason, params) for reason, params in notes)
            seen.add(keys, line, values)
            report.created += created
            report.updated += not created
        except RowErrors as exc:
            report.errors.extend(Problem(line, error.reason, error.params) for error in exc.errors)
        except RowError as exc:
            report.errors.append(Problem(line, exc.reason, exc.params))
        except Exception as exc:  # a database surprise: name it, keep going with the next row
            log.exception("import: line %s", line)
            report.errors.append(Problem(line, "unexpected", {"detail": f"{type(exc).__name__}: {exc}"}))
    return report


async def _upsert_resident(tx: Tx, values: dict[str, Any], now: float,
                           notes: list[tuple[str, dict[str, Any]]] | None = None) -> bool:
    """The resident row, and their check-in plan when the row has check-in times (the tick works
    out when the first question is due)."""
    values = dict(values)
    times = values.pop("checkin_times", None)
    created = await _upsert_resident_row(tx, values, now, [] if notes is None else notes)
    if times:
        resident = await _find_resident(tx, values)
        if resident is not None:
            plan = await checkins_repo.plan(tx, resident["id"])
            if plan is None or plan["times"] != times:
                await checkins_repo.upsert_plan(
                    tx, resident["id"], times, plan["days"] if plan else checkin_rules.format_days(checkin_rules.EVERY_DAY),
                    plan["grace_seconds"] if plan else checkin_rules.DEFAULT_GRACE, None, None, now)
    return created


async def _find_resident(tx: Tx, values: dict[str, Any]) -> dict[str, Any] | None:
    if values["telegram_id"] is not None and (found := await residents_repo.by_telegram_id(tx, values["telegram_id"])):
        return found
    if values["phone"] and (found := await residents_repo.by_phone(tx, values["phone"])):
        return found
    return await residents_repo.by_name_and_flat(tx, values["name"], values["building"], values["unit"], values["room"])


async def _upsert_resident_row(tx: Tx, values: dict[str, Any], now: float,
                               notes: list[tuple[str, dict[str, Any]]]) -> bool:
    by_telegram = (await residents_repo.by_telegram_id(tx, values["telegram_id"])
                   if values["telegram_id"] is not None else None)
    by_phone = await residents_repo.by_phone(tx, values["phone"]) if values["phone"] else None
    claimant = None
    if by_phone and by_phone["phone_source"] == identity_rules.TYPED and by_phone["telegram_id"] not in (None, values["telegram_id"]):
        # typed in the bot, never proven: the row is its own record, and the typist's claim goes to
        # the committee (merging would show them this row's flat and family)
        claimant, by_phone = by_phone, None
        await residents_repo.update(tx, claimant["id"], {"phone": None, "phone_source": None}, now)
    if by_telegram and by_phone and by_telegram["id"] != by_phone["id"]:
        raise RowError("phone_taken", value=values["phone"], other=by_phone["name"])
    existing = by_telegram or by_phone
    if existing is None and not values["phone"] and values["telegram_id"] is None:
        existing = await residents_repo.by_name_and_flat(tx, values["name"], values["building"], values["unit"],
                                                         values["room"])
    building = values["building"]
    if building and values["grid"]:
        if await residents_repo.grid_of_building(tx, building) != values["grid"]:
            await assign_building(tx, building, values["grid"], now)
    elif building and not values["grid"]:
        values["grid"] = await residents_repo.grid_of_building(tx, building)
    if values["phone"]:
        values["phone_source"] = identity_rules.IMPORTED   # the committee's word
    if existing:
        # An empty cell keeps what is on record: a re-import must not unlink a Telegram account
        # or forget a phone the resident gave the bot.
        await residents_repo.update(tx, existing["id"], {k: v for k, v in values.items() if v is not None}, now)
        record_id = existing["id"]
    else:
        values = {**values, "lives_alone": values["lives_alone"] or 0, "source": "import"}
        record_id = await residents_repo.create(tx, {k: v for k, v in values.items() if v is not None}, now)
    if claimant is not None:
        await identity_repo.ask(tx, claimant["telegram_id"], None, record_id, values["phone"], "import",
                                (existing or {}).get("telegram_id"), now)
        notes.append(("typed_claim", {"value": values["phone"], "telegram_id": claimant["telegram_id"]}))
    return existing is None


# -- volunteers --------------------------------------------------------------------------------


async def _known_volunteer(tx: Tx, values: dict[str, Any]) -> dict[str, Any] | None:
    by_telegram = (await teams_repo.volunteer_by_telegram_id(tx, values["telegram_id"])
                   if values["telegram_id"] is not None else None)
    by_phone = await teams_repo.volunteer_by_phone(tx, values["phone"]) if values["phone"] else None
    if by_telegram and by_phone and by_telegram["id"] != by_phone["id"]:
        raise RowError("phone_taken", value=values["phone"], other=by_phone["name"])
    return by_telegram or by_phone


async def import_volunteers(db: Database, path: Path | bytes, clock: Clock, region: str = DEFAULT_REGION) -> Report:
    table = read_table(path, "volunteers")
    table.region = region
    await convert_phones(db, region, clock.now())
    report = Report("volunteers", table.encoding, ignored_columns=table.ignored)
    seen = _Seen()
    for line, cells in table.rows:
        try:
            row = _Cells()
            values = {"name": row.read(_name, table, cells), "phone": row.read(_phone, table, cells, "phone"),
                      "telegram_id": row.read(_telegram_id, table, cells, "telegram_id"),
                      "language": row.read(_word, table, cells, "language", LANGUAGE_WORDS, "bad_language")}
            team_name = row.read(_team, table, cells)
            role = row.read(_word, table, cells, "role", ROLE_WORDS, "bad_role") or "member"
            grids = row.read(_grid, table, cells, "grids") or []
            row.check()
            keys = _identity(values)
            if not keys:
                raise RowError("unreachable_volunteer")
            found = seen.first(keys)
            # The same person on a second row for another team is a second membership; anything else
            # (another name, or the same team again) would overwrite the first row.
            if found and not (_same_name(found[3]["name"], values["name"])
                              and found[3]["team"].casefold() != team_name.casefold()):
                report.errors.append(_duplicate(line, found))
                continue
            async with db.transaction() as tx:
                now = clock.now()
                known = await _known_volunteer(tx, values)
                volunteer_id = await teams_repo.upsert_volunteer(tx, values, now)
                team = await teams_repo.ensure_team(tx, team_name[:60], now)
                await teams_repo.add_member(tx, team["id"], volunteer_id, role, now)
                if grids:
                    await teams_repo.add_grids(tx, team["id"], grids)
            seen.add(keys, line, {**values, "team": team_name})
            report.created += known is None
            report.updated += known is not None
        except RowErrors as exc:
            report.errors.extend(Problem(line, error.reason, error.params) for error in exc.errors)
        except RowError as exc:
            report.errors.append(Problem(line, exc.reason, exc.params))
        except Exception as exc:
            log.exception("import: line %s", line)
            report.errors.append(Problem(line, "unexpected", {"detail": f"{type(exc).__name__}: {exc}"}))
    return report


# -- shifts ------------------------------------------------------------------------------------

# what bot/services/rosters.check_shift found wrong -> the reason code of a row
SHIFT_REASONS = {"unknown_team": "unknown_team", "bad_days": "bad_days", "bad_span": "bad_shift_times",
                 "same_span": "same_shift_times", "no_volunteers": "required", "unknown_volunteer": "unknown_volunteer",
                 "not_in_team": "not_in_team", "ambiguous": "ambiguous_volunteer"}


async def import_shifts(db: Database, path: Path | bytes, clock: Clock, region: str = DEFAULT_REGION) -> Report:
    """A roster from the committee's spreadsheet: one shift a row (team, days, start, end,
    volunteers separated by commas). The team and its volunteers must exist (import volunteers
    first); a row with the same team, days and hours as a shift on record replaces its volunteers."""
    from bot.services.rosters import check_shift  # rosters builds on the alerts; load it when used

    table = read_table(path, "shifts")
    report = Report("shifts", table.encoding, ignored_columns=table.ignored)
    for line, cells in table.rows:
        values = {name: table.value(cells, name) for name in SHIFT_FIELDS}
        empty = [name for name in SHIFT_FIELDS if not values[name]]
        if empty:
            report.errors.extend(Problem(line, "required", {"column": table.column(name)}) for name in empty)
            continue
        try:
            async with db.transaction() as tx:
                found = await check_shift(tx, values["team"], values["days"], f"{values['start']}-{values['end']}",
                                          values["volunteers"], region)
                if isinstance(found, tuple):
                    reason, params = found
                    column = {"unknown_team": "team", "bad_days": "days"}.get(reason, "volunteers")
                    if reason in ("bad_span", "same_span"):
                        column = "start"
                        params = {"value": f"{values['start']}-{values['end']}"}
                    report.errors.append(Problem(line, SHIFT_REASONS[reason], {
                        "column": table.column(column), **{k: v for k, v in params.items() if k != "found"}}))
                    continue
                same = await rosters_repo.same_shift(tx, found["team_id"], found["days"], found["start"], found["end"])
                if same is None:
                    await rosters_repo.add_shift(tx, found["team_id"], found["days"], found["start"], found["end"],
                                                 found["volunteers"], None, clock.now())
                    report.created += 1
                else:
                    await rosters_repo.set_volunteers(tx, same, found["volunteers"])
                    report.updated += 1
        except Exception as exc:
            log.exception("import: line %s", line)
            report.errors.append(Problem(line, "unexpected", {"detail": f"{type(exc).__name__}: {exc}"}))
    return report
