"""Spreadsheets through the importer and the shell: an .xlsx loads like a CSV (Excel's row numbers
in the report), a merged cell or a wrong header loads nothing, `frontdesk export` writes the same
table as CSV or XLSX, and residents exported then imported again are the same residents."""

from __future__ import annotations

import asyncio
import csv
import io
import time
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.clock import FakeClock
from bot.core import sheets
from bot.delivery import Renderer
from bot.services import FileError, import_residents, import_volunteers
from bot.services.importer import FIELDS, _recognise
from bot.services.sheets import sheet_words
from storage import Database, tickets as tickets_repo
from tests.core.test_sheets import _xlsx

ROSTER = (
    "姓名,手机号,Telegram号,楼号,单元,房号,网格,语言,是否独居,出生年份,紧急联系人,紧急联系人电话,平安打卡时间\n"
    "王秀兰,13800001111,,5号楼,2单元,302室,G1,中文,是,1938,王强,13900001111,09:00;18:00\n"
    "李建国,,,5号楼,1单元,101,G1,,否,1942,,,\n"
    "Sun Li,,5005,7,2,201,G2,en,0,,,,\n"
)
COMPARED = ("name", "phone", "telegram_id", "building", "unit", "room", "grid", "language", "lives_alone",
            "birth_year", "emergency_contact_name", "emergency_contact_phone", "emergency_contact_telegram_id")


@pytest.fixture
async def db(tmp_path: Path):
    database = await Database(str(tmp_path / "db.sqlite")).open()
    yield database
    await database.close()


async def _residents(db: Database) -> list[dict]:
    async with db.transaction() as tx:
        rows = await tx.all(f"SELECT {', '.join(COMPARED)} FROM residents ORDER BY name")
        plans = await tx.all("SELECT r.name, p.times FROM checkin_plans p JOIN residents r ON r.id = p.resident_id")
    return [dict(r) for r in rows] + [dict(p) for p in plans]


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("kind", ["residents", "volunteers"])
def test_every_exported_header_of_people_is_one_the_import_knows(kind, lang):
    """So an export imports back: each column the importer has a field for is recognised."""
    words = sheet_words(Renderer("zh"), lang)
    headers = [words.headers[kind][c.key] for c in sheets.COLUMNS[kind]]
    found = _recognise(headers, kind)
    expected = {c.key for c in sheets.COLUMNS[kind] if c.key in FIELDS[kind]}
    assert set(found) == expected and all(len(indexes) == 1 for indexes in found.values())


async def test_an_xlsx_loads_with_excels_row_numbers_in_the_report(db):
    data = _xlsx([["社区居民花名册（2026年）", None, None], ["姓名", "电话", "楼号"], ["王秀兰", 13800001111, "5号楼"],
                  [], ["李建国", "abc", 5], ["张桂英", None, "7栋"]], merge="A1:C1")  # a merged title is fine
    report = await import_residents(db, data, FakeClock())
    assert report.encoding == "XLSX" and (report.created, report.rejected) == (2, 1)
    assert [(e.line, e.reason) for e in report.errors] == [(5, "bad_phone")]
    rows = await _residents(db)
    assert [(r["name"], r["phone"], r["building"]) for r in rows] == [
        ("张桂英", None, "7"), ("王秀兰", "+8613800001111", "5")]


@pytest.mark.parametrize("rows, merge, reason", [
    ([["姓名", "电话", "楼号"], ["王秀兰", 13800001111, 5], ["李建国", 13800002222, 5]], "C2:C3", "merged"),
    ([["姓名", "电话", "楼号"], ["王秀兰", 13800001111, 5]], "A1:B1", "merged"),   # a merged header
    ([["名字?", "电话"], ["王秀兰", 13800001111]], None, "missing_columns"),
    ([], None, "empty"),
])
async def test_an_xlsx_that_cannot_load_says_why_and_loads_nothing(db, rows, merge, reason):
    with pytest.raises(FileError) as caught:
        await import_residents(db, _xlsx(rows, merge), FakeClock())
    assert caught.value.reason == reason
    assert await _residents(db) == []
    if reason == "merged":
        assert caught.value.params["cells"] == merge


async def test_a_file_that_is_no_spreadsheet_is_refused(db):
    with pytest.raises(FileError) as caught:
        await import_volunteers(db, b"PK\x03\x04 this is a zip of something else", FakeClock())
    assert caught.value.reason == "bad_workbook"


# -- the shell ---------------------------------------------------------------------------------


