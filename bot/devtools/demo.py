"""`frontdesk demo`: the whole bot, offline, against the bundled Bot API emulator.

A resident registers and reports a burst pipe; a volunteer claims and resolves it; the
resident confirms and rates it. Then a stranger reports a fall, in English, without
registering. Then two check-in days in simulated time (the clock is the fake one the tests use):
one answered, one missed until it becomes a ticket, then answered late: the all clear. Then, after
the claim: the volunteer takes the stranger's emergency, says he is on the way, and goes quiet: a
reminder after 5 minutes, and after 5 more the request goes back to the pool. Then a roster: a day
and a night shift, a request at night for the night volunteer only, the evening coverage look-ahead,
the escalation chain's next step when nobody takes it, and the morning's shift-start message. The
transcript shows what each person sees.
"""

from __future__ import annotations

import logging
import re
import tempfile
import time
from pathlib import Path

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.app import Services, build_application, build_services, start, stop
from bot.clock import FakeClock
from bot.config import load_settings
from bot.core import FloodControl, Limits
from bot.devtools.emulator import TOKEN, ChatUser, Emulator

ADMIN, VOLUNTEER, RESIDENT, STRANGER, NIGHT, NEIGHBOUR = 9001, 7001, 5001, 5002, 7002, 5003


def _heading(text: str) -> None:
    print(f"\n=== {text} ===")


async def run_demo(verbose: bool = False) -> int:
    if verbose:
        logging.getLogger().setLevel(logging.INFO)
    emulator = Emulator()
    await emulator.start()
    emulator.on_transcript = print
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
            frontdesk_db=str(Path(tmp) / "demo.db"), admin_ids=frozenset({ADMIN}), default_language="zh",
            default_grid="G1",
        )
        clock = FakeClock(time.time())  # real time, until the check-in days move it on
        # Telegram's one message a second per chat would make a reader of the demo wait three
        # seconds between most lines; the pacing is shown by `python -m bench.wave`, not here
        roomy = FloodControl(Limits(overall=(1000, 1.0), private=(1000, 1.0), group=(1000, 1.0)))
        services = build_services(settings, clock, roomy, poll_interval=0.05)
        application = build_application(services)
        await start(application, poll_timeout=1)
        try:
            await _scenario(emulator)
            await _checkin_days(emulator, services, clock)
            await _after_the_claim(emulator, services, clock)
            await _roster(emulator, services, clock)
            await _committee_desk(emulator, services)
        finally:
            await stop(application)
    await emulator.stop()
    print("\nDemo finished: every message above went over HTTP through python-telegram-bot.")
    return 0


async def _scenario(emulator: Emulator) -> None:
    admin = emulator.user(ADMIN, "Wang", "zh")
    volunteer = emulator.user(VOLUNTEER, "Zhang Wei", "zh")
    resident = emulator.user(RESIDENT, "Li", "zh")
    stranger = emulator.user(STRANGER, "Tom", "en")

    _heading("An admin makes a team and an invite; a volunteer joins")
    admin.send("/invite 一队")
    invite = await admin.next_message("/join")
    code = re.search(r"/join (\w+)", invite.text).group(1)  # type: ignore[union-attr]
    admin.send("/team 一队 grids G1")
    await admin.next_message("G1")
    volunteer.send(f"/join {code}")
    await volunteer.next_message()

    _heading("A resident registers")
    resident.send("/start")
    choose = await resident.next_message("Please choose")
    resident.press(choose, "lang:zh")
    await resident.next_message("手机号")
    resident.share_contact("+86 138 0000 1111")
    for answer in ("李秀英", "5", "2", "302"):
        await resident.next_message("？")
        resident.send(answer)
    alone = await resident.next_message("一个人住")
    resident.press(alone, "alone:yes")
    await resident.next_message("紧急联系人")
    resident.send("李明 139 0000 2222")
    await resident.next_message("登记好了")

    _heading("She reports a burst pipe; a volunteer claims and resolves it; she rates it")
    resident.send("厨房水管爆了，水一直往外冒，关不住")
    await resident.next_message("#1")
    alert = await volunteer.next_message("#1")
    volunteer.press(alert, alert.button("claim:"))
    details = await volunteer.next_message("由您负责")
    await resident.next_message("接手")
    volunteer.press(details, details.button("resolve:"))
    fixed = await resident.next_message("解决了吗")
    resident.press(fixed, fixed.button("fixed:"))
    stars = await resident.next_message("打个分")
    resident.press(stars, stars.button("rate:1:5"))
    await resident.next_message("跳过")
    resident.send("小张来得很快，谢谢！")
    await resident.next_message("谢谢")

    _heading("A stranger who never registered reports an emergency")
    stranger.send("Help! My father fell in the kitchen and can't get up")
    await stranger.next_message("Call")
    await stranger.next_message("Where are you")
    await volunteer.next_message("#2")
    await admin.next_message("#2")
    stranger.send("Building 3, unit 1, flat 201")
    await stranger.next_message("Address added")

    _heading("The admin reads the ticket's history")
    admin.send("/ticket 2")
    await admin.next_message("记录")


