"""The escalation chain over the emulator with the FakeClock: a ticket nobody takes climbs its
policy's steps (and repeats), Can't go from everyone and nobody on duty move it on at once, a claim
stops it, a release restarts it, a restart or two racing ticks fire a step once, quiet hours hold
routine alerts only, and /escalation shows and changes the delays."""

from __future__ import annotations

import asyncio

from bot.clock import local_time
from bot.core import on_duty
from tests.conftest import ADMIN, GROUP, make_team, register

URGENT = "The pipe under my kitchen sink burst and water keeps spraying out"
ROUTINE = "The corridor light on my floor is out"
EMERGENCY = "There is a fire in the stairwell, lots of smoke!"


async def alerts_to(frontdesk, chat_id: int, ticket: int = 1) -> int:
    """How many alerts of a ticket reached a chat (an alert loses its buttons once answered)."""
    await frontdesk.drain()
    return await frontdesk.value("SELECT count(*) FROM outbox WHERE purpose = 'alert' AND ticket_id = ? "
                                 "AND chat_id = ? AND status = 'sent'", (ticket, chat_id))


def roster(frontdesk, *telegram_ids: int) -> None:
    """A roster where only these volunteers are on duty now (the rosters' seam: Alerts.on_call)."""
    alerts = frontdesk.services.alerts

    async def on_call(tx, grid, now, exclude=()):
        return [m for m in on_duty(await alerts.duty(tx, grid), now, exclude) if m.telegram_id in telegram_ids]

    alerts.on_call = on_call


async def make_leader(frontdesk, telegram_id: int) -> None:
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE memberships SET role = 'leader' WHERE volunteer_id = "
                         "(SELECT id FROM volunteers WHERE telegram_id = ?)", (telegram_id,))


async def later(frontdesk, seconds: float) -> None:
    """Time passes; the scheduler's tick runs; the outbox sends what it queued."""
    frontdesk.clock.advance(seconds)
    await frontdesk.services.tick()
    await frontdesk.drain()


async def cast(frontdesk, emulator, admin, group: bool = True):
    """Zhang and Liu on the team of G1 (Zhang on duty), Chen its leader (not on duty), a resident."""
    zhang, liu, chen = emulator.user(7001, "Zhang", "en"), emulator.user(7002, "Liu", "en"), \
        emulator.user(7003, "Chen", "en")
    await make_team(admin, [zhang, liu, chen])
    await make_leader(frontdesk, chen.id)
    if group:
        admin.send("/set_admin_group", chat_id=GROUP)
        await emulator.wait_for(lambda: emulator.chat(GROUP), 5, "the group's confirmation")
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    return zhang, liu, chen, resident


async def steps(frontdesk, ticket: int = 1) -> list[str]:
    rows = await frontdesk.rows("SELECT detail FROM ticket_events WHERE ticket_id = ? AND kind = 'alerted' "
                                "ORDER BY id", (ticket,))
    return [r["detail"] for r in rows]