def _cli(monkeypatch, tmp_path: Path, db_name: str, *argv: str, language: str = "zh") -> int:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRONTDESK_DB", str(tmp_path / db_name))
    monkeypatch.setenv("DEFAULT_LANGUAGE", language)
    return main(list(argv))


def test_residents_exported_to_xlsx_import_back_as_the_same_residents(monkeypatch, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    assert _cli(monkeypatch, tmp_path, "first.db", "import", "residents", str(roster)) == 0
    assert _cli(monkeypatch, tmp_path, "first.db", "export", "residents", "-o", "residents.xlsx") == 0
    assert "3 rows of residents (all)" in capsys.readouterr().err
    # into an empty database, and again into the same one (an update, nothing new)
    assert _cli(monkeypatch, tmp_path, "second.db", "import", "residents", "residents.xlsx") == 0
    assert "新增 3 人" in capsys.readouterr().out
    assert _cli(monkeypatch, tmp_path, "first.db", "import", "residents", "residents.xlsx") == 0
    assert "新增 0 人，更新 3 人" in capsys.readouterr().out

    async def both() -> tuple[list[dict], list[dict]]:
        first = await Database(str(tmp_path / "first.db")).open()
        second = await Database(str(tmp_path / "second.db")).open()
        try:
            return await _residents(first), await _residents(second)
        finally:
            await first.close()
            await second.close()

    first, second = asyncio.run(both())
    assert first == second and len(first) == 4   # three residents and Wang's check-in plan
    assert first[-1] == {"name": "王秀兰", "times": "09:00,18:00"}


def test_the_shell_writes_csv_and_xlsx_with_the_same_columns(monkeypatch, tmp_path, capsys):
    async def seed() -> None:
        db = await Database(str(tmp_path / "desk.db")).open()
        try:
            async with db.transaction() as tx:
                await tickets_repo.create(tx, {
                    "status": "open", "urgency": "urgent", "category": "water", "lang": "zh", "grid": "G1",
                    "text": '=HYPERLINK("http://evil.example","水管爆了")', "reporter_chat_id": 5001,
                    "reporter_name": "@王"}, time.time())
        finally:
            await db.close()

    asyncio.run(seed())
    assert _cli(monkeypatch, tmp_path, "desk.db", "export", "tickets", "--format", "csv", "-o", "t.csv") == 0
    assert _cli(monkeypatch, tmp_path, "desk.db", "export", "工单", "--period", "7d", "--lang", "en",
                "-o", "t.xlsx") == 0
    data = (tmp_path / "t.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")   # UTF-8 with BOM: Excel reads the Chinese
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert header[:3] == ["编号", "提交时间", "状态"] and row[0] == "1" and row[2] == "等待志愿者"
    assert row[header.index("求助内容")] == '\'=HYPERLINK("http://evil.example","水管爆了")'
    assert row[header.index("求助人")] == "'@王"
    ws = load_workbook(tmp_path / "t.xlsx").active
    assert [c.value for c in ws[1]][:3] == ["No.", "Reported", "Status"] and ws.freeze_panes == "A2"
    assert len(header) == ws.max_column
    cell = ws.cell(2, header.index("求助内容") + 1)
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://evil.example","水管爆了")'
    assert isinstance(ws.cell(2, 2).value, datetime)


@pytest.mark.parametrize("argv, words", [
    (("export", "shifts"), ("shifts", "tickets")),
    (("export", "tickets", "--period", "fortnight"), ("fortnight", "7d")),
])
def test_the_shell_names_a_wrong_kind_or_period_and_writes_nothing(monkeypatch, tmp_path, capsys, argv, words):
    assert _cli(monkeypatch, tmp_path, "desk.db", *argv) == 1
    err = capsys.readouterr().err
    assert all(word in err for word in words)
    assert list(tmp_path.glob("*.xlsx")) == []


def test_the_shell_import_reads_an_xlsx_and_names_bad_rows_by_excels_row(monkeypatch, tmp_path, capsys):
    path = tmp_path / "居民.xlsx"
    path.write_bytes(_xlsx([["花名册"], ["姓名", "电话", "楼号"], ["王秀兰", 13800001111, 5], ["李建国", "12ab", 5]]))
    assert _cli(monkeypatch, tmp_path, "desk.db", "import", "residents", str(path), language="en") == 1
    out = capsys.readouterr().out
    assert "Residents (XLSX): 1 added" in out and "line 4:" in out and "12ab" in out
