"""The wave: N messages to N private chats, against the emulator with Telegram's limits (30 a
second overall, 3 a second per chat, a 429 past them), an emergency queued in the middle of it; a
second run with 10% of the sends failing (half 5xx, half time-outs after delivery). The same
waves through python-telegram-bot's own AIORateLimiter beside it, sent as most bots do (every
message at once, a few retries on errors).

    python -m bench.wave              # 1,000 messages
    python -m bench.wave --n 10000    # 10,000
    python -m bench.wave --burst      # and the burst: 300 residents write, 15 alerts per ticket
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from typing import Any

from telegram.request import HTTPXRequest

# the client's time-outs: an injected time-out answers after the emulator's `hang` (longer)
TIMEOUTS = {"connect_timeout": 2.0, "read_timeout": 2.0, "write_timeout": 2.0, "pool_timeout": 5.0}
FIRST_CHAT = 100_000
EMERGENCY_CHAT = 99_999


def _request() -> HTTPXRequest:
    return HTTPXRequest(connection_pool_size=256, **TIMEOUTS)


def _text(n: int) -> str:
    return f"wave message {n}"


def _result(emulator: Any, n: int, elapsed: float, emergency_latency: float | None, **extra: Any) -> dict[str, Any]:
    got = [len(emulator.chat(FIRST_CHAT + i)) for i in range(n)]
    # sustained: deliveries per second between the 10th and the 90th percentile of the wave
    times = sorted(m.sent_at for i in range(n) for m in emulator.chat(FIRST_CHAT + i)[:1])
    lo, hi = times[len(times) // 10], times[len(times) * 9 // 10]
    sustained = (len(times) * 9 // 10 - len(times) // 10) / (hi - lo) if hi > lo else 0.0
    return {"messages_per_s": sustained, "overall_per_s": sum(1 for c in got if c) / elapsed,
            "429s": emulator.throttled,
            "twice": len(emulator.duplicate_chats), "copies": emulator.duplicates, "none": sum(1 for c in got if not c),
            "emergency_s": emergency_latency, "seconds": elapsed,
            "injected": dict(emulator.injected), **extra}


async def _emergency_at_half(emulator: Any, n: int, queue: Any) -> float | None:
    """Queue the emergency once half the wave reached Telegram; its latency, queue to delivery."""
    await emulator.wait_for(lambda: sum(1 for i in range(0, n, max(1, n // 200)) if emulator.chat(FIRST_CHAT + i))
                            >= 100, 3600, "half the wave")
    t0 = time.perf_counter()
    await queue()
    await emulator.wait_for(lambda: emulator.chat(EMERGENCY_CHAT), 3600, "the emergency")
    return time.perf_counter() - t0


async def frontdesk_wave(n: int, fault_rate: float) -> dict[str, Any]:
    import tempfile
    from pathlib import Path

    from telegram import Bot

    from bot.app import build_services
    from bot.config import load_settings
    from bot.delivery import Lane
    from bot.devtools.emulator import TOKEN, Emulator

    emulator = Emulator()
    emulator.enforce_limits, emulator.fault_rate, emulator.hang = True, fault_rate, 3.0
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "wave.db"))
        services = build_services(settings, poll_interval=0.05)
        await services.db.open()
        bot = Bot(TOKEN, base_url=emulator.base_url, request=_request())
        await bot.initialize()
        outbox = services.outbox
        async with services.db.transaction() as tx:
            for i in range(n):   # a wave of check-in questions
                await outbox._queue(tx, FIRST_CHAT + i, _text(i), None, lane=Lane.CHECKIN, purpose="bench")

        async def emergency() -> None:
            async with services.db.transaction() as tx:
                await outbox._queue(tx, EMERGENCY_CHAT, "EMERGENCY", None, lane=Lane.EMERGENCY, purpose="bench")
            outbox.kick()

        try:
            t0 = time.perf_counter()
            outbox.start(bot)
            latency = await _emergency_at_half(emulator, n, emergency)
            await outbox.drain(timeout=3600)
            elapsed = time.perf_counter() - t0
            async with services.db.transaction() as tx:
                counted = await tx.value("SELECT coalesce(sum(unknown_outcomes), 0) FROM outbox")
        finally:
            await outbox.stop()
            await bot.shutdown()
            await services.db.close()
    await emulator.stop()
    return _result(emulator, n, elapsed, latency, unknown_counted=counted)


async def ptb_wave(n: int, fault_rate: float) -> dict[str, Any]:
    """python-telegram-bot's AIORateLimiter: every message sent at once, the limiter paces them
    and retries a 429 (up to 5 times); an error other than a 429 is retried 8 times, a second
    apart, by the caller, as a bot without an outbox would."""
    from telegram.error import NetworkError, RetryAfter
    from telegram.ext import AIORateLimiter, ExtBot

    from bot.devtools.emulator import TOKEN, Emulator

    emulator = Emulator()
    emulator.enforce_limits, emulator.fault_rate, emulator.hang = True, fault_rate, 3.0
    await emulator.start()
    bot = ExtBot(TOKEN, base_url=emulator.base_url, request=_request(), rate_limiter=AIORateLimiter(max_retries=5))
    await bot.initialize()
    failed = 0

    async def send(chat_id: int, text: str) -> None:
        nonlocal failed
        for attempt in range(8):
            try:
                await bot.send_message(chat_id, text)
                return
            except RetryAfter:
                break   # the limiter's own retries are spent
            except NetworkError:
                await asyncio.sleep(1.0)
        failed += 1

    t0 = time.perf_counter()
    wave = asyncio.gather(*(send(FIRST_CHAT + i, _text(i)) for i in range(n)))

    async def emergency() -> None:
        asyncio.ensure_future(send(EMERGENCY_CHAT, "EMERGENCY"))

    latency = await _emergency_at_half(emulator, n, emergency)
    await wave
    elapsed = time.perf_counter() - t0
    await bot.shutdown()
    await emulator.stop()
    return _result(emulator, n, elapsed, latency, gave_up=failed)


async def frontdesk_burst(residents: int = 300, per_second: float = 20.0, volunteers: int = 200,
                          per_ticket: int = 15) -> dict[str, float]:
    """A building-wide outage through the outbox: `residents` people write at `per_second`, each
    ticket alerts `per_ticket` of `volunteers` (about 15 per grid) and the writer gets an
    acknowledgement. How long does each acknowledgement take, queued to delivered, while the
    alerts keep flowing? (The whole bot on 50,000 residents is the intake benchmark's.)"""
    import statistics
    import tempfile
    from pathlib import Path

    from telegram import Bot

    from bot.app import build_services
    from bot.config import load_settings
    from bot.delivery import Lane
    from bot.devtools.emulator import TOKEN, Emulator

    emulator = Emulator()
    emulator.enforce_limits = True
    await emulator.start()
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "burst.db"))
        services = build_services(settings, poll_interval=0.05)
        await services.db.open()
        bot = Bot(TOKEN, base_url=emulator.base_url, request=_request())
        await bot.initialize()
        outbox = services.outbox
        outbox.start(bot)
        waits = []
        try:
            t0 = time.perf_counter()
            for n in range(residents):
                await asyncio.sleep(max(0.0, t0 + n / per_second - time.perf_counter()))
                resident = 200_000 + n
                async with services.db.transaction() as tx:
                    await tx.execute(
                        """INSERT INTO tickets (id, status, urgency, category, lang, text, grid, reporter_chat_id,
                                                created_at, updated_at)
                           VALUES (?, 'open', 'urgent', 'power', 'en', 'outage', 'G1', ?, 0, 0)""", (n + 1, resident))
                    await outbox._queue(tx, resident, f"got it #{n + 1}", None, lane=Lane.REPLY, purpose="ack",
                                        ticket_id=n + 1)
                    for k in range(per_ticket):
                        volunteer = 300_000 + (n * per_ticket + k) % volunteers
                        await outbox._queue(tx, volunteer, f"alert #{n + 1}", None, lane=Lane.ALERT, purpose="alert",
                                            ticket_id=n + 1)
                outbox.kick()
                queued = time.perf_counter()

                async def heard(chat: int = resident, since: float = queued) -> None:
                    await emulator.wait_for(lambda: emulator.chat(chat), 600, "the acknowledgement")
                    latencies.append(time.perf_counter() - since)
                waits.append(asyncio.ensure_future(heard()))
            await asyncio.gather(*waits)
            burst = time.perf_counter() - t0
            alerts = sum(len(emulator.chat(300_000 + v)) for v in range(volunteers))
        finally:
            await outbox.stop()
            await bot.shutdown()
            await services.db.close()
    await emulator.stop()
    latencies.sort()
    return {"burst_ack_p50_s": statistics.median(latencies), "burst_ack_p99_s": latencies[int(len(latencies) * 0.99)],
            "burst_alerts_delivered_meanwhile": float(alerts), "burst_seconds": burst,
            "burst_429s": float(emulator.throttled)}


