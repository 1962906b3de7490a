"""Announcements (/broadcast) over the emulator: the preview and its counts, Send / Cancel / Stop
and their stale or forged presses, photos, bad input, and a broadcast to 500 residents under
Telegram's real limits that an emergency overtakes, that counts the blocked, and that survives a
restart without sending anyone a second copy."""

from __future__ import annotations

import asyncio
import re

from bot.core import FloodControl
from storage import Database, residents
from tests.conftest import ADMIN, staffed_grid

HEADER_EN = "📢 Announcement from the residents' committee"
HEADER_ZH = "📢 居委会通知"


async def seed(frontdesk, count: int, *, first: int, grid: str = "G1", building: str = "5",
               lang: str = "en") -> list[int]:
    """Registered residents straight into the store (a chat registration each would take minutes)."""
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as tx:
        for chat_id in range(first, first + count):
            await residents.create(tx, {"telegram_id": chat_id, "name": f"R{chat_id}", "building": building,
                                        "grid": grid, "language": lang, "registered_at": now}, now)
    return list(range(first, first + count))


async def unreachable(frontdesk, *chat_ids: int) -> None:
    async with frontdesk.db.transaction() as tx:
        for chat_id in chat_ids:
            await tx.execute("INSERT INTO unreachable_chats (chat_id, since, reason) VALUES (?, 0, '403 blocked')",
                             (chat_id,))


async def fast(frontdesk, **overrides) -> None:
    """Progress every second (the shortest the setting allows) and runner steps 20 a second."""
    frontdesk.overrides.update({"broadcast_progress_seconds": 1.0, **overrides})
    await frontdesk.restart()
    frontdesk.services.broadcasts.step_seconds = 0.05


async def preview(admin, text: str):
    """The admin's command, the message as residents will see it, and the Send / Cancel message."""
    admin.send(text)
    shown = await admin.next_message(None)
    confirm = await admin.next_message("确定发送")
    return shown, confirm


def reach(confirm) -> tuple[int, int]:
    found = re.search(r"共 (\d+) 人(?:（另有 (\d+) 人联系不上)?", confirm.text)
    assert found, confirm.text
    return int(found[1]), int(found[2] or 0)


