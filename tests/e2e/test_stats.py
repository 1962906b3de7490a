"""Issue #12, statistics as pictures: /stats for admins (the whole community) and grid leaders (their
grids), its words and refusals, and the weekly report the tick sends to the admin group once a week.

A known history is written straight into the tickets table (storage.stats.seed_tickets), so the
figures the bot says can be checked against numbers worked out by hand here."""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from matplotlib import image

from storage import stats as stats_repo
from tests.conftest import ADMIN, GROUP, make_team, on_postgres, register
from tests.e2e.test_leaders_see_their_grids import make_leader

TZ = ZoneInfo("Asia/Shanghai")
MIN, HOUR, DAY = 60.0, 3600.0, 86400.0
COMMENT = "Thank you Zhang Wei! Call me on 13800001111, flat 3-1-502, Li Xiuying"


def ticket(at: float, urgency: str, category: str, grid: str, *, claim: float | None = None,
           resolve: float | None = None, rating: int | None = None, comment: str | None = None, step: int = 1,
           claimed_by: int | None = None) -> dict:
    return {"status": "closed" if resolve else "claimed" if claim else "open", "urgency": urgency, "category": category,
            "lang": "en", "text": "seeded", "grid": grid, "reporter_chat_id": 5999, "reporter_name": "Li Xiuying",
            "claimed_by": claimed_by if claim else None, "claimed_at": at + claim if claim else None,
            "resolved_at": at + resolve if resolve else None, "rating": rating, "rating_comment": comment,
            "escalation_step": step, "created_at": at, "updated_at": at}


def week_of(now: float, claimed_by: int | None = None) -> list[dict]:
    """Seven requests in the six days before `now` and one 20 days before: worked out by hand,
    the last 7 days hold 7 requests: emergency 1, urgent 2, routine 3, info 1; G1 4, G2 3; water 3;
    claim medians emergency 2 min, urgent 40 min, routine 20 min; 2 of the 6 with a chain passed
    step 1; ratings 5, 4, 2 (3.7)."""
    day = now - 2 * DAY
    return [
        ticket(day, "routine", "water", "G1", claim=10 * MIN, resolve=2 * HOUR, rating=5, comment=COMMENT,
               claimed_by=claimed_by),
        ticket(day + HOUR, "routine", "water", "G1", claim=20 * MIN, resolve=2 * HOUR, rating=4, claimed_by=claimed_by),
        ticket(day - DAY, "routine", "water", "G1", claim=30 * MIN, resolve=3 * HOUR, rating=2,
               comment="Nobody came for hours", claimed_by=claimed_by),
        ticket(day - 3 * DAY, "emergency", "medical", "G1", claim=2 * MIN, resolve=HOUR, claimed_by=claimed_by),
        ticket(day - 4 * DAY, "urgent", "lift", "G2", claim=40 * MIN, step=2),
        ticket(day - 4 * DAY + HOUR, "urgent", "lift", "G2", step=3),
        ticket(day, "info", "admin", "G2", step=0),
        ticket(now - 20 * DAY, "urgent", "gas", "G1", claim=5 * MIN, rating=1, comment="old news"),
    ]


async def seed(frontdesk, rows: list[dict]) -> None:
    async with frontdesk.db.transaction() as tx:
        await stats_repo.seed_tickets(tx, rows)


async def two_teams(emulator, admin):
    """Zhang (leader of north, G1) and Wang (south, G2)."""
    zhang, wang = emulator.user(7001, "Zhang Wei", "en"), emulator.user(7003, "Wang Fang", "zh")
    await make_team(admin, [zhang], "north", "G1")
    await make_team(admin, [wang], "south", "G2")
    return zhang, wang


async def photo_in(emulator, chat_id: int):
    found = await emulator.wait_for(lambda: [m for m in emulator.chat(chat_id) if m.kind == "photo"], 10,
                                    f"a chart in {chat_id}")
    return found[0]


