"""Benchmarks (`python -m bench.run`): triage and conversation speed, a text's way to its answer,
the delivery engine's throughput, the check-ins' and the ack timers' ticks, a 100,000-ticket export, /stats on 100,000 tickets.

Numbers, not pass/fail: the README and the closing notes quote them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.core import Engine, Entry, load_lexicon

SAMPLES = [
    "我家水管爆了，水漫到客厅了", "老伴摔倒了起不来，快来人", "楼道灯坏了好几天了", "请问社区几点下班",
    "The heating is off and my mother is 88", "I think I smell gas in the hallway", "Thanks for the mooncakes!",
    "隔壁装修太吵了，周末七点就开始砸墙", "電梯壞了，我被困在裡面", "fell in the shower cant get up",
]


def bench_triage() -> dict[str, float]:
    from bot.core.triage.model import load_model

    started = time.perf_counter()
    engine = Engine(load_lexicon(), load_model())  # the lexicon and the model's weights, as the bot starts
    startup = time.perf_counter() - started
    dev = Path(__file__).resolve().parents[2] / "shared" / "triage" / "dev.jsonl"
    texts = [json.loads(line)["text"] for line in dev.read_text(encoding="utf-8").splitlines()] if dev.exists() else []
    texts = (texts or SAMPLES * 40)
    latencies = []
    for _ in range(5):
        for text in texts:
            unique = text + " "  # defeat the normalisation cache: measure the cold path
            t0 = time.perf_counter()
            engine.classify(unique)
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    # /keyword add rebuilds the engine with the committee's words: 50 of them here.
    keywords = [Entry("zh", f"本地词{i:02d}号", "problem", "urgent", "sanitation") for i in range(50)]
    t0 = time.perf_counter()
    Engine(engine.lexicon.with_entries(keywords), engine.model)
    rebuild = time.perf_counter() - t0
    return {
        "triage_startup_ms": startup * 1000,
        "triage_rebuild_with_50_keywords_ms": rebuild * 1000,
        "triage_p50_ms": statistics.median(latencies) * 1000,
        "triage_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "triage_per_second": len(latencies) / sum(latencies),
    }


def bench_conversation() -> dict[str, float]:
    """Reading a message for the conversation (intent words, places, the decision) on top of triage."""
    from bot.core import classify
    from bot.core.intent import OpenTicket, decide, read  # noqa

    data = Path(__file__).resolve().parents[1] / "tests" / "data"
    texts = [json.loads(line)["text"] for name in ("conversation_blind.jsonl", "conversation_heldout.jsonl")
             for line in (data / name).read_text(encoding="utf-8").splitlines()]
    ticket = OpenTicket(1, "claimed", "water")
    latencies = []
    for round_ in range(5):
        for text in texts:
            unique = text + " " * (round_ + 1)  # defeat the normalisation cache
            verdict = classify(unique)
            t0 = time.perf_counter()
            decide(read(unique, verdict), "ticket_address", None, ticket, False)
            latencies.append(time.perf_counter() - t0)
    latencies.sort()
    return {"conversation_read_p50_ms": statistics.median(latencies) * 1000,
            "conversation_read_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}


async def bench_text_to_ack(count: int = 100) -> dict[str, float]:
    """A resident's text to the bot's answer, end to end: the real Application polling the
    emulator over HTTP, inbox, conversation, triage, ticket, outbox, send. Telegram's per-chat
    limit is lifted here to measure the bot itself, one message at a time."""
    from bot.app import build_application, build_services, start, stop
    from bot.config import load_settings
    from bot.core import FloodControl, Limits
    from bot.devtools.emulator import TOKEN, Emulator

    emulator = Emulator()
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "bench.db"))
        roomy = FloodControl(Limits(overall=(1000, 1.0), private=(1000, 1.0), group=(1000, 1.0)))
        services = build_services(settings, flood=roomy, poll_interval=0.02)
        application = build_application(services)
        await start(application, poll_timeout=1)
        latencies = []
        for n in range(count):
            person = emulator.user(20_000 + n, "Bench", "zh")
            t0 = time.perf_counter()
            person.send(SAMPLES[n % len(SAMPLES)])
            await person.next_message(None, timeout=10)  # the ack (or, for thanks, the reply)
            latencies.append(time.perf_counter() - t0)
        await stop(application)
    await emulator.stop()
    latencies.sort()
    return {"text_to_ack_p50_ms": statistics.median(latencies) * 1000,
            "text_to_ack_p95_ms": latencies[int(len(latencies) * 0.95)] * 1000}


@contextlib.asynccontextmanager
async def _outbox_rig() -> AsyncIterator[tuple[Any, Any, Any]]:
    """The real outbox on a fresh database, a python-telegram-bot client, and the emulator with
    Telegram's real limits (a 429 past them, counted): (services, bot, emulator). The outbox is
    not started: each benchmark queues first, then starts it."""
    from telegram import Bot

    from bot.app import build_services
    from bot.config import load_settings
    from bot.devtools.emulator import TOKEN, Emulator

    emulator = Emulator()
    emulator.enforce_limits = True
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "bench.db"))
        services = build_services(settings, poll_interval=0.05)
        await services.db.open()
        bot = Bot(TOKEN, base_url=emulator.base_url)
        await bot.initialize()
        try:
            yield services, bot, emulator
        finally:
            await services.outbox.stop()
            await bot.shutdown()
            await services.db.close()
    await emulator.stop()


@contextlib.asynccontextmanager
async def _tick_rig(wall: tuple[int, int] | None = None, **overrides: Any) -> AsyncIterator[tuple[Any, Any]]:
    """The services on a fresh database with the fake clock, nothing started (the tick benchmarks
    measure what is due, not delivery): (services, clock). `wall`: the committee's hour and minute
    on 2026-09-22 to start the clock at (a Tuesday)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from bot.app import build_services
    from bot.clock import FakeClock
    from bot.config import load_settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token="1:BENCH", frontdesk_db=str(Path(tmp) / "bench.db"), **overrides)
        clock = FakeClock(datetime(2026, 9, 22, *wall, tzinfo=ZoneInfo(settings.timezone)).timestamp()) if wall \
            else FakeClock()
        services = build_services(settings, clock)
        await services.db.open()
        try:
            yield services, clock
        finally:
            await services.db.close()