async def _until(services: Services, clock: FakeClock, moment: datetime) -> None:
    """Simulated time: move the clock, let the scheduler tick, let the outbox deliver, tick again
    (a check-in's grace period counts from delivery)."""
    clock.advance(moment.timestamp() - clock.now())
    for _ in range(2):
        await services.tick()
        await services.outbox.drain()


async def _checkin_days(emulator: Emulator, services: Services, clock: FakeClock) -> None:
    admin = emulator.user(ADMIN, "Wang", "zh")
    volunteer = emulator.user(VOLUNTEER, "Zhang Wei", "zh")
    resident: ChatUser = emulator.user(RESIDENT, "Li", "zh")
    zone = ZoneInfo(services.settings.timezone)
    local = datetime.fromtimestamp(clock.now(), zone)
    first = local.date() if local.hour < 8 else local.date() + timedelta(days=1)  # the next 09:00

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(first.year, first.month, first.day, hour, minute, tzinfo=zone) + timedelta(days=day)

    _heading("Check-ins: the admin enrols 李秀英 (she lives alone) at 09:00 every day")
    admin.send("/checkin add 李秀英 09:00 每天")
    await admin.next_message("李秀英")

    _heading(f"Day 1, {at(0, 9):%Y-%m-%d} 09:00 (simulated): she answers")
    await _until(services, clock, at(0, 9, 1))
    question = await resident.next_message("今天一切都好吗")
    resident.press(question, question.button("ckok:"))
    await emulator.wait_for(lambda: not question.buttons, 5, "the question to be answered")

    _heading("Day 2: no answer, a reminder, then a ticket for the volunteer on duty; she answers late")
    await _until(services, clock, at(1, 9, 1))
    await resident.next_message("今天一切都好吗")
    await _until(services, clock, at(1, 11, 2))
    reminder = await resident.next_message("还没收到您的回复")
    await _until(services, clock, at(1, 13, 5))
    alert = await volunteer.next_message("敲门")
    resident.press(reminder, reminder.button("ckok:"))
    await emulator.wait_for(lambda: "平安" in alert.text, 5, "the alert to say all clear")
    await services.outbox.drain()


async def _after_the_claim(emulator: Emulator, services: Services, clock: FakeClock) -> None:
    volunteer = emulator.user(VOLUNTEER, "Zhang Wei", "zh")
    stranger = emulator.user(STRANGER, "Tom", "en")
    _heading("After the claim: the volunteer takes the stranger's emergency (#2) and is on his way")
    alert = next(m for m in volunteer.messages() if ("🙋 认领", "claim:2") in m.buttons)
    volunteer.press(alert, "claim:2")
    details = await volunteer.next_message("由您负责")
    volunteer.press(details, details.button("onway:"))
    await stranger.next_message("on the way")

    _heading("He goes quiet: a reminder after 5 minutes (simulated), and 5 more: back to the pool")
    start = clock.now()
    await _until(services, clock, datetime.fromtimestamp(start + 5 * 60, timezone.utc))
    await volunteer.next_message("还在跟进吗")
    await _until(services, clock, datetime.fromtimestamp(start + 10 * 60, timezone.utc))
    await volunteer.next_message("交给其他志愿者")
    await stranger.next_message("someone else")


