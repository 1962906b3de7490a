"""Issue #10, the desk: /elderly (who is at risk today, by grid, in pages), the family's daily
"all well today" (/allwell), and a resident asking for other check-in times (/checkin 08:30)."""

from __future__ import annotations

import re

from tests.e2e.test_checkins import FAMILY, at, cast, checkins, until  # noqa: F401 (cast is a fixture)


async def add_residents(frontdesk, count: int, grid: str, first_id: int = 100) -> None:
    """`count` residents (not on Telegram) on a 09:00 plan in `grid`."""
    now = frontdesk.clock.now()
    async with frontdesk.db.transaction() as tx:
        for i in range(first_id, first_id + count):
            await tx.execute("INSERT INTO residents (id, name, phone, grid, lives_alone, created_at, updated_at) "
                             "VALUES (?, ?, ?, ?, 1, ?, ?)", (i, f"Resident {i}", f"1390000{i:04d}", grid, now, now))
            await tx.execute("INSERT INTO checkin_plans (resident_id, times, created_at, updated_at, next_due_at) "
                             "VALUES (?, '09:00', ?, ?, ?)", (i, now, now, now + 86400 * 30))


def lines(message) -> int:
    """How many people a page of the list shows."""
    return sum(1 for line in message.text.splitlines() if re.match(r"\d+\. ", line))


async def make_leader(frontdesk, telegram_id: int) -> None:
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE memberships SET role = 'leader' WHERE volunteer_id = "
                         "(SELECT id FROM volunteers WHERE telegram_id = ?)", (telegram_id,))


# -- /elderly -----------------------------------------------------------------------------------------