async def _timed(clock: Any, step: Callable[[], Awaitable[Any]], times: int = 20, advance: float = 60.0) -> list[float]:
    """`step` (a tick) run `times` times, the clock moved `advance` seconds before each: its durations."""
    durations = []
    for _ in range(times):
        clock.advance(advance)
        t0 = time.perf_counter()
        await step()
        durations.append(time.perf_counter() - t0)
    return durations


async def bench_outbox(count: int = 600) -> dict[str, float]:
    """Queue `count` messages to distinct private chats and time their delivery through the
    real engine and python-telegram-bot to the emulator, with Telegram's real limits."""
    from bot.delivery import Lane

    async with _outbox_rig() as (services, bot, emulator):
        t0 = time.perf_counter()
        async with services.db.transaction() as tx:
            for n in range(count):
                lane = Lane.EMERGENCY if n == count - 1 else Lane.CHECKIN  # a wave of check-in questions
                await services.outbox.post(tx, 10_000 + n, "en", "edit_update", lane=lane, purpose="bench",
                                           ticket={"id": n}, text="announcement")
        enqueue = time.perf_counter() - t0
        services.outbox.start(bot)
        t1 = time.perf_counter()
        await services.outbox.drain(timeout=120)
        elapsed = time.perf_counter() - t1
        sends = [(t, chat) for t, method, chat in emulator.calls if method == "sendMessage"]
        emergency_position = [chat for _, chat in sends].index(10_000 + count - 1)
    return {
        "outbox_enqueue_per_second": count / enqueue,
        "outbox_delivered_per_second": count / elapsed,
        "outbox_emergency_send_position": float(emergency_position),
        "outbox_429s_from_telegram_limits": float(emulator.throttled),
    }


async def bench_busy_chat(backlog: int = 100) -> dict[str, float]:
    """One person floods the bot: `backlog` replies queued to their chat (Telegram lets it have
    one a second), then one reply to somebody else. How long does that one wait?"""
    from bot.delivery import Lane

    async with _outbox_rig() as (services, bot, emulator):
        async with services.db.transaction() as tx:
            for n in range(backlog):
                await services.outbox.post(tx, 20_001, "en", "edit_update", lane=Lane.REPLY, purpose="bench",
                                           ticket={"id": n}, text="flood")
            await services.outbox.post(tx, 20_002, "en", "edit_update", lane=Lane.REPLY, purpose="bench",
                                       ticket={"id": 0}, text="someone else")
        t0 = time.perf_counter()
        services.outbox.start(bot)
        await emulator.wait_for(lambda: emulator.chat(20_002), 300, "the other chat's reply")
        waited = time.perf_counter() - t0
    return {"outbox_other_chat_behind_busy_one_s": waited}


