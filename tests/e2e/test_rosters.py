"""Issue #9, rosters: who is on duty, over the emulator with the fake clock.

The fake clock starts on Monday 2026-09-21 at 22:13 in Asia/Shanghai. The cast: the team north
covers G1 with Zhang (days, 08:00-20:00), Li Na (nights, 20:00-08:00) and Wang (no shift);
the team south (Sun) covers G2 and has no shifts. The resident lives in G1. The admin reads Chinese.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import make_team, register

TZ = ZoneInfo("Asia/Shanghai")
URGENT = "The pipe under my kitchen sink burst and water keeps spraying out"


def at(day: int, hour: int, minute: int = 0) -> float:
    return datetime(2026, 9, day, hour, minute, tzinfo=TZ).timestamp()


async def until(frontdesk, ts: float) -> None:
    frontdesk.clock.advance(ts - frontdesk.clock.now())
    await frontdesk.services.tick()
    await frontdesk.drain()


def got(user, text: str) -> list:
    return [m for m in user.messages() if text in m.text]


async def ask(frontdesk, user, command: str, expect: str):
    user.send(command)
    reply = await user.next_message(expect)
    await frontdesk.drain()
    return reply


async def count(frontdesk) -> tuple[int, int, int]:
    return (await frontdesk.value("SELECT count(*) FROM shifts"),
            await frontdesk.value("SELECT count(*) FROM duty_overrides"),
            await frontdesk.value("SELECT count(*) FROM shift_swaps"))


@pytest.fixture
async def cast(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    li = emulator.user(7002, "Li Na", "en")
    wang = emulator.user(7003, "Wang", "en")
    sun = emulator.user(7004, "Sun", "en")
    await make_team(admin, [zhang, li, wang], "north", "G1")
    await make_team(admin, [sun], "south", "G2")
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    await ask(frontdesk, admin, "/shift add north mon-sun 08:00-20:00 Zhang", "已添加班次")
    await ask(frontdesk, admin, "/shift add north daily 20:00-08:00 Li Na", "已添加班次")
    return zhang, li, wang, sun, resident


async def request(frontdesk, resident, number: int) -> None:
    resident.send(URGENT)
    await resident.next_message(f"#{number}")
    await frontdesk.drain()


async def test_shift_add_and_list(frontdesk, emulator, admin, cast):
    listing = await ask(frontdesk, admin, "/shift list", "班次（2 个）")
    assert "#1 north：daily 08:00–20:00 · Zhang" in listing.text
    assert "#2 north：daily 20:00–08:00（跨夜） · Li Na" in listing.text
    await ask(frontdesk, admin, "/shift add north 周一-周五 07:00 - 09:00 Zhang, Wang", "mon-fri 07:00–09:00 · Zhang、Wang")
    await ask(frontdesk, admin, "/shift list south", "south还没有排班")
    removed = await ask(frontdesk, admin, "/shift remove 3", "已删除班次")
    assert "#3" in removed.text
    assert await frontdesk.value("SELECT count(*) FROM shift_volunteers WHERE shift_id = 3") == 0


async def test_an_alert_at_nine_goes_only_to_the_day_shift(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(22, 9))
    await request(frontdesk, resident, 1)
    await zhang.next_message("#1")
    assert got(li, "#1") == [] and got(wang, "#1") == []
    events = await frontdesk.rows("SELECT detail FROM ticket_events WHERE ticket_id = 1 AND kind = 'alerted'")
    assert events[0]["detail"] == "round 1 step 1 on_duty: Zhang"


async def test_the_overnight_shift_across_midnight(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(22, 3))   # Tuesday 03:00: Monday's night shift
    await request(frontdesk, resident, 1)
    await li.next_message("#1")
    assert got(zhang, "#1") == [] and got(wang, "#1") == []


async def test_a_team_without_shifts_is_always_on_duty(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(22, 3))
    async with frontdesk.db.transaction() as tx:
        members = await frontdesk.services.alerts.on_call(tx, "G2", frontdesk.clock.now())
    assert [m.name for m in members] == ["Sun"]


async def test_duty_off_then_on(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(21, 23))
    await ask(frontdesk, li, "/duty off", "off duty until you say /duty on")
    await request(frontdesk, resident, 1)
    alert = await admin.next_message("#1")                      # nobody on duty: the committee
    assert "没有值班志愿者" in alert.text
    assert got(li, "#1") == []
    await ask(frontdesk, li, "/duty", "You are off duty")
    await ask(frontdesk, li, "/duty on", "You are back")
    await until(frontdesk, at(21, 23, 30))
    async with frontdesk.db.transaction() as tx:
        assert [m.name for m in await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now())] == ["Li Na"]
    await ask(frontdesk, li, "/duty on", "You were not off duty")


async def test_duty_off_for_two_hours_ends_by_itself(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(21, 23))
    await ask(frontdesk, li, "/duty off 2h", "off duty until Tue 09-22 01:00")
    await until(frontdesk, at(22, 0, 59))
    await request(frontdesk, resident, 1)
    assert got(li, "#1") == []
    await until(frontdesk, at(22, 1, 0))
    async with frontdesk.db.transaction() as tx:
        assert [m.name for m in await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now())] == ["Li Na"]


async def test_cover_puts_someone_on_duty_until_a_time(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(21, 23))
    await ask(frontdesk, li, "/duty off", "off duty")
    covered = await ask(frontdesk, admin, "/cover G1 Wang until 23:30", "Wang 在网格 G1 值班到")
    assert "23:30" in covered.text
    await wang.next_message("put you on duty for grid G1")
    await request(frontdesk, resident, 1)
    await wang.next_message("#1")
    assert got(li, "#1") == [] and got(zhang, "#1") == []
    await until(frontdesk, at(21, 23, 30))
    async with frontdesk.db.transaction() as tx:
        assert await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now()) == []


async def test_swap_accepted_then_the_roster_follows(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    asked = await ask(frontdesk, zhang, "/swap 2026-09-22 Li Na", "Asked Li Na")
    assert "Tue 09-22 08:00" in asked.text
    request_ = await li.next_message("asks you to take their shift")
    assert [label for label, _ in request_.buttons] == ["✅ Accept", "❌ Decline"]
    forged = resident.press(request_, request_.button("swapok:"))          # somebody else's press
    assert "not for you" in (await resident.answer_to(forged))["text"]
    query = li.press(request_, request_.button("swapok:"))
    assert "You took the shift" in (await li.answer_to(query))["text"]
    await zhang.next_message("Li Na takes your shift")
    await emulator.wait_for(lambda: "you took it" in request_.text, 5, "the request to say it was taken")
    assert request_.buttons == []
    again = li.press(request_, "swapok:1")                                   # stale: already answered
    assert "already accepted" in (await li.answer_to(again))["text"]
    made_up = li.press(request_, "swapno:999")                              # forged data
    assert "no longer exists" in (await li.answer_to(made_up))["text"]
    await until(frontdesk, at(22, 8) + 30)                                   # the shift-start message follows too
    await li.next_message("Your shift starts: north, 08:00–20:00")
    assert got(zhang, "Your shift starts") == []
    await until(frontdesk, at(22, 9))
    await request(frontdesk, resident, 1)
    await li.next_message("#1")
    assert got(zhang, "#1") == []
    await until(frontdesk, at(23, 9))                                        # only that one day
    async with frontdesk.db.transaction() as tx:
        assert [m.name for m in await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now())] == ["Zhang"]


async def test_swap_declined_keeps_the_shift(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await ask(frontdesk, zhang, "/swap 周二 Wang", "Asked Wang")             # the next Tuesday: tomorrow
    request_ = await wang.next_message("asks you to take their shift")
    query = wang.press(request_, request_.button("swapno:"))
    assert "Declined" in (await wang.answer_to(query))["text"]
    await zhang.next_message("Wang cannot take your shift")
    assert await frontdesk.value("SELECT status FROM shift_swaps") == "declined"
    await until(frontdesk, at(22, 9))
    await request(frontdesk, resident, 1)
    await zhang.next_message("#1")
    assert got(wang, "#1") == []


async def test_swap_button_after_the_shift_started_is_stale(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await ask(frontdesk, zhang, "/swap tomorrow Wang", "Asked Wang")
    request_ = await wang.next_message("asks you to take their shift")
    await until(frontdesk, at(22, 8, 5))
    query = wang.press(request_, request_.button("swapok:"))
    assert "already started" in (await wang.answer_to(query))["text"]
    assert await frontdesk.value("SELECT status FROM shift_swaps") == "pending"


async def test_oncall_now_and_next_per_grid(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    mine = await ask(frontdesk, zhang, "/oncall", "Grid G1")
    assert "Now: Li Na" in mine.text and "Next, Tue 09-22 08:00: Zhang" in mine.text
    assert "G2" not in mine.text                                     # not a grid of Zhang's team
    everything = await ask(frontdesk, admin, "/oncall", "网格 G1")
    assert "网格 G2" in everything.text and "Sun（未排班，全天值班）" in everything.text
    one = await ask(frontdesk, admin, "/oncall G2", "网格 G2")
    assert "G1" not in one.text
    await ask(frontdesk, zhang, "/oncall G2", "not a grid of your team")
    await ask(frontdesk, resident, "/oncall", "for volunteers of a team")


BAD = [
    ("admin", "/shift add north mon-funday 08:00-20:00 Zhang", "“mon-funday”不是日子"),
    ("admin", "/shift add north mon-fri 25:00-08:00 Zhang", "“25:00-08:00”不是时段"),
    ("admin", "/shift add north mon-fri 08:00-08:00 Zhang", "开始和结束是同一时间"),
    ("admin", "/shift add nowhere mon-fri 08:00-20:00 Zhang", "没有叫“nowhere”的队伍"),
    ("admin", "/shift add north mon-fri 08:00-20:00 Nobody", "没有找到志愿者“Nobody”"),
    ("admin", "/shift add north mon-fri 08:00-20:00 Sun", "“Sun”不是north的队员"),
    ("admin", "/shift add north", "/shift add 队名"),
    ("admin", "/shift remove 99", "没有编号为“99”的班次"),
    ("zhang", "/shift add north mon-fri 08:00-20:00 Zhang", None),
    ("resident", "/duty off", "Only volunteers of a team"),
    ("li", "/duty off soon", "\"soon\" is not a time"),
    ("li", "/duty off 90d", "at most 30 days ahead"),
    ("admin", "/cover G1 Wang until 0m", "“0m”不是时间"),
    ("admin", "/cover G1 Wang until 8d", "最多 7 天"),
    ("li", "/duty sideways", "/duty off 2h"),
    ("admin", "/cover G9 Wang until 18:00", "没有网格“G9”"),
    ("admin", "/cover G1 Nobody until 18:00", "没有找到志愿者“Nobody”"),
    ("admin", "/cover G1 Wang until 25:99", "“25:99”不是时间"),
    ("admin", "/cover G1 Wang", "/cover 网格"),
    ("zhang", "/cover G1 Wang until 18:00", None),
    ("zhang", "/swap 2026-13-45 Li Na", "\"2026-13-45\" is not a date"),
    ("zhang", "/swap tomorrow Sun", "\"Sun\" is not on the team north"),
    ("zhang", "/swap tomorrow Zhang", "cannot swap a shift with yourself"),
    ("zhang", "/swap tomorrow Nobody", "No volunteer is \"Nobody\""),
    ("wang", "/swap tomorrow Zhang", "no shift starting on 2026-09-22"),
    ("resident", "/swap tomorrow Zhang", "Only volunteers of a team"),
    ("zhang", "/swap tomorrow", "/swap DATE WHO"),
]


async def test_every_bad_input_is_named_and_changes_nothing(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    people = {"admin": admin, "zhang": zhang, "li": li, "wang": wang, "resident": resident}
    before = await count(frontdesk)
    for who, command, answer in BAD:
        user = people[who]
        user.send(command)
        if answer is None:   # not an admin: the usual refusal
            reply = await user.next_message("Only committee staff")
        else:
            reply = await user.next_message(answer)
        assert "Nothing changed" in reply.text or "没有改动" in reply.text or answer is None or "/" in answer, command
        await frontdesk.drain()
    assert await count(frontdesk) == before


async def test_import_shifts_with_bad_rows(frontdesk, emulator, admin, cast, tmp_path):
    from bot.services import import_shifts

    path = tmp_path / "shifts.csv"
    path.write_text(
        "队伍,日子,开始时间,结束时间,值班志愿者\n"
        "north,周一-周五,07:00,09:00,\"Zhang,Wang\"\n"         # line 2: fine
        "north,someday,07:00,09:00,Zhang\n"                   # line 3: bad days
        "north,daily,07:00,07:00,Zhang\n"                     # line 4: same times
        "nowhere,daily,07:00,09:00,Zhang\n"                   # line 5: unknown team
        "north,daily,07:00,09:00,Sun\n"                       # line 6: not on the team
        "north,daily,25:00,09:00,Zhang\n"                     # line 7: bad time
        "north,daily,,09:00,Zhang\n"                          # line 8: empty start
        "north,mon-sun,08:00,20:00,Wang\n",                   # line 9: the same shift as #1: updated
        encoding="utf-8")
    report = await import_shifts(frontdesk.db, path, frontdesk.clock)
    assert (report.created, report.updated) == (1, 1)
    assert sorted(p.line for p in report.errors) == [3, 4, 5, 6, 7, 8]
    text = frontdesk.services.renderer.text("zh", "import_report", report=report)
    assert "班次导入" in text and "新增 1 个，更新 1 个" in text
    assert "第 3 行：“日子”不是日子：someday" in text
    assert "第 5 行：没有“nowhere”这个队伍" in text
    assert "第 6 行：“Sun”不是north的队员" in text
    assert "第 7 行：开始和结束不是钟点：25:00-09:00" in text
    assert "第 8 行：「开始时间」是空的" in text
    english = frontdesk.services.renderer.text("en", "import_report", report=report)
    assert "line 4: the shift starts and ends at the same time: 07:00-07:00" in english
    listing = await ask(frontdesk, admin, "/shift list north", "班次（3 个）")
    assert "#1 north：daily 08:00–20:00 · Wang" in listing.text      # re-imported: its volunteers replaced
    assert "mon-fri 07:00–09:00 · Zhang、Wang" in listing.text


async def test_the_shift_start_message_once_even_after_restarts(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await until(frontdesk, at(21, 22, 20))
    await request(frontdesk, resident, 1)                     # Li Na on the night shift gets it; nobody claims
    await li.next_message("#1")
    await ask(frontdesk, admin, "/shift add north daily 23:00-07:00 Wang", "已添加班次")
    await frontdesk.restart()                                 # down before the shift starts...
    await until(frontdesk, at(21, 23, 10))                    # ...and back after: still sent
    start = await wang.next_message("Your shift starts")
    assert "north, 23:00–07:00" in start.text and "#1" in start.text and "water" in start.text
    await until(frontdesk, at(21, 23, 11))
    await frontdesk.restart()
    await until(frontdesk, at(21, 23, 12))
    assert len(got(wang, "Your shift starts")) == 1
    # Zhang's day shift at 08:00: nothing open is listed once the ticket is claimed
    alert = (got(li, "#1"))[0]
    li.press(alert, "claim:1")
    await li.next_message("is yours")
    await until(frontdesk, at(22, 8, 0, ) + 30)
    day = await zhang.next_message("Your shift starts")
    assert "No open requests" in day.text
    assert len(got(li, "Your shift starts")) == 0            # Li Na's night shift started before the bot looked


async def test_the_coverage_look_ahead_once_each_evening(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await ask(frontdesk, admin, "/shift remove 2", "已删除班次")   # nights uncovered now
    await until(frontdesk, at(21, 22, 30))                        # after 20:00: today's report
    report = await admin.next_message("未来 24 小时值班情况")
    assert "网格 G1 无人值班：周一 22:30–周二 08:00（9.5 小时），周二 20:00–周二 22:30（2.5 小时）" in report.text
    assert "G2" not in report.text                                # south has no shifts: always on duty
    await until(frontdesk, at(21, 23))
    await frontdesk.restart()
    await until(frontdesk, at(22, 19, 59))
    assert len(got(admin, "未来 24 小时值班情况")) == 1
    await until(frontdesk, at(22, 20, 0) + 30)
    second = await admin.next_message("未来 24 小时值班情况")
    assert "周二 20:00–周三 08:00（12.0 小时）" in second.text
    await until(frontdesk, at(22, 21))
    assert len(got(admin, "未来 24 小时值班情况")) == 2


async def test_a_restart_keeps_shifts_overrides_and_swaps(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await ask(frontdesk, zhang, "/swap 2026-09-23 Wang", "Asked Wang")
    request_ = await wang.next_message("asks you to take their shift")
    await frontdesk.restart()
    wang.press(request_, request_.button("swapok:"))
    await zhang.next_message("Wang takes your shift")
    await ask(frontdesk, li, "/duty off until 12:00", "off duty until Tue 09-22 12:00")
    await frontdesk.restart()
    await until(frontdesk, at(22, 3))
    await request(frontdesk, resident, 1)
    assert "没有值班志愿者" in (await admin.next_message("#1")).text   # Li Na is off
    await until(frontdesk, at(23, 9))
    async with frontdesk.db.transaction() as tx:
        assert [m.name for m in await frontdesk.services.alerts.on_call(tx, "G1", frontdesk.clock.now())] == ["Wang"]
    await ask(frontdesk, admin, "/shift list", "班次（2 个）")


async def test_duty_words(frontdesk, emulator, admin, cast):
    zhang, li, wang, sun, resident = cast
    await ask(frontdesk, li, "/duty off until", "/duty off 2h")
    await ask(frontdesk, li, "/duty on now", "/duty off 2h")
    await ask(frontdesk, li, "/duty 休息 90m", "off duty until Mon 09-21 23:43")
    await ask(frontdesk, li, "/duty", "You are off duty until Mon 09-21 23:43")
    await ask(frontdesk, resident, "/duty sideways", "Only volunteers of a team")
    assert await frontdesk.value("SELECT count(*) FROM duty_overrides") == 1