async def test_an_urgent_ticket_climbs_every_step_and_repeats(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk, zhang.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await frontdesk.drain()
    assert await alerts_to(frontdesk, chen.id, 1) == 0 and await alerts_to(frontdesk, GROUP, 1) == 0

    await later(frontdesk, 14 * 60)                       # not yet
    assert await alerts_to(frontdesk, chen.id, 1) == 0
    await later(frontdesk, 60)                            # +15 min: the grid leader
    alert = await chen.next_message("#1")
    assert "step 2" in alert.text and alert.button("claim:1")
    assert await alerts_to(frontdesk, GROUP, 1) == 0 and await alerts_to(frontdesk, zhang.id, 1) == 1

    await later(frontdesk, 30 * 60)                       # +30 min: the admin group
    assert await alerts_to(frontdesk, GROUP, 1) == 1
    await later(frontdesk, 30 * 60)                       # then every 30 min until claimed
    await later(frontdesk, 0)                             # a tick with nothing due fires nothing
    assert await alerts_to(frontdesk, GROUP, 1) == 2
    assert await alerts_to(frontdesk, chen.id, 1) == 1 and await alerts_to(frontdesk, zhang.id, 1) == 1
    assert await alerts_to(frontdesk, liu.id, 1) == 0           # never on duty, not a leader
    assert await steps(frontdesk) == ["round 1 step 1 on_duty: Zhang", "round 1 step 2 leader: Chen",
                                      "round 1 step 3 admin_group: -", "round 1 step 4 admin_group: -"]

    admin.send("/ticket 1")                               # every step is in the ticket's history
    history = await admin.next_message("记录")
    assert "第1轮：Zhang（第1步：值班志愿者）" in history.text and "第1轮：Chen（第2步：网格负责人）" in history.text
    assert "第1轮（第3步：管理群）" in history.text


async def test_cant_go_from_everyone_moves_on_at_once(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin, group=False)
    roster(frontdesk, zhang.id, liu.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    first, second = await zhang.next_message("#1"), await liu.next_message("#1")
    await zhang.answer_to(zhang.press(first, "decline:1"))
    await frontdesk.drain()
    assert await alerts_to(frontdesk, chen.id, 1) == 0          # Liu may still go
    liu.press(second, "decline:1")
    alert = await chen.next_message("#1")                 # no clock moved: the leader at once
    assert "step 2" in alert.text and "can't go" in alert.text
    gap = await admin.next_message("去不了")               # the admins hear of the gap, once
    assert "#1" in gap.text and "Chen" in gap.text
    await later(frontdesk, 0)
    assert sum("去不了" in m.text and "#1" in m.text for m in emulator.chat(ADMIN)) == 1
    assert await frontdesk.value("SELECT escalation_step FROM tickets WHERE id = 1") == 2
    # the next step comes on its own time after that: the admins' alert 30 min later
    await later(frontdesk, 30 * 60)
    assert await alerts_to(frontdesk, ADMIN, 1) == 1
    # who said they can't go is not asked again by a later step, nor by the repeats
    await later(frontdesk, 30 * 60)
    assert await alerts_to(frontdesk, zhang.id, 1) == 1 and await alerts_to(frontdesk, liu.id, 1) == 1


async def test_nobody_on_duty_goes_to_the_next_step_and_the_admins_hear_of_the_gap(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin, group=False)
    roster(frontdesk)                                     # nobody on duty now
    resident.send(URGENT)
    await resident.next_message("#1")
    alert = await chen.next_message("#1")                 # the leader at once
    assert "Nobody is on duty" in alert.text
    gap = await admin.next_message("没有值班志愿者")
    assert "#1" in gap.text and "第 2 步" in gap.text
    await later(frontdesk, 60)
    await frontdesk.drain()
    assert sum("没有值班志愿者" in m.text for m in emulator.chat(ADMIN)) == 1
    assert await alerts_to(frontdesk, zhang.id, 1) == 0 and await alerts_to(frontdesk, ADMIN, 1) == 0
    gaps = await frontdesk.rows("SELECT detail FROM ticket_events WHERE kind = 'escalation_gap'")
    assert gaps == [{"detail": "step 1: nobody_on_duty"}]


async def test_an_emergency_reaches_the_admins_two_minutes_later_then_all_of_them(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk, zhang.id)
    resident.send(EMERGENCY)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await chen.next_message("#1")                         # on duty and the leader, at once
    await frontdesk.drain()
    assert await alerts_to(frontdesk, GROUP, 1) == 0 and await alerts_to(frontdesk, ADMIN, 1) == 0
    await later(frontdesk, 120)                           # +2 min: the whole grid and the admin group
    await liu.next_message("#1")
    assert await alerts_to(frontdesk, GROUP, 1) == 1
    assert await alerts_to(frontdesk, zhang.id, 1) == 1     # still holds the first alert: not twice
    await later(frontdesk, 300)                           # +5 min: all admins, each privately
    assert await alerts_to(frontdesk, ADMIN, 1) == 1
    await later(frontdesk, 300)                           # every 5 min until claimed
    assert await alerts_to(frontdesk, ADMIN, 1) == 2


async def test_a_claim_stops_the_chain_and_a_release_restarts_it(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk, zhang.id, liu.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await liu.next_message("#1")
    alert = await zhang.next_message("#1")
    await later(frontdesk, 15 * 60)
    await chen.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    await later(frontdesk, 3 * 3600)                      # claimed: nothing more climbs
    assert await alerts_to(frontdesk, GROUP, 1) == 0 and len(await steps(frontdesk)) == 2

    zhang.press(details, "release:1")                     # back to the pool: step 1 again, round 2
    again = await liu.next_message("#1")
    assert "alert 2" in again.text
    await later(frontdesk, 15 * 60)
    assert await alerts_to(frontdesk, chen.id, 1) == 2      # the leader's step of round 2
    await later(frontdesk, 30 * 60)
    assert await alerts_to(frontdesk, GROUP, 1) == 1
    assert await alerts_to(frontdesk, zhang.id, 1) == 1     # who released it is left out of the new chain
    assert (await steps(frontdesk))[2:] == ["round 2 step 1 on_duty: Liu", "round 2 step 2 leader: Chen",
                                            "round 2 step 3 admin_group: -"]


async def test_a_restart_between_two_steps_fires_the_step_once(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk, zhang.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await frontdesk.drain()
    await frontdesk.restart()                             # the process dies between step 1 and step 2
    roster(frontdesk, zhang.id)
    frontdesk.clock.advance(20 * 60)                      # ... and was down when step 2 fell due
    await frontdesk.services.tick()                       # the first tick after start catches up
    await frontdesk.services.tick()
    await frontdesk.drain()
    await chen.next_message("#1")
    assert await alerts_to(frontdesk, chen.id, 1) == 1      # once, not twice, not never
    assert [s.split(":")[0] for s in await steps(frontdesk)] == ["round 1 step 1 on_duty", "round 1 step 2 leader"]
    # the next step is counted from when step 2 fired
    due = await frontdesk.value("SELECT next_action_at FROM tickets WHERE id = 1")
    assert due == frontdesk.clock.now() - 60 + 30 * 60 or due == frontdesk.clock.now() + 30 * 60


async def test_two_ticks_racing_fire_a_step_once(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk, zhang.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    frontdesk.clock.advance(15 * 60)
    escalation = frontdesk.services.escalation
    fired = await asyncio.gather(escalation.tick(), escalation.tick(), escalation.tick())
    assert sum(fired) == 1
    await frontdesk.drain()
    assert await alerts_to(frontdesk, chen.id, 1) == 1
    assert await frontdesk.value("SELECT count(*) FROM ticket_events WHERE kind = 'alerted'") == 2


async def test_quiet_hours_hold_a_routine_alert_until_seven_but_not_an_urgent_one(frontdesk, emulator, admin):
    frontdesk.overrides["alert_quiet_hours"] = "22:00-07:00"
    await frontdesk.restart()                             # the clock reads 22:13 in Asia/Shanghai
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send(ROUTINE)
    await resident.next_message("#1")
    resident.send(URGENT)
    await resident.next_message("#2")
    await zhang.next_message("#2")                        # urgent: at once, whatever the hour
    await later(frontdesk, 3600)
    assert await alerts_to(frontdesk, zhang.id, 1) == 0         # routine: held
    held = await frontdesk.value("SELECT detail FROM ticket_events WHERE ticket_id = 1 AND kind = 'alert_held'")
    assert held.endswith("07:00")
    seven = await frontdesk.value("SELECT next_action_at FROM tickets WHERE id = 1")
    assert local_time(seven, "Asia/Shanghai").endswith("07:00")
    await later(frontdesk, seven - 60 - frontdesk.clock.now())   # 06:59
    assert await alerts_to(frontdesk, zhang.id, 1) == 0
    await later(frontdesk, 60)                            # 07:00
    await zhang.next_message("#1")
    assert await steps(frontdesk) == ["round 1 step 1 on_duty: Zhang"]
    # its later steps keep out of the night too: the leader's (+4 h) at 11:00 is not held
    assert await frontdesk.value("SELECT next_action_at FROM tickets WHERE id = 1") == seven + 4 * 3600


async def test_escalation_command_shows_changes_and_refuses_bad_input(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    admin.send("/escalation")
    shown = await admin.next_message("逐级通知")
    for words in ("尽快处理（urgent）", "15分钟后：网格负责人", "之后每30分钟再通知一次", "2分钟后：网格全体志愿者、管理群",
                  "不通知任何人"):
        assert words in shown.text, words
    for bad, says in (("/escalation urgent 0m,5m", "是零"), ("/escalation soon 1m,2m", "「soon」不是紧急程度"),
                      ("/escalation urgent 87600h,1m", "太长"), ("/escalation urgent 15m", "需要 2 个间隔"),
                      ("/escalation urgent 15,30", "「15」不是时间间隔"), ("/escalation urgent -5m,1m", "「-5m」"),
                      ("/escalation info 1m", "咨询"), ("/escalation urgent 5m,5m repeat", "用法"),
                      ("/escalation urgent", "用法")):
        admin.send(bad)
        answer = await admin.next_message("没有做任何修改")
        assert says in answer.text, (bad, answer.text)
    assert await frontdesk.value("SELECT count(*) FROM settings WHERE key LIKE 'escalation:%'") == 0
    zhang.send("/escalation urgent 1m,1m")
    await zhang.next_message("Only committee staff")
    assert await frontdesk.value("SELECT count(*) FROM settings WHERE key LIKE 'escalation:%'") == 0

    admin.send("/escalation urgent 10m,20m repeat 1h")
    saved = await admin.next_message("已保存")
    assert "10分钟后：网格负责人" in saved.text and "之后每1小时再通知一次" in saved.text
    roster(frontdesk, zhang.id)
    resident.send(URGENT)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await later(frontdesk, 10 * 60)                       # the new delay, not the default 15 min
    await chen.next_message("#1")
    await frontdesk.restart()                             # stored in the database
    admin.send("/escalation")
    assert "10分钟后：网格负责人" in (await admin.next_message("逐级通知")).text


async def test_a_deadline_under_a_minute_gets_a_precise_job(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    admin.send("/escalation emergency 30s,5m")
    await admin.next_message("已保存")
    asked: list[float] = []
    frontdesk.services.escalation.schedule = asked.append
    resident.send(EMERGENCY)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    assert asked == [30.0]                                # the tick (60 s) would be late for a 30 s step
    frontdesk.clock.advance(30)
    assert await frontdesk.services.escalation.tick() == 1  # what the job runs: step 2 now


async def test_the_job_queue_gets_one_precise_job_per_deadline(frontdesk, emulator, admin):
    """The real wiring (bot/app.py): a step 30 s away is a one-off JobQueue job; asking twice for
    the same deadline makes one job, not two."""
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    admin.send("/escalation emergency 30s,5m")
    await admin.next_message("已保存")
    resident.send(EMERGENCY)
    await resident.next_message("#1")
    await zhang.next_message("#1")
    await frontdesk.services.tick()                       # the tick asks for the same deadline again
    jobs = frontdesk.application.job_queue.get_jobs_by_name("escalation")
    assert len(jobs) == 1


async def test_an_unreachable_step_moves_on_at_once(frontdesk, emulator, admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin, group=False)
    roster(frontdesk, zhang.id)
    emulator.blocked.add(zhang.id)                        # the only one on duty blocked the bot
    resident.send(URGENT)
    await resident.next_message("#1")
    alert = await chen.next_message("#1")                 # the 403 moves the chain on: the leader, now
    assert "step 2" in alert.text
    gap = await admin.next_message("谁都联系不上")
    assert "#1" in gap.text
    assert await frontdesk.value("SELECT escalation_step FROM tickets WHERE id = 1") == 2


async def test_an_emergency_with_nobody_on_duty_reaches_the_leader_and_the_next_step_at_once(frontdesk, emulator,
                                                                                            admin):
    zhang, liu, chen, resident = await cast(frontdesk, emulator, admin)
    roster(frontdesk)                                     # nobody on duty: the leader alone is not enough
    resident.send(EMERGENCY)
    await resident.next_message("#1")
    await chen.next_message("#1")                         # step 1's leader
    await zhang.next_message("#1")                        # step 2 at once: every volunteer of the grid...
    await liu.next_message("#1")
    group = await emulator.wait_for(lambda: next((m for m in emulator.chat(GROUP) if "#1" in m.text), None), 5,
                                    "the admin group's alert")   # ... and the admin group, told why
    assert "没有值班志愿者" in group.text and group.button("claim:1")
    assert await alerts_to(frontdesk, chen.id) == 1      # the leader holds step 1's alert: not twice
    assert await frontdesk.value("SELECT escalation_step FROM tickets WHERE id = 1") == 2