async def bench_checkins(plans: int = 10_000) -> dict[str, float]:
    """10,000 residents on a 09:00 plan: the tick's "what is due" pass on an ordinary minute (nothing
    due), and the 09:00 pass that generates the whole wave (check-in rows and outbox questions, in
    batches). Delivery of the wave is bound by the outbox (see outbox_delivered_per_second)."""
    from storage import checkins as checkins_repo, residents as residents_repo

    async with _tick_rig((8, 0)) as (services, clock):
        nine = clock.now() + 3600
        async with services.db.transaction() as tx:
            for n in range(plans):
                resident_id = await residents_repo.create(tx, {"telegram_id": 100_000 + n, "name": f"R{n}",
                                                               "building": str(n % 50), "lives_alone": 1}, clock.now())
                await checkins_repo.upsert_plan(tx, resident_id, "09:00", "0123456", 7200, nine, None, clock.now())
        idle = await _timed(clock, services.checkins.tick)
        clock.advance(nine + 5 - clock.now())
        t0 = time.perf_counter()
        await services.checkins.tick()
        wave = time.perf_counter() - t0
        async with services.db.transaction() as tx:
            queued = await tx.value("SELECT count(*) FROM outbox WHERE purpose = 'checkin'")
        after = (await _timed(clock, services.checkins.tick, times=1))[0]
    return {
        "checkin_tick_idle_10k_plans_ms": statistics.median(idle) * 1000,
        "checkin_wave_generate_10k_s": wave,
        "checkin_wave_questions_queued": float(queued),
        "checkin_tick_during_wave_10k_ms": after * 1000,
    }


async def bench_ack_tick(tickets: int = 10_000, due: int = 100) -> dict[str, float]:
    """10,000 claimed tickets with their ack timers (bot/services/followup.py): the tick on an
    ordinary minute (nothing due), and a minute in which `due` of them remind their claimants."""
    from storage import teams as teams_repo

    async with _tick_rig() as (services, clock):
        now = clock.now()
        async with services.db.transaction() as tx:
            volunteer = await teams_repo.upsert_volunteer(tx, {"telegram_id": 7001, "name": "Zhang"}, now)
            # `due` timers fall due in the measured minute; the rest over the next day
            await tx.executemany(
                """INSERT INTO tickets (status, urgency, category, lang, text, grid, reporter_chat_id, claimed_by,
                                        claimed_at, ack_due_at, created_at, updated_at)
                   VALUES ('claimed', 'urgent', 'water', 'zh', '水管漏水', 'G1', ?, ?, ?, ?, ?, ?)""",
                [(100_000 + n, volunteer, now, now + 3600 + (30 if n < due else 120 + n * 8), now, now)
                 for n in range(tickets)])
        idle = await _timed(clock, services.followup.tick, advance=1)
        clock.advance(now + 3600 + 60 - clock.now())
        t0 = time.perf_counter()
        fired = await services.followup.tick()
        wave = time.perf_counter() - t0
    assert fired == due, fired
    return {
        "ack_tick_idle_10k_claimed_ms": statistics.median(idle) * 1000,
        f"ack_tick_{due}_reminders_ms": wave * 1000,
    }


