"""The export tables and their writers (pure): headers, dates, widths, and people's words that must
never become formulas; and the reader of an XLSX the committee sends."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

import pytest
from openpyxl import Workbook, load_workbook

from bot.core import sheets

WORDS = sheets.Words(
    headers={"tickets": {"id": "编号", "created_at": "提交时间", "text": "求助内容", "status": "状态"}},
    titles={"tickets": "求助工单"},
    values={"status": {"open": "等待志愿者"}},
)
# 2026-11-30 08:00 in Shanghai (UTC+8) is 00:00 UTC
AT = datetime(2026, 11, 30, 0, 0).timestamp() - (datetime(1970, 1, 1).timestamp())
EVIL = ('=HYPERLINK("http://evil.example","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1", "\r=1")


def _ticket(**values):
    return {"id": 1, "created_at": AT, "status": "open", "urgency": "urgent", "category": "water", "grid": "G1",
            "text": "厨房水管爆了", **values}


def test_a_table_has_the_readers_headers_and_words_and_local_wall_clock_dates():
    sheet = sheets.build("tickets", [_ticket()], WORDS, "Asia/Shanghai")
    assert sheet.headers[:3] == ["编号", "提交时间", "状态"]
    assert sheet.headers[3] == "urgency"            # a header the words do not have shows its key
    row = sheet.rows[0]
    assert row[0] == 1 and row[1] == datetime(2026, 11, 30, 8, 0) and row[1].tzinfo is None
    assert row[2] == "等待志愿者" and row[3] == "urgent"  # a code without a word stays as written


def test_the_xlsx_has_a_bold_frozen_header_sized_columns_and_real_dates():
    sheet = sheets.build("tickets", [_ticket(text="厨房水管爆了，快来人" * 3)], WORDS, "Asia/Shanghai")
    ws = load_workbook(io.BytesIO(sheets.to_xlsx(sheet))).active
    assert ws.title == "求助工单" and ws.freeze_panes == "A2"
    assert [c.value for c in ws[1]][:3] == ["编号", "提交时间", "状态"] and all(c.font.b for c in ws[1])
    created = ws["B2"]
    assert isinstance(created.value, datetime) and created.value == datetime(2026, 11, 30, 8, 0)
    assert created.number_format == sheets.DATE_FORMAT and created.is_date
    assert ws["A2"].value == 1 and ws["A2"].data_type == "n"
    text_column = sheet.headers.index("求助内容") + 1
    width = ws.column_dimensions[ws.cell(1, text_column).column_letter].width
    assert 40 <= width <= sheets.MOST_WIDTH   # wide for thirty Chinese characters, never wider than the cap
    assert ws.column_dimensions["A"].width < 12


@pytest.mark.parametrize("evil", EVIL)
def test_peoples_words_that_look_like_a_formula_stay_text_in_xlsx(evil):
    sheet = sheets.build("tickets", [_ticket(text=evil, reporter_name=evil)], WORDS, "Asia/Shanghai")
    ws = load_workbook(io.BytesIO(sheets.to_xlsx(sheet))).active
    keys = [column.key for column in sheets.COLUMNS["tickets"]]
    for key in ("text", "reporter_name"):
        cell = ws.cell(2, keys.index(key) + 1)
        # a carriage return is written as a line break (XML would read a bare one so anyway)
        assert cell.data_type == "s" and cell.value == evil.replace("\r", "\n")


@pytest.mark.parametrize("evil", EVIL)
def test_peoples_words_that_look_like_a_formula_get_an_apostrophe_in_csv(evil):
    sheet = sheets.build("tickets", [_ticket(text=evil, reporter_phone="+8613800001111")], WORDS, "Asia/Shanghai")
    data = sheets.to_csv(sheet)
    assert data.startswith("\ufeff".encode())
    header, row = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert row[header.index("求助内容")] == "'" + evil
    assert row[header.index("reporter_phone")] == "+8613800001111"   # our own E.164, not people's words
    assert row[header.index("提交时间")] == "2026-11-30 08:00"


def test_plain_words_are_left_alone_in_csv():
    assert sheets.guard_csv("水管爆了 -- 快来") == "水管爆了 -- 快来"
    assert sheets.guard_csv("-") == "'-"


def test_characters_xml_cannot_hold_are_replaced_rather_than_failing_the_export():
    sheet = sheets.build("tickets", [_ticket(text="bell\x07 and null\x00")], WORDS, "Asia/Shanghai")
    ws = load_workbook(io.BytesIO(sheets.to_xlsx(sheet))).active
    assert ws.cell(2, sheet.headers.index("求助内容") + 1).value == "bell  and null "


def test_kinds_are_named_in_either_language():
    assert sheets.kind_of("工单") == "tickets" and sheets.kind_of("Residents") == "residents"
    assert sheets.kind_of("志愿者") == "volunteers" and sheets.kind_of("评价") == "ratings"
    assert sheets.kind_of("shifts") is None and sheets.kind_of("排班", sheets.IMPORT_KINDS) == "shifts"
    assert sheets.kind_of("tickets", sheets.IMPORT_KINDS) is None and sheets.kind_of("") is None


def _xlsx(rows, merge: str | None = None) -> bytes:
    book = Workbook()
    ws = book.active
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_xlsx_reads_as_the_clerk_sees_it_with_excels_row_numbers():
    data = _xlsx([["花名册"], [], ["姓名", "手机号", "出生年份", "打卡"], ["王秀兰", 13800001111, 1938.0, time(9, 0)],
                  ["李", None, datetime(1940, 5, 1), "09:00;18:00"]], merge="A1:D1")
    book = sheets.read_xlsx(data)
    assert book.rows[0] == (1, ["花名册"]) and book.rows[1] == (2, [])
    assert book.rows[3] == (4, ["王秀兰", "13800001111", "1938", "09:00"])
    assert book.rows[4] == (5, ["李", "", "1940-05-01", "09:00;18:00"])
    assert book.merged == [(1, 1, "A1:D1")]


@pytest.mark.parametrize("data, reason", [
    (b"PK\x03\x04 a zip that is not one", "bad_workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old xls", "workbook"),
    (_xlsx([]), "empty"),
])
def test_what_is_not_a_readable_sheet_says_why(data, reason):
    with pytest.raises(sheets.SheetError) as caught:
        sheets.read_xlsx(data)
    assert caught.value.reason == reason


def test_a_workbook_that_unpacks_into_too_much_is_refused_before_it_is_read(monkeypatch):
    data = _xlsx([["姓名", "楼号"]] + [["王秀兰", 5]] * 200)
    monkeypatch.setattr(sheets, "MOST_UNPACKED", 5_000)
    with pytest.raises(sheets.SheetError) as caught:
        sheets.read_xlsx(data)
    assert caught.value.reason == "too_big" and "unpacked" in caught.value.params["size"]