async def finished(frontdesk, broadcast_id: int = 1, timeout: float = 60.0) -> dict:
    """Until the broadcast is over (its summary queued), then until that is sent."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    status = "SELECT status FROM broadcasts WHERE id = ?"
    while await frontdesk.value(status, (broadcast_id,)) in ("preview", "sending"):
        assert loop.time() < deadline, "the broadcast did not finish"
        await asyncio.sleep(0.05)
    await frontdesk.drain()
    return (await frontdesk.rows("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,)))[0]


def ident(confirm) -> int:
    return int(confirm.button("bcsend").split(":")[1])


def got(emulator, chat_ids) -> list[int]:
    return [c for c in chat_ids if any(HEADER_EN in m.text or HEADER_ZH in m.text for m in emulator.chat(c))]


async def test_preview_counts_and_send_reaches_exactly_the_audience(frontdesk, emulator, admin):
    await fast(frontdesk)
    north = await seed(frontdesk, 3, first=200_000, grid="G1", building="5")
    south = await seed(frontdesk, 3, first=210_000, grid="G2", building="9", lang="zh")
    await unreachable(frontdesk, south[2])
    # a building, a grid (any case), everyone: the counts of who can be reached and who cannot
    for command, expected in (("/broadcast 9 x", (2, 1)), ("/broadcast g2 x", (2, 1)), ("/broadcast all x", (5, 1)),
                              ("/broadcast 5 x", (3, 0))):
        _, confirm = await preview(admin, command)
        assert reach(confirm) == expected, command
        admin.press(confirm, confirm.button("bccancel"))
        await frontdesk.drain()

    text = "Water is off tomorrow 9:00-12:00.\nFill a bucket <tonight> & keep the taps closed."
    shown, confirm = await preview(admin, f"/broadcast G2 {text}")
    # the preview is the message itself, in the admin's language, the text exactly as typed
    assert shown.text == f"{HEADER_ZH}\n\n{text}"
    assert reach(confirm) == (2, 1) and "网格 G2" in confirm.text
    assert not got(emulator, north + south)           # nothing before Send
    query = admin.press(confirm, confirm.button("bcsend"))
    assert "正在发给 2 人" in (await admin.answer_to(query))["text"]
    row = await finished(frontdesk, ident(confirm))
    assert row["status"] == "done" and row["skipped"] == 1
    assert got(emulator, north + south) == south[:2]  # the grid's reachable residents, nobody else
    message = emulator.chat(south[0])[0]
    assert message.text == f"{HEADER_ZH}\n\n{text}"   # their language's header, the admin's words as typed
    assert [e["type"] for e in message.entities] == ["bold"]   # only the header: "<tonight>" is text
    summary = await admin.next_message("发完了")
    assert "已发送：2 人" in summary.text and "联系不上（屏蔽了机器人或已注销）：1 人" in summary.text
    assert "发送失败：0 人" in summary.text and "用时" in summary.text
    # the Send / Cancel message became the final progress, without buttons
    progress = next(m for m in admin.messages() if m.message_id == confirm.message_id)
    assert "发送完毕" in progress.text and not progress.buttons and progress.edits


async def test_each_resident_reads_the_header_in_their_own_language(frontdesk, emulator, admin):
    await fast(frontdesk)
    english = await seed(frontdesk, 1, first=220_000, lang="en")
    chinese = await seed(frontdesk, 1, first=221_000, lang="zh")
    _, confirm = await preview(admin, "/broadcast all 明天停水 / No water tomorrow")
    admin.press(confirm, confirm.button("bcsend"))
    await finished(frontdesk)
    assert emulator.chat(english[0])[0].text == f"{HEADER_EN}\n\n明天停水 / No water tomorrow"
    assert emulator.chat(chinese[0])[0].text == f"{HEADER_ZH}\n\n明天停水 / No water tomorrow"


async def test_cancel_sends_nothing_and_stale_or_forged_presses_are_answered_kindly(frontdesk, emulator, admin):
    await fast(frontdesk)
    people = await seed(frontdesk, 3, first=230_000)
    _, confirm = await preview(admin, "/broadcast all Meeting at 7")
    query = admin.press(confirm, confirm.button("bccancel"))
    assert "已取消" in (await admin.answer_to(query))["text"]
    await frontdesk.drain()
    edited = next(m for m in admin.messages() if m.message_id == confirm.message_id)
    assert "没有发出" in edited.text and not edited.buttons
    # Send on the cancelled preview (a stale button): told, nothing sent
    query = admin.press(confirm, "bcsend:1")
    answer = await admin.answer_to(query)
    assert "取消" in answer["text"] and answer.get("show_alert")
    # a broadcast that does not exist, and a resident forging the admin's button
    assert "找不到" in (await admin.answer_to(admin.press(confirm, "bcsend:999")))["text"]
    resident = emulator.user(people[0], "R", "en")
    assert "committee staff" in (await resident.answer_to(resident.press(confirm, "bcsend:1")))["text"]
    await frontdesk.drain()
    assert not got(emulator, people)
    assert await frontdesk.value("SELECT status FROM broadcasts WHERE id = 1") == "cancelled"


async def test_pressing_send_twice_sends_once(frontdesk, emulator, admin):
    await fast(frontdesk)
    people = await seed(frontdesk, 20, first=240_000)
    _, confirm = await preview(admin, "/broadcast all Once only")
    first, second = admin.press(confirm, "bcsend:1"), admin.press(confirm, "bcsend:1")
    assert "20" in (await admin.answer_to(first))["text"]
    assert "正在发送" in (await admin.answer_to(second))["text"]
    assert "正在发送" in (await admin.answer_to(admin.press(confirm, "bccancel:1")))["text"]   # too late to cancel
    await finished(frontdesk)
    assert got(emulator, people) == people
    assert all(len(emulator.chat(c)) == 1 for c in people) and emulator.duplicates == 0
    # and after it is done, another press says so
    assert "已经发过" in (await admin.answer_to(admin.press(confirm, "bcsend:1")))["text"]


async def test_bad_input_gets_a_clear_answer_and_sends_nothing(frontdesk, emulator, admin):
    await fast(frontdesk)
    people = await seed(frontdesk, 2, first=250_000, lang="zh")
    cases = [
        ("/broadcast", "用法"),
        ("/broadcast all", "没有内容"),
        ("/broadcast all    \n  ", "没有内容"),
        ("/broadcast G9 hello", "没有找到“G9”"),                 # names the word, and lists the grids
        ("/broadcast all " + "水" * 5000, "通知太长了"),
    ]
    for command, answer in cases:
        admin.send(command)
        reply = await admin.next_message(answer)
        assert "确定发送" not in reply.text
    unknown = [m for m in admin.messages() if "G9" in m.text][0]
    assert "G1" in unknown.text
    too_long = [m for m in admin.messages() if "通知太长了" in m.text][0]
    header = len(f"{HEADER_EN}\n\n".encode("utf-16-le")) // 2            # the longer header: 📢 is two units
    assert "4096" in too_long.text and f"{5000 + header} " in too_long.text
    # a grid with nobody registered
    async with frontdesk.db.transaction() as tx:
        await residents.set_building_grid(tx, "12", "G7")
    admin.send("/broadcast G7 hello")
    await admin.next_message("没有可以发送的人")
    resident = emulator.user(people[0], "R", "zh")
    resident.send("/broadcast all hello")
    await resident.next_message("只有社区工作人员")
    await frontdesk.drain()
    assert await frontdesk.value("SELECT count(*) FROM broadcasts") == 0
    assert not got(emulator, people)


async def test_the_limit_is_counted_as_telegram_counts_it(frontdesk, emulator, admin):
    """Emoji are two UTF-16 units: a text that just fits with the longest header is accepted and
    Telegram (the emulator refuses past 4,096) takes it; one unit more is refused."""
    await fast(frontdesk)
    people = await seed(frontdesk, 1, first=260_000, lang="en")
    room = 4096 - len(f"{HEADER_EN}\n\n".encode("utf-16-le")) // 2
    admin.send("/broadcast all " + "🙂" * (room // 2) + "x" * (room % 2 + 1))
    await admin.next_message("通知太长了")
    admin.send("/broadcast all " + "🙂" * (room // 2) + "x" * (room % 2))
    await admin.next_message(None)
    confirm = await admin.next_message("确定发送")
    admin.press(confirm, "bcsend:1")
    row = await finished(frontdesk)
    assert row["status"] == "done" and got(emulator, people) == people


async def test_a_photo_is_broadcast_with_its_caption_and_the_same_file(frontdesk, emulator, admin):
    await fast(frontdesk)
    people = await seed(frontdesk, 3, first=270_000, lang="en")
    admin.send_media("photo", caption="/broadcast all The new notice board\nby the gate")
    shown = await admin.next_message(None)
    assert shown.kind == "photo" and shown.text == f"{HEADER_ZH}\n\nThe new notice board\nby the gate"
    confirm = await admin.next_message("确定发送")
    assert reach(confirm) == (3, 0)
    admin.press(confirm, "bcsend:1")
    await finished(frontdesk)
    for chat_id in people:
        [photo] = emulator.chat(chat_id)
        assert photo.kind == "photo" and photo.text == f"{HEADER_EN}\n\nThe new notice board\nby the gate"
    file_ids = await frontdesk.rows("SELECT DISTINCT file_id FROM outbox WHERE purpose = 'broadcast'")
    assert len(file_ids) == 1 and file_ids[0]["file_id"].startswith(f"photo-{ADMIN}-")
    # a caption over 1,024 is refused
    admin.send_media("photo", caption="/broadcast all " + "x" * 1000)
    assert "1024" in (await admin.next_message("通知太长了")).text


async def test_500_under_telegrams_limits_with_an_emergency_overtaking_and_the_blocked_counted(
        frontdesk, emulator, admin):
    await fast(frontdesk, broadcast_batch=100)
    zhang, resident = await staffed_grid(emulator, admin)
    people = await seed(frontdesk, 500, first=300_000)
    blocked = people[::50]                   # ten who blocked the bot since they registered
    emulator.blocked.update(blocked)
    frontdesk.services.outbox.flood = FloodControl()   # Telegram's real limits, not the harness's roomy ones
    emulator.enforce_limits = True
    _, confirm = await preview(admin, "/broadcast all The lift in building 5 is serviced on Monday")
    assert reach(confirm) == (501, 0)         # the 500 and Li, registered in the chat
    admin.press(confirm, "bcsend:1")
    await emulator.wait_for(lambda: len(got(emulator, people)) >= 100, 30, "a fifth of the broadcast")
    resident.send("Fire in the kitchen, smoke everywhere!")
    alert = await zhang.next_message("#1", timeout=15)
    delivered_by_then = len(got(emulator, people))
    assert "EMERGENCY" in alert.text and delivered_by_then < 450, delivered_by_then   # it went first
    row = await finished(frontdesk, timeout=90)
    assert row["status"] == "done"
    assert sorted(got(emulator, people)) == sorted(set(people) - set(blocked))
    counts = {r["status"]: r["n"] for r in await frontdesk.rows(
        "SELECT status, count(*) AS n FROM outbox WHERE purpose = 'broadcast' GROUP BY status")}
    assert counts == {"sent": 491, "unreachable": 10}
    assert emulator.throttled == 0 and emulator.duplicates == 0
    summary = await admin.next_message("发完了")
    assert "已发送：491 人" in summary.text and "联系不上（屏蔽了机器人或已注销）：10 人" in summary.text
    progress = next(m for m in admin.messages() if m.message_id == confirm.message_id)
    assert len(progress.edits) >= 3            # live progress along the way, with the time left
    assert any("⏳ 还剩" in e and "大约" in e for e in progress.edits), progress.edits
    # within the per-chat limits: the emulator answers 429 past them and none came (above)


async def test_a_restart_in_the_middle_goes_on_and_nobody_gets_it_twice(frontdesk, emulator, admin):
    await fast(frontdesk, broadcast_batch=20)
    people = await seed(frontdesk, 200, first=400_000)
    _, confirm = await preview(admin, "/broadcast all Survives a restart")
    admin.press(confirm, "bcsend:1")
    await emulator.wait_for(lambda: len(got(emulator, people)) >= 30, 20, "some of the broadcast")
    await frontdesk.stop()
    partway = len(got(emulator, people))
    assert partway < 200
    # as if it crashed after queuing and before the cursor moved: every batch is queued again
    db = await Database(str(frontdesk.db_path)).open()
    try:
        async with db.transaction() as tx:
            await tx.execute("UPDATE broadcasts SET cursor = 0, queued_all = 0 WHERE id = 1")
    finally:
        await db.close()
    await frontdesk.start()
    frontdesk.services.broadcasts.step_seconds = 0.05
    row = await finished(frontdesk)
    assert row["status"] == "done"
    assert sorted(got(emulator, people)) == people
    # nobody twice, but for a send whose outcome was unknown (a time-out on a loaded machine): the
    # outbox counts those, and they are the only way a second copy can happen
    unknown = await frontdesk.value("SELECT coalesce(sum(unknown_outcomes), 0) FROM outbox WHERE purpose = 'broadcast'")
    assert emulator.duplicates <= unknown
    assert sum(len(emulator.chat(c)) - 1 for c in people) <= unknown
    assert "已发送：200 人" in (await admin.next_message("发完了")).text


async def test_stop_cancels_what_is_not_sent_yet(frontdesk, emulator, admin):
    await fast(frontdesk, broadcast_batch=20)
    people = await seed(frontdesk, 200, first=500_000)
    frontdesk.services.outbox.flood = FloodControl()   # 30 a second: time to press Stop
    _, confirm = await preview(admin, "/broadcast all Stop me")
    admin.press(confirm, "bcsend:1")
    await emulator.wait_for(lambda: len(got(emulator, people)) >= 10, 20, "the start of the broadcast")
    progress = await emulator.wait_for(
        lambda: next((m for m in admin.messages() if m.message_id == confirm.message_id and m.buttons), None),
        10, "the Stop button")
    query = admin.press(progress, progress.button("bcstop"))
    assert "已停止" in (await admin.answer_to(query))["text"]
    await finished(frontdesk)
    summary = await admin.next_message("已停止发送")
    sent = len(got(emulator, people))
    assert 10 <= sent < 200
    assert f"已发送：{sent} 人" in summary.text and f"停止后未发出：{200 - sent} 人" in summary.text
    await asyncio.sleep(0.3)
    assert len(got(emulator, people)) == sent
    assert await frontdesk.value("SELECT status FROM broadcasts WHERE id = 1") == "stopped"


async def test_an_edited_command_is_not_a_second_announcement(frontdesk, emulator, admin):
    await fast(frontdesk)
    await seed(frontdesk, 2, first=600_000)
    command = admin.send("/broadcast all Meeting at 7")
    await admin.next_message("确定发送")
    admin.edit(command, "/broadcast all Meeting at 8")
    admin.send("/broadcast")                      # answered after the edit was handled
    await admin.next_message("用法")
    assert await frontdesk.value("SELECT count(*) FROM broadcasts") == 1
    assert not [m for m in admin.messages() if "Meeting at 8" in m.text]