def check_png(data: bytes) -> None:
    """A real PNG of a sensible size, wide enough for a phone held sideways, with bars on it."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert 20_000 <= len(data) <= 1_000_000, len(data)
    pixels = image.imread(io.BytesIO(data), format="png")
    height, width = pixels.shape[:2]
    assert width >= 800 and height >= 600
    # the first category's colour (water, #0072B2) fills a bar: not a blank frame
    rgb = (pixels[:, :, :3] * 255).round()
    water = ((abs(rgb[:, :, 0] - 0x00) < 3) & (abs(rgb[:, :, 1] - 0x72) < 3) & (abs(rgb[:, :, 2] - 0xB2) < 3)).sum()
    assert water > 2000, water


async def test_an_admin_sees_the_whole_community_in_figures_and_a_chart(frontdesk, emulator, admin):
    zhang, _ = await two_teams(emulator, admin)
    zhang_id = await frontdesk.value("SELECT id FROM volunteers WHERE telegram_id = ?", (zhang.id,))
    await seed(frontdesk, week_of(frontdesk.clock.now(), claimed_by=zhang_id))
    admin.send("/stats")
    summary = await admin.next_message("统计")
    text = summary.text
    assert "共 7 件" in text
    assert "紧急 1 · 尽快处理 2 · 一般 3 · 咨询/留言 1" in text
    assert "用水 3" in text and "电梯 2" in text and "G1 4 · G2 3" in text
    assert "紧急 2分钟 · 尽快处理 40分钟 · 一般 20分钟" in text        # medians of the claimed ones
    assert "6 件中 2 件（33%）" in text                                # past step 1, of those with a chain
    assert "平均 3.7 ⭐，共 3 个评分" in text
    assert "Nobody came for hours" in text and "old news" not in text   # the period's comments only
    # names, the phone and the flat never reach the summary, even in a private chat
    assert "Thank you" in text and "13800001111" not in text and "3-1-502" not in text
    assert "Zhang" not in text and "Li Xiuying" not in text and "Xiuying" not in text
    chart = await admin.next_message("求助统计")
    assert chart.kind == "photo" and chart.filename == "stats-7d.png"
    check_png(chart.file)

    admin.send("/stats 30d")                                             # 30 days: the old one too
    month = await admin.next_message("共 8 件")
    assert "燃气 1" in month.text and "平均 3.0 ⭐，共 4 个评分" in month.text


async def test_in_english_in_either_order_and_in_the_admin_group(frontdesk, emulator, admin):
    await seed(frontdesk, week_of(frontdesk.clock.now()))
    english = emulator.user(9002, "Ann", "en")
    frontdesk.services.settings.admin_ids = frozenset({ADMIN, english.id})  # a second admin, in English
    english.send("/stats G2 7d")
    summary = await english.next_message("Statistics")
    assert "grid G2" in summary.text and "Requests: 3" in summary.text
    assert "EMERGENCY" not in summary.text and "urgent 2 · information 1" in summary.text
    assert "Passed on past the first step (nobody claimed in time): 2 of 2 (100%)" in summary.text
    chart = await english.next_message("Requests")
    assert chart.kind == "photo" and "grid G2" in chart.text
    check_png(chart.file)

    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")
    admin.send("/stats", chat_id=GROUP)
    said = await emulator.wait_for(lambda: [m for m in emulator.chat(GROUP) if "共 7 件" in m.text], 5, "figures")
    assert "13800001111" not in said[0].text and "Li Xiuying" not in said[0].text and "3-1-502" not in said[0].text
    check_png((await photo_in(emulator, GROUP)).file)

    english.send("/stats", chat_id=-100777)                              # another group: residents may read it
    await english.next_message("Statistics")                             # the figures come privately
    assert (await english.next_message("Requests")).kind == "photo"
    told = await emulator.wait_for(lambda: emulator.chat(-100777), 5, "the other group's note")
    assert "Requests" not in told[0].text and "Statistics" not in told[0].text


async def test_a_grid_leader_sees_their_grids_and_others_are_refused_kindly(frontdesk, emulator, admin):
    zhang, wang = await two_teams(emulator, admin)
    await make_leader(frontdesk, zhang.id)
    await seed(frontdesk, week_of(frontdesk.clock.now()))

    zhang.send("/stats")
    mine = await zhang.next_message("Statistics")
    assert "grid G1" in mine.text and "Requests: 4" in mine.text and "lift" not in mine.text
    assert (await zhang.next_message("Requests")).kind == "photo"
    zhang.send("/stats 30d G1")
    assert "Requests: 5" in (await zhang.next_message("Statistics")).text

    zhang.send("/stats G2")                                              # another team's grid
    refused = await zhang.next_message("G2")
    assert "not one of yours (G1)" in refused.text and "Requests" not in refused.text

    wang.send("/stats")                                                  # a volunteer, not a leader
    assert "社区工作人员和网格长" in (await wang.next_message()).text
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("/stats")
    assert "for the committee and the grid leaders" in (await resident.next_message("Statistics")).text
    await frontdesk.drain()
    assert not [m for m in resident.messages() if m.kind == "photo"]


async def test_words_it_does_not_understand_and_an_empty_period(frontdesk, emulator, admin):
    await seed(frontdesk, week_of(frontdesk.clock.now()))
    for words in ("/stats 99x", "/stats 7d 30d", "/stats all", "/stats 2031-01"):
        admin.send(words)
        answer = await admin.next_message("看不懂")
        assert f"“{words.split()[-1]}”" in answer.text and "G1、G2" in answer.text

    admin.send("/stats 2026-01")                                         # nothing then
    empty = await admin.next_message("统计 2026-01-01 – 2026-01-31")
    assert "这段时间没有求助" in empty.text and "共" not in empty.text
    await frontdesk.services.stats.charts_drawn()
    await frontdesk.drain()
    assert not [m for m in admin.messages() if m.kind == "photo"]          # no broken chart
    assert await frontdesk.value("SELECT count(*) FROM tickets") == 8    # and nothing changed


def local(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, TZ)


async def test_the_weekly_report_goes_to_the_admin_group_once_even_across_a_restart(frontdesk, emulator, admin):
    services = frontdesk.services
    zhang, wang = await two_teams(emulator, admin)
    admin.send("/set_admin_group", chat_id=GROUP)
    await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")
    now = frontdesk.clock.now()                                          # Monday 2026-09-21 22:13
    assert local(now).weekday() == 0
    await services.tick()                                                # plans next Monday 09:00
    due = await frontdesk.value("SELECT next_due_at FROM report_schedule WHERE name = 'weekly'")
    assert local(due) == datetime(2026, 9, 28, 9, 0, tzinfo=TZ)

    zhang_id = await frontdesk.value("SELECT id FROM volunteers WHERE telegram_id = ?", (zhang.id,))
    # the week the report covers: Monday 21st to Sunday 27th (the history is written six days on:
    # all seven requests of week_of fall in it, the one "20 days before" does not)
    await seed(frontdesk, week_of(now + 6 * DAY, claimed_by=zhang_id))
    frontdesk.clock.advance(due - now - 60)                              # a minute early: nothing
    await services.tick()
    await frontdesk.drain()
    assert not [m for m in emulator.chat(GROUP) if "每周简报" in m.text]

    frontdesk.clock.advance(90)
    await services.tick()
    report = await emulator.wait_for(lambda: [m for m in emulator.chat(GROUP) if "每周简报" in m.text], 5, "the report")
    text = report[0].text
    assert "2026-09-21 – 2026-09-27" in text
    assert "共 7 件" in text and "G1 4 · G2 3" in text
    assert "接单最多：Zhang Wei 4 件" in text
    lowest = text[text.index("评分最低"):]
    assert lowest.index("⭐⭐ ") < lowest.index("⭐⭐⭐⭐") and "Nobody came for hours" in lowest
    assert "13800001111" not in text and "Li Xiuying" not in text
    check_png((await photo_in(emulator, GROUP)).file)

    await services.tick()                                                # the same minute again
    await frontdesk.restart()                                            # and after a restart
    await frontdesk.services.tick()
    await frontdesk.drain()
    assert len([m for m in emulator.chat(GROUP) if "每周简报" in m.text]) == 1
    assert len([m for m in emulator.chat(GROUP) if m.kind == "photo"]) == 1
    next_due = await frontdesk.value("SELECT next_due_at FROM report_schedule WHERE name = 'weekly'")
    assert local(next_due) == datetime(2026, 10, 5, 9, 0, tzinfo=TZ)

    frontdesk.clock.advance(7 * DAY)                                     # a week on: the next one
    await frontdesk.services.tick()
    later = await emulator.wait_for(lambda: [m for m in emulator.chat(GROUP) if "每周简报 2026-09-28" in m.text], 5,
                                    "the next week's report")
    assert "这段时间没有求助" in later[0].text


@pytest.mark.skipif(on_postgres, reason="SQLite's EXPLAIN QUERY PLAN (PostgreSQL plans by its own statistics)")
async def test_the_summary_reads_indexes_not_the_whole_table(frontdesk):
    now = frontdesk.clock.now()
    await seed(frontdesk, [row for n in range(50) for row in week_of(now - n * DAY)])
    async with frontdesk.db.transaction() as tx:
        for grids in (None, ["G1"]):
            plans = await stats_repo.query_plans(tx, now - 30 * DAY, now, grids)
            for name, plan in plans.items():
                assert "INDEX" in plan and "SCAN tickets" not in plan and "SCAN t " not in plan, (name, plan)


async def test_the_check_in_answer_rate_counts_the_questions_whose_outcome_is_known(frontdesk, emulator, admin):
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as tx:
        for rid, grid in ((1, "G1"), (2, "G2")):
            await tx.execute("INSERT INTO residents (id, name, grid, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
                             (rid, f"R{rid}", grid, now, now))
        # G1: answered, help, late, and one never answered (a ticket); still waiting and away do not count
        for n, (rid, state) in enumerate([(1, "answered"), (1, "help"), (1, "late"), (1, "ticket"), (1, "waiting"),
                                          (1, "away"), (2, "answered"), (2, "emergency")]):
            await tx.execute(
                "INSERT INTO checkins (resident_id, slot, day, state, due_at, created_at, updated_at) "
                "VALUES (?, ?, 'd', ?, ?, ?, ?)", (rid, f"slot {n}", state, now - DAY - n * HOUR, now, now))
    await seed(frontdesk, week_of(now))
    admin.send("/stats")
    assert "平安打卡回复率：67%（6 次中回复 4 次）" in (await admin.next_message("统计")).text
    admin.send("/stats G1")
    assert "平安打卡回复率：75%（4 次中回复 3 次）" in (await admin.next_message("网格 G1")).text


async def test_a_chart_being_drawn_holds_up_no_other_chat(frontdesk, emulator, admin, monkeypatch):
    """The drawing runs in a worker thread after the figures are committed: here it is held until
    another person has written and been answered."""
    import threading

    from bot.delivery import charts

    drawn, release = charts.draw, threading.Event()

    def slow_draw(summary, labels):
        assert release.wait(10), "never released"
        return drawn(summary, labels)

    monkeypatch.setattr(charts, "draw", slow_draw)
    await seed(frontdesk, week_of(frontdesk.clock.now()))
    admin.send("/stats")
    await admin.next_message("共 7 件")                                  # the figures first
    other = emulator.user(5003, "Zhou", "en")
    other.send("/help")                                                  # someone else, while the chart waits
    assert "/status" in (await other.next_message()).text
    assert not [m for m in admin.messages() if m.kind == "photo"]
    release.set()
    assert (await admin.next_message("求助统计")).kind == "photo"