def _row(name: str, r: dict[str, Any]) -> str:
    emergency = f"{r['emergency_s']:.2f}" if r["emergency_s"] is not None else "-"
    return (f"| {name} | {r['messages_per_s']:.1f} | {r['overall_per_s']:.1f} | {r['429s']} | {r['twice']} ({r['copies']}) | {r['none']} | {emergency} | "
            f"{r.get('unknown_counted', '-')} |")


async def run(n: int, ptb: bool = True) -> list[tuple[str, dict[str, Any]]]:
    results = []
    for label, rate in (("no faults", 0.0), ("10% 5xx and time-outs", 0.1)):
        results.append((f"frontdesk outbox, {label}", await frontdesk_wave(n, rate)))
        if ptb:
            try:
                import aiolimiter  # noqa: F401
            except ImportError:
                print("(python-telegram-bot[rate-limiter] is not installed: its column is left out)")
                ptb = False
                continue
            results.append((f"PTB AIORateLimiter, {label}", await ptb_wave(n, rate)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="messages (and chats) in the wave")
    parser.add_argument("--no-ptb", action="store_true", help="leave out python-telegram-bot's AIORateLimiter")
    parser.add_argument("--burst", action="store_true", help="also the burst: acknowledgements among alerts")
    args = parser.parse_args()
    import logging
    logging.basicConfig(level=logging.ERROR)
    results = asyncio.run(run(args.n, not args.no_ptb))
    print(f"\nThe wave: {args.n:,} messages to {args.n:,} chats, an emergency queued half-way\n")
    print("| engine, run | messages/s sustained | messages/s first to last | 429s | chats that got one twice (extra copies) "
          "| chats that got none | emergency delivered after (s) | sends of unknown outcome, counted |")
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results:
        print(_row(name, r))
    for name, r in results:
        print(f"  {name}: {r['seconds']:.1f} s in all, injected {r['injected']}"
              + (f", gave up on {r['gave_up']}" if "gave_up" in r else ""))
    if args.burst:
        burst = asyncio.run(frontdesk_burst())
        print("\nThe burst: 300 residents writing at 20/s, 15 alerts per ticket to 200 volunteers")
        for name, value in burst.items():
            print(f"  {name:<34} {value:,.3f}")


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