async def test_elderly_lists_by_risk_for_admins(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await add_residents(frontdesk, 2, "G2")
    await until(frontdesk, at(22, 9, 0) + 5)
    await until(frontdesk, at(22, 11, 5))
    await li.next_message("not heard from you")         # Li has been reminded: the most at risk
    admin.send("/elderly")
    listing = await admin.next_message("平安打卡")
    lines = listing.text.splitlines()
    li_line = next(i for i, line in enumerate(lines) if "Li Xiuying" in line)
    assert li_line < next(i for i, line in enumerate(lines) if "Resident 100" in line)
    assert "已提醒" in lines[li_line] and "G1" in lines[li_line]
    assert "今天不用" in listing.text and "G2" in listing.text
    assert "13800001111" not in listing.text and "1390000" not in listing.text   # names and grids only
    assert listing.buttons == []                                                 # one page
    admin.send("/elderly G2")
    only = await admin.next_message("平安打卡")
    assert "Resident 101" in only.text and "Li Xiuying" not in only.text


async def test_elderly_yesterday_answered_streak_and_misses(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await until(frontdesk, at(22, 9, 0) + 5)
    question = await li.next_message("checking in")
    li.press(question, question.button("ckok:"))
    await emulator.wait_for(lambda: "Thank you" in question.text, 5, "the thanks")
    admin.send("/elderly")
    listing = await admin.next_message("平安打卡")
    line = next(line for line in listing.text.splitlines() if "Li Xiuying" in line)
    assert "已回复" in line and "2026-09-22 09:0" in line and "连续1天" in line and "漏0次" in line


async def test_elderly_pages_and_who_may_see(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    await add_residents(frontdesk, 24, "G1")
    admin.send("/elderly")
    first = await admin.next_message("1/2")
    assert [label for label, _ in first.buttons] == ["▶"]
    assert lines(first) == 20
    admin.press(first, first.button("elderly:1:"))
    await emulator.wait_for(lambda: "2/2" in first.text, 5, "page 2")
    assert lines(first) == 5 and [label for label, _ in first.buttons] == ["◀"]
    # a volunteer who leads no team may not see the list, nor turn its pages with a forged press
    zhang.send("/elderly")
    await zhang.next_message("Only the committee and grid leaders")
    query = zhang.press(first, "elderly:0:*")
    assert "not allowed" in (await zhang.answer_to(query))["text"]
    await make_leader(frontdesk, zhang.id)
    await add_residents(frontdesk, 1, "G2", first_id=300)
    zhang.send("/elderly")
    mine = await zhang.next_message("Check-ins")
    assert "waiting" not in mine.text and "not due today" in mine.text and "1/2" in mine.text
    assert "Resident 300" not in mine.text
    zhang.send("/elderly G2")                                # a grid the leader's team does not cover
    await zhang.next_message("Only the committee and grid leaders")
    query = zhang.press(mine, "elderly:0:G2")
    assert "not allowed" in (await zhang.answer_to(query))["text"]


# -- /allwell -----------------------------------------------------------------------------------------

async def answer(li, emulator) -> None:
    question = await li.next_message("checking in")
    li.press(question, question.button("ckok:"))
    await emulator.wait_for(lambda: "Thank you" in question.text, 5, "the thanks")


async def test_allwell_once_a_day_after_the_last_checkin(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    admin.send("/checkin add Li Xiuying 09:00,18:00 daily")
    await admin.next_message("Li Xiuying")
    family.send("/allwell on")
    await family.next_message("every day")
    await until(frontdesk, at(22, 9, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(22, 12, 0))
    assert not [m for m in family.messages() if "answered today" in m.text]   # 18:00 is still to come
    await until(frontdesk, at(22, 18, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(22, 18, 10))
    await until(frontdesk, at(22, 20, 0))
    well = [m for m in family.messages() if "answered today" in m.text]
    assert len(well) == 1 and "Li Xiuying" in well[0].text
    family.send("/allwell off")
    await family.next_message("no longer")
    await until(frontdesk, at(23, 9, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(23, 18, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(23, 20, 0))
    assert len([m for m in family.messages() if "answered today" in m.text]) == 1


async def test_allwell_in_chinese_and_only_for_family(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE users SET language = 'zh' WHERE telegram_id = ?", (FAMILY,))
    family.send("/allwell 开")
    await family.next_message("每天")
    await until(frontdesk, at(22, 9, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(22, 9, 30))
    await frontdesk.restart()
    await until(frontdesk, at(22, 10, 0))
    assert len([m for m in family.messages() if "今天回复了" in m.text]) == 1
    zhang.send("/allwell on")
    await zhang.next_message("family contact")
    family.send("/allwell maybe")
    await family.next_message("/allwell 开")


async def test_allwell_answered_in_quiet_hours_waits_for_the_morning(frontdesk, emulator, admin, cast):
    """A last check-in at 21:30 answered at 22:10: the family hears at 07:00, not in the night."""
    zhang, li, family = cast
    admin.send("/checkin add Li Xiuying 09:00,21:30 daily")
    await admin.next_message("Li Xiuying")
    family.send("/allwell on")
    await family.next_message("every day")
    await until(frontdesk, at(22, 9, 0) + 5)
    await answer(li, emulator)
    await until(frontdesk, at(22, 21, 30) + 5)
    await until(frontdesk, at(22, 22, 10))
    await answer(li, emulator)
    await until(frontdesk, at(22, 23, 0))
    await until(frontdesk, at(23, 6, 55))
    assert not [m for m in family.messages() if "answered" in m.text]
    await until(frontdesk, at(23, 7, 0) + 5)
    well = [m for m in family.messages() if "answered" in m.text]
    assert len(well) == 1 and "check-in of 2026-09-22: all well that day" in well[0].text
    family2 = emulator.user(6002, "Hua", "en")       # a contact who opts in today hears nothing of yesterday
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE residents SET emergency_contact_telegram_id = ?", (family2.id,))
    family2.send("/allwell on")
    await family2.next_message("every day")
    await until(frontdesk, at(23, 8, 0))
    assert not [m for m in family2.messages() if "answered" in m.text]


# -- /checkin 08:30 from the resident ---------------------------------------------------------------------

async def test_resident_asks_for_new_times_and_an_admin_approves(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    li.send("/checkin 08:30")
    await li.next_message("asked the committee")
    ask = await admin.next_message("08:30")
    assert "Li Xiuying" in ask.text and "09:00" in ask.text
    assert [label for label, _ in ask.buttons] == ["✅ 同意", "❌ 不同意"]
    query = zhang.press(ask, ask.button("ckreqok:"))          # only admins decide
    assert "Only committee staff" in (await zhang.answer_to(query))["text"]
    admin.press(ask, ask.button("ckreqok:"))
    await li.next_message("now 08:30")
    await emulator.wait_for(lambda: "已同意" in ask.text, 5, "the request to say approved")
    assert ask.buttons == []
    plan = (await frontdesk.rows("SELECT * FROM checkin_plans"))[0]
    assert plan["times"] == "08:30"
    query = admin.press(ask, "ckreqno:1")                      # a stale press
    assert "已经处理" in (await admin.answer_to(query))["text"]
    await until(frontdesk, at(22, 8, 30) + 5)
    await li.next_message("checking in")
    li.send("/checkin 10:00, 19:00")
    await li.next_message("asked the committee")
    ask = await admin.next_message("10:00,19:00")
    admin.press(ask, ask.button("ckreqno:"))
    await li.next_message("stay at 08:30")
    assert (await frontdesk.rows("SELECT times FROM checkin_plans"))[0]["times"] == "08:30"


async def test_time_request_bad_input(frontdesk, emulator, admin, cast):
    zhang, li, family = cast
    li.send("/checkin 23:30")
    await li.next_message("quiet hours")
    li.send("/checkin 25:00")
    await li.next_message("/checkin 08:30")
    zhang.send("/checkin 08:30")                               # not a resident
    await zhang.next_message("not registered as a resident")
    admin.send("/checkin remove Li Xiuying")
    await admin.next_message("Li Xiuying")
    li.send("/checkin 08:30")
    await li.next_message("no check-in plan")
    assert await frontdesk.rows("SELECT * FROM checkin_requests") == []