async def bench_rosters(teams: int = 200, per_team: int = 10) -> dict[str, float]:
    """Who is on duty for one grid with 2,000 shifts in the database (200 teams of 5 volunteers,
    each covering its own grid with 10 shifts): the query (`roster_for`) and the pure function;
    then the pure function alone when all 2,000 shifts are one grid's; and the roster's part of
    the scheduler tick (shift starts) on an ordinary minute and on 08:00, when 200 shifts start."""
    from bot.core import roster as rules
    from bot.services.rosters import roster_for
    from storage import rosters as rosters_repo, teams as teams_repo

    async with _tick_rig((9, 30)) as (services, clock):
        settings = services.settings
        now = clock.now()
        async with services.db.transaction() as tx:
            for t in range(teams):
                team = await teams_repo.ensure_team(tx, f"team{t}", now)
                await teams_repo.add_grids(tx, team["id"], [f"G{t}"])
                people = []
                for v in range(5):
                    vid = await teams_repo.upsert_volunteer(tx, {"telegram_id": 10_000 + t * 10 + v,
                                                                 "name": f"V{t}-{v}"}, now)
                    await teams_repo.add_member(tx, team["id"], vid, "member", now)
                    people.append(vid)
                for n in range(per_team):  # 2-hour shifts round the clock, some overnight
                    start = (n * 144 + t) % 1440
                    await rosters_repo.add_shift(tx, team["id"], "0123456"[: 3 + n % 5], start, (start + 600) % 1440,
                                                 people[n % 5:n % 5 + 2], None, now)
            await rosters_repo.add_override(tx, "off", people[0], None, now - 60, None, None, now)
        grid = f"G{teams // 2}"
        query, pure = [], []
        for _ in range(300):
            async with services.db.transaction() as tx:
                t0 = time.perf_counter()
                members, roster = await roster_for(tx, grid, now, settings.timezone)
                t1 = time.perf_counter()
            rules.on_duty(members, now, (), roster, grid)
            t2 = time.perf_counter()
            query.append(t1 - t0)
            pure.append(t2 - t1)
        one_team = [rules.Shift(s.id, "one", s.days, s.start, s.end, s.volunteers) for t in range(teams)
                    for s in [rules.Shift(t * per_team + n, "one", frozenset(range(7)), (n * 144 + t) % 1440,
                                          ((n * 144 + t) % 1440 + 600) % 1440, frozenset({n % 5}))
                              for n in range(per_team)]]
        everyone = [rules.Member(v, 1000 + v, f"V{v}", None, "member", "one") for v in range(5)]
        big = rules.Roster(tuple(one_team), tz=settings.timezone)
        all_in_one = []
        for _ in range(100):
            t0 = time.perf_counter()
            rules.on_duty(everyone, now, (), big, "G")
            all_in_one.append(time.perf_counter() - t0)
        idle = await _timed(clock, services.rosters.shift_starts)
    return {
        "roster_on_duty_query_2k_shifts_ms": statistics.median(query) * 1000,
        "roster_on_duty_pure_ms": statistics.median(pure) * 1000,
        "roster_on_duty_query_plus_pure_p99_ms": sorted(q + p for q, p in zip(query, pure))[int(len(query) * 0.99)] * 1000,
        "roster_on_duty_pure_2k_one_grid_ms": statistics.median(all_in_one) * 1000,
        "roster_shift_start_tick_2k_ms": statistics.median(idle) * 1000,
    }


async def bench_escalation(tickets: int = 10_000, teams: int = 200, per_team: int = 10,
                           due: int = 5) -> dict[str, float]:
    """10,000 open tickets waiting on their escalation chain over 200 grids, with 2,000 shifts in
    the roster (200 teams of 6 volunteers, 10 shifts each): the escalation tick with nothing due and
    with `due` tickets due (each asks the roster who is on duty, fires its next step and queues its
    alerts), and the scheduler's whole tick (every service's "what is due now?") on an ordinary minute."""
    from storage import rosters as rosters_repo, teams as teams_repo

    async with _tick_rig(admin_ids="9001,9002") as (services, clock):
        now = clock.now()
        async with services.db.transaction() as tx:
            for t in range(teams):
                team = (await teams_repo.ensure_team(tx, f"team{t}", now))["id"]
                await teams_repo.set_grids(tx, team, [f"G{t}"])
                people = []
                for v in range(6):
                    vid = await teams_repo.upsert_volunteer(tx, {"telegram_id": 70_000 + t * 10 + v,
                                                                 "name": f"V{t}-{v}"}, now)
                    await teams_repo.add_member(tx, team, vid, "leader" if v == 5 else "member", now)
                    people.append(vid)
                for n in range(per_team):  # 10-hour shifts round the clock, some overnight
                    begin = (n * 144 + t) % 1440
                    await rosters_repo.add_shift(tx, team, "0123456"[: 3 + n % 5], begin, (begin + 600) % 1440,
                                                 people[n % 5:n % 5 + 2], None, now)
            await tx.executemany(
                """INSERT INTO tickets (status, urgency, category, lang, text, grid, reporter_chat_id, resident_id,
                   alert_round, escalation_step, escalation_since, next_action_at, created_at, updated_at)
                   VALUES ('open', ?, 'water', 'zh', '水管漏水', ?, ?, NULL, 1, 1, 0, ?, ?, ?)""",
                [("urgent" if n % 3 else "emergency", f"G{n % teams}", 100_000 + n, now + 3600 + n, now, now)
                 for n in range(tickets)])
        idle = await _timed(clock, services.escalation.tick, advance=0)
        busy, fired = [], 0
        for _ in range(10):
            async with services.db.transaction() as tx:  # a few tickets fall due
                await tx.execute("UPDATE tickets SET next_action_at = ? WHERE id IN "
                                 "(SELECT id FROM tickets WHERE status = 'open' ORDER BY next_action_at LIMIT ?)",
                                 (clock.now() - 1, due))
            t0 = time.perf_counter()
            fired += await services.escalation.tick()
            busy.append(time.perf_counter() - t0)
        whole = await _timed(clock, services.tick, times=10)
    return {
        "escalation_tick_idle_10k_open_2k_shifts_ms": statistics.median(idle) * 1000,
        f"escalation_tick_{due}_due_10k_open_2k_shifts_ms": statistics.median(busy) * 1000,
        "escalation_steps_fired": float(fired),
        "scheduler_whole_tick_10k_open_2k_shifts_ms": statistics.median(whole) * 1000,
    }