async def _roster(emulator: Emulator, services: Services, clock: FakeClock) -> None:
    """Rosters: a day shift and a night shift; a request at night reaches the night volunteer
    only; the evening coverage look-ahead; the next morning's shift-start message."""
    admin = emulator.user(ADMIN, "Wang", "zh")
    volunteer = emulator.user(VOLUNTEER, "Zhang Wei", "zh")
    night = emulator.user(NIGHT, "刘洋", "zh")
    resident = emulator.user(RESIDENT, "Li", "zh")
    zone = ZoneInfo(services.settings.timezone)
    today = datetime.fromtimestamp(clock.now(), zone).date()

    def at(day: int, hour: int, minute: int = 0) -> datetime:
        return datetime(today.year, today.month, today.day, hour, minute, tzinfo=zone) + timedelta(days=day)

    _heading("Rosters: 刘洋 joins; the admin sets a day shift and a night shift")
    admin.send("/invite 一队")
    code = re.search(r"/join (\w+)", (await admin.next_message("/join")).text).group(1)  # type: ignore[union-attr]
    night.send(f"/join {code}")
    await night.next_message()
    admin.send("/shift add 一队 每天 08:00-20:00 Zhang Wei")
    await admin.next_message("已添加班次")
    admin.send("/shift add 一队 每天 20:00-08:00 刘洋")
    await admin.next_message("已添加班次")
    admin.send("/oncall")
    await admin.next_message("📟")
    await services.outbox.drain()

    _heading(f"{at(0, 20):%Y-%m-%d} 20:00 (simulated): the evening coverage look-ahead")
    await _until(services, clock, at(0, 20, 1))
    await admin.next_message("未来 24 小时")

    _heading("21:30: a request reaches the night shift only")
    await _until(services, clock, at(0, 21, 30))
    resident.read.update(range(len(resident.messages())))  # what she was sent before is not this answer
    resident.send("楼道里的水管漏水了，地上全是水")
    ack = await resident.next_message("编号 #")
    number = re.search(r"#\d+", ack.text).group(0)  # type: ignore[union-attr]
    await night.next_message(number)
    await services.outbox.drain()
    assert not any(number in m.text for m in volunteer.messages()), "the day volunteer is off shift"

    _heading("21:46: nobody took it in 15 minutes: the escalation chain's next step (the grid has no leader, "
             "so the committee at once)")
    await _until(services, clock, at(0, 21, 46))
    await admin.next_message(number)
    await services.outbox.drain()

    _heading("08:00 the next morning: the day shift starts with what is still open")
    await _until(services, clock, at(1, 8, 1))
    await volunteer.next_message("您的班开始了")


async def _committee_desk(emulator: Emulator, services: Services) -> None:
    """The committee's week from the chat: a duplicate linked, an answer and a close, a micro-wish,
    the figures and their chart, a spreadsheet, an announcement."""
    admin = emulator.user(ADMIN, "Wang", "zh")
    volunteer = emulator.user(VOLUNTEER, "Zhang Wei", "zh")
    resident = emulator.user(RESIDENT, "Li", "zh")
    neighbour = emulator.user(NEIGHBOUR, "Chen", "zh")
    for person in (admin, volunteer, resident):
        person.read.update(range(len(person.messages())))   # what came before is not these answers

    _heading("The lift breaks; a neighbour in the same building reports it too: one alert, linked")
    resident.send("5号楼的电梯坏了，停在三楼不动了")
    first = re.search(r"#(\d+)", (await resident.next_message("编号 #")).text).group(1)  # type: ignore[union-attr]
    await volunteer.next_message(f"#{first}")
    neighbour.send("5号楼电梯坏了")
    await neighbour.next_message("已经有人报过了")
    await services.outbox.drain()

    _heading("A question; the admin answers it through the bot and closes it")
    resident.send("请问社区医院周六开门吗？")
    # Li's lift request is still open, so her words are added to it first; the button under that
    # answer makes the question a request of its own (else /reply and /close would be the lift's)
    added = await resident.next_message("已补充到")
    resident.press(added, added.button("asnew:"))
    asked = re.search(r"#(\d+)", (await resident.next_message("编号 #")).text).group(1)  # type: ignore[union-attr]
    admin.send(f"/reply {asked} 周六上午 8:00-12:00 开门，带上医保卡。")
    await resident.next_message("居委会")
    admin.send(f"/close {asked} 已答复")
    await resident.next_message(f"#{asked}")

    _heading("A micro-wish: the resident wishes, the admin approves, a volunteer adopts it")
    resident.send("/wish 想请人帮忙把旧棉被送去翻新")
    await resident.next_message("心愿")
    notice = await admin.next_message("微心愿")
    admin.press(notice, notice.button("wish:ok:"))
    offer = await volunteer.next_message("微心愿")
    volunteer.press(offer, offer.button("wish:adopt:"))
    await volunteer.next_message("李秀英")

    _heading("The admin's week: figures and a chart, a spreadsheet, an announcement")
    admin.send("/stats 30d")
    await admin.next_message("统计")
    chart = await admin.next_message("求助统计")
    print(f"  (the chart: a {len(chart.file or b'') // 1024} KB PNG)")
    admin.send("/export tickets 30d")
    sheet = await admin.next_message("求助工单")
    print(f"  (the spreadsheet: {sheet.filename}, {len(sheet.file or b'') // 1024} KB)")
    admin.send("/broadcast all 明天上午 9:00-12:00 停水，请提前储水。")
    confirm = await admin.next_message("确定发送吗")
    admin.press(confirm, confirm.button("bcsend"))
    await resident.next_message("停水")
    await admin.next_message("发完了")