async def bench_outage(residents: int = 50_000, volunteers: int = 200, grids: int = 13, writers: int = 300,
                       rate: float = 20.0, give_up: float = 240.0) -> dict[str, float]:
    """A building-wide outage on a real-sized committee: `frontdesk run` as its own process (what an
    operator starts) on a database of 50,000 imported residents and 200 volunteers (about 15 per
    grid), against the emulator enforcing Telegram's limits (30 messages/s overall, 3 then 1/s per
    chat, 429 past them). Measured: start-up (process start to its first getUpdates), memory (RSS
    once started and its peak), and for 300 residents writing at 20 messages/s the time from each
    resident's message to the bot's first answer in their chat (p50/p99/max and how many within
    2 s), with the alerts (~15 per ticket) competing for the same 30 messages/s."""
    import os
    import sys

    from bot.clock import SystemClock
    from bot.devtools.emulator import TOKEN, Emulator
    from bot.services import import_residents, import_volunteers
    from storage import Database

    def rss_kb(pid: int, field: str) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return float(line.split()[1])
        return float("nan")

    emulator = Emulator()
    await emulator.start()
    emulator.enforce_limits = True
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "outage.db"
        people = Path(tmp) / "residents.csv"
        with people.open("w", encoding="utf-8") as out:   # building b is in grid G(b % grids + 1)
            out.write("name,phone,telegram_id,building,unit,room,grid,language\n")
            for n in range(residents):
                building = n // 200 + 1
                out.write(f"居民{n},139{n:08d},{1_000_000 + n},{building},{n % 4 + 1},{n % 200 + 101},"
                          f"G{building % grids + 1},{'zh' if n % 3 else 'en'}\n")
        crew = Path(tmp) / "volunteers.csv"
        with crew.open("w", encoding="utf-8") as out:
            out.write("name,phone,telegram_id,team,role,grids,language\n")
            for n in range(volunteers):
                grid = n % grids + 1
                out.write(f"志愿者{n},137{n:08d},{2_000_000 + n},team{grid},{'leader' if n < grids else 'member'},"
                          f"G{grid},zh\n")
        db = await Database(str(db_path)).open()
        t0 = time.perf_counter()
        await import_residents(db, people, SystemClock())
        await import_volunteers(db, crew, SystemClock())
        results["outage_import_50k_residents_200_volunteers_s"] = time.perf_counter() - t0
        await db.close()

        first_answer: dict[int, float] = {}
        original = emulator._api_sendMessage

        async def watched(params: dict[str, Any]) -> Any:
            sent = await original(params)
            first_answer.setdefault(params["chat_id"], time.perf_counter())
            return sent

        emulator._api_sendMessage = watched  # type: ignore[method-assign]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": tmp, "PYTHONPATH": str(Path(__file__).resolve().parents[1]),
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE_URL": emulator.base_url,
               "FRONTDESK_DB": str(db_path), "ADMIN_IDS": "9001", "ALERT_QUIET_HOURS": "none"}
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", cwd=tmp, env=env, stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
        try:
            while not any(method == "getUpdates" for _, method, _ in emulator.calls):
                if process.returncode is not None:
                    raise RuntimeError(f"frontdesk run exited with {process.returncode}")
                await asyncio.sleep(0.01)
            results["outage_startup_s"] = time.perf_counter() - started
            results["outage_rss_started_mb"] = rss_kb(process.pid, "VmRSS") / 1024
            await asyncio.sleep(1.0)
            first_answer.clear()
            # 300 residents of two buildings of one grid (8 and 21: G9) write at 20 messages/s
            senders = [emulator.user(1_000_000 + 7 * 200 + n % 200 + (n // 200) * 200 * 13, f"R{n}", "zh")
                       for n in range(writers)]
            wrote: dict[int, float] = {}
            wrote_wall: dict[int, float] = {}
            burst_started = time.perf_counter()
            for n, sender in enumerate(senders):
                await asyncio.sleep(max(0.0, burst_started + n / rate - time.perf_counter()))
                wrote[sender.id] = time.perf_counter()
                wrote_wall[sender.id] = time.time()
                sender.send("整栋楼停电了，电梯也停了" if n % 2 else "No power in the whole building, lifts stopped")
            deadline = time.perf_counter() + give_up
            while time.perf_counter() < deadline and not all(chat in first_answer for chat in wrote):
                await asyncio.sleep(0.1)
            results["outage_rss_peak_mb"] = rss_kb(process.pid, "VmHWM") / 1024
        finally:
            if process.returncode is None:
                process.terminate()
                await process.wait()
        # where the time went: message -> handled (intake: poll, store, handle) and handled -> the
        # answer sent (the outbox's queue), from the database's own times
        import sqlite3
        with sqlite3.connect(db_path) as conn:
            handled = dict(conn.execute(
                "SELECT user_id, handled_at FROM inbox WHERE handled_at IS NOT NULL AND user_id >= 1000000"))
            answered = dict(conn.execute(
                "SELECT chat_id, min(sent_at) FROM outbox WHERE status = 'sent' AND chat_id >= 1000000 "
                "AND chat_id < 2000000 GROUP BY chat_id"))
        intake = sorted(handled[chat] - at for chat, at in wrote_wall.items() if chat in handled)
        queued = sorted(answered[chat] - handled[chat] for chat in wrote_wall if chat in handled and chat in answered)
        for name, values in (("intake", intake), ("outbox_queue", queued)):
            if values:
                results[f"outage_{name}_p50_s"] = statistics.median(values)
                results[f"outage_{name}_p99_s"] = values[min(len(values) - 1, int(len(values) * 0.99))]
    await emulator.stop()
    waits = sorted(first_answer[chat] - at for chat, at in wrote.items() if chat in first_answer)
    alerts = sum(1 for _, method, chat in emulator.calls if method == "sendMessage" and chat is not None
                 and chat >= 2_000_000)
    results.update({
        "outage_answered_of_300": float(len(waits)),
        "outage_answered_within_2s": float(sum(1 for w in waits if w <= 2.0)),
        "outage_ack_p50_s": statistics.median(waits) if waits else float("nan"),
        "outage_ack_p99_s": waits[min(len(waits) - 1, int(len(waits) * 0.99))] if waits else float("nan"),
        "outage_ack_max_s": waits[-1] if waits else float("nan"),
        "outage_alert_sends_to_volunteers": float(alerts),
        "outage_429s": float(emulator.throttled),
    })
    return results


async def bench_wave(count: int = 1000) -> dict[str, float]:
    """The wave (bench/wave.py, which also runs python-telegram-bot's AIORateLimiter beside it):
    `count` messages to as many chats, an emergency half-way, without and with 10% faults."""
    from bench.wave import frontdesk_wave

    results: dict[str, float] = {}
    for label, rate in (("", 0.0), ("_10pct_faults", 0.1)):
        r = await frontdesk_wave(count, rate)
        results.update({
            f"wave{label}_messages_per_s": r["messages_per_s"], f"wave{label}_429s": float(r["429s"]),
            f"wave{label}_chats_twice": float(r["twice"]), f"wave{label}_chats_none": float(r["none"]),
            f"wave{label}_emergency_s": float(r["emergency_s"] or 0), f"wave{label}_unknown_counted": float(r["unknown_counted"]),
        })
    return results


async def bench_export(tickets: int = 100_000) -> dict[str, float]:
    """`/export tickets all` on 100,000 tickets over a year (bot/core/sheets.py): reading them (what
    the update's transaction holds the database for), the table and the XLSX the bot uploads
    (written in a worker thread after the commit: the event loop is not held) and the CSV the shell
    writes; and the files' sizes."""
    from bot.core import periods, sheets
    from bot.delivery import Renderer
    from bot.services.sheets import export_records, sheet_words
    from storage import Database

    with tempfile.TemporaryDirectory() as folder:
        db = await Database(str(Path(folder) / "bench.db")).open()
        try:
            now = time.time()
            async with db.transaction() as tx:
                await tx.executemany(
                    """INSERT INTO tickets (status, urgency, category, lang, text, grid, building, reporter_chat_id,
                                            reporter_name, claimed_at, resolved_at, rating, rating_comment,
                                            created_at, updated_at)
                       VALUES ('closed', 'urgent', 'water', 'zh', ?, 'G1', '5', ?, '王秀兰', ?, ?, 4, ?, ?, ?)""",
                    [(SAMPLES[n % len(SAMPLES)] + (" =1+1" if n % 100 == 0 else ""), 100_000 + n,
                      now - n * 300 + 60, now - n * 300 + 3600, "谢谢" if n % 3 == 0 else None, now - n * 300,
                      now - n * 300) for n in range(tickets)])
            period = periods.parse("all", now, "Asia/Shanghai")
            assert period is not None
            t0 = time.perf_counter()
            async with db.transaction() as tx:
                records = await export_records(tx, "tickets", period, now)
            read = time.perf_counter() - t0
            t0 = time.perf_counter()
            sheet = sheets.build("tickets", records, sheet_words(Renderer("zh"), "zh"), "Asia/Shanghai")
            table = time.perf_counter() - t0
            t0 = time.perf_counter()
            xlsx = sheets.to_xlsx(sheet)
            write_xlsx = time.perf_counter() - t0
            t0 = time.perf_counter()
            csv_data = sheets.to_csv(sheet)
            write_csv = time.perf_counter() - t0
        finally:
            await db.close()
    assert len(sheet.rows) == tickets, len(sheet.rows)
    return {
        "export_100k_tickets_read_s": read,
        "export_100k_tickets_table_s": table,
        "export_100k_tickets_xlsx_s": write_xlsx,
        "export_100k_tickets_xlsx_mb": len(xlsx) / 1e6,
        "export_100k_tickets_csv_s": write_csv,
        "export_100k_tickets_csv_mb": len(csv_data) / 1e6,
    }


async def bench_stats(tickets: int = 100_000, days: int = 365, grids: int = 13) -> dict[str, float]:
    """/stats 30d on 100,000 tickets spread over a year (13 grids, the urgencies and kinds in a
    committee's proportions, most claimed, some rated): the summary's queries (what /stats answers
    with) and, apart, the chart's drawing, which runs in a worker thread. Also a leader's /stats
    (two grids) and the weekly report's extra lists."""
    import random

    from bot.core import periods
    from storage import stats as stats_repo, teams as teams_repo

    rnd = random.Random(12)
    urgencies = (["emergency"] * 2 + ["urgent"] * 15 + ["routine"] * 63 + ["info"] * 20)
    categories = ["water"] * 20 + ["infrastructure"] * 15 + ["lift"] * 10 + ["power"] * 10 + ["sanitation"] * 10 + \
        ["medical"] * 8 + ["care"] * 8 + ["admin"] * 8 + ["heating"] * 4 + ["security"] * 4 + ["dispute"] * 2 + \
        ["gas", "fire"]
    claim_mean = {"emergency": 180.0, "urgent": 1800.0, "routine": 4 * 3600.0, "info": 3600.0}
    async with _tick_rig() as (services, clock):
        now = clock.now()
        async with services.db.transaction() as tx:
            volunteers = [await teams_repo.upsert_volunteer(tx, {"telegram_id": 70_000 + n, "name": f"V{n}"}, now)
                          for n in range(60)]
            rows = []
            for n in range(tickets):
                urgency, at = rnd.choice(urgencies), now - rnd.random() * days * 86400
                claimed = at + rnd.expovariate(1 / claim_mean[urgency]) if urgency != "info" and rnd.random() < 0.85 \
                    else None
                rated = claimed is not None and rnd.random() < 0.4
                rows.append({"status": "closed" if claimed else "open", "urgency": urgency, "category": rnd.choice(categories),
                             "lang": "zh", "text": "水管漏水", "grid": f"G{rnd.randrange(grids) + 1}",
                             "reporter_chat_id": 100_000 + n % 20_000, "reporter_name": "王",
                             "claimed_by": rnd.choice(volunteers) if claimed else None, "claimed_at": claimed,
                             "resolved_at": claimed + rnd.expovariate(1 / 7200) if claimed else None,
                             "rating": rnd.randint(1, 5) if rated else None,
                             "rating_comment": "很及时，谢谢" if rated and rnd.random() < 0.2 else None,
                             "escalation_step": rnd.choice([1, 1, 1, 1, 2, 3]) if urgency != "info" else 0,
                             "created_at": at, "updated_at": at})
            await stats_repo.seed_tickets(tx, rows)
        period = periods.parse("30d", now, services.settings.timezone)
        assert period is not None

        async def summary(grids_of: list[str] | None, span: Any = period) -> tuple[list[float], Any]:
            took, result = [], None
            for _ in range(5):
                t0 = time.perf_counter()
                async with services.db.transaction() as tx:
                    result = await services.stats.summary(tx, span, grids_of)
                took.append(time.perf_counter() - t0)
            return took, result

        whole, result = await summary(None)
        leader, _ = await summary(["G1", "G2"])
        year, _ = await summary(None, periods.parse("365d", now, services.settings.timezone))  # the longest there is
        t0 = time.perf_counter()
        async with services.db.transaction() as tx:
            await stats_repo.known_grids(tx)            # what /stats reads before the summary: the words it takes
        grids_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        async with services.db.transaction() as tx:
            await stats_repo.top_volunteers(tx, period.start, period.end, None, 5)
            await stats_repo.lowest_rated(tx, period.start, period.end, None, 3)
            plans = await stats_repo.query_plans(tx, period.start, period.end, None)
        extras = time.perf_counter() - t0
        assert all("INDEX" in plan and "SCAN tickets" not in plan for plan in plans.values()), plans
        # the whole answer to an admin's "/stats 30d" (scope, words, summary, the text queued); the
        # chart is drawn after it, in its own task
        from bot.services import Person
        admin = Person(telegram_id=1, first_name="Admin", lang="zh", is_admin=True)
        answers = []
        for _ in range(5):
            t0 = time.perf_counter()
            await services.stats.stats(admin, 1, ["30d"])
            answers.append(time.perf_counter() - t0)
            await services.stats.charts_drawn()     # each answer measured on its own, not beside a drawing
        drawing = []
        for lang in ("zh", "en", "zh"):
            t0 = time.perf_counter()
            png = await services.stats.draw(result, lang)
            drawing.append(time.perf_counter() - t0)
    return {
        "stats_30d_tickets_in_period": float(result.total),
        "stats_30d_of_100k_summary_ms": statistics.median(whole) * 1000,
        "stats_30d_of_100k_answer_ms": statistics.median(answers) * 1000,
        "stats_30d_of_100k_summary_max_ms": max(whole) * 1000,
        "stats_30d_leader_2_grids_ms": statistics.median(leader) * 1000,
        "stats_365d_of_100k_summary_ms": statistics.median(year) * 1000,
        "stats_known_grids_100k_ms": grids_read * 1000,
        "stats_weekly_extras_ms": extras * 1000,
        "stats_chart_first_draw_ms": drawing[0] * 1000,
        "stats_chart_draw_ms": statistics.median(drawing[1:]) * 1000,
        "stats_chart_png_kb": len(png) / 1024,
    }


def main() -> None:
    results = bench_triage()
    results.update(bench_conversation())
    results.update(asyncio.run(bench_text_to_ack()))
    results.update(asyncio.run(bench_outbox()))
    results.update(asyncio.run(bench_busy_chat()))
    results.update(asyncio.run(bench_wave()))
    results.update(asyncio.run(bench_checkins()))
    results.update(asyncio.run(bench_ack_tick()))
    results.update(asyncio.run(bench_rosters()))
    results.update(asyncio.run(bench_escalation()))
    results.update(asyncio.run(bench_outage()))
    results.update(asyncio.run(bench_export()))
    results.update(asyncio.run(bench_stats()))
    for name, value in results.items():
        print(f"{name:<34} {value:,.3f}")


if __name__ == "__main__":
    main()
