"""A broadcast to 10,000 residents (`python -m bench.broadcast [--n 10000] [--batch 500]`): the real
Application against the emulator with Telegram's limits enforced (a 429 past 30 a second overall or
3 a second per chat, counted), the real FloodControl and the system clock. An admin types
/broadcast all, waits for the preview, presses Send; halfway an emergency is queued.

Reported: the sustained rate (deliveries per second between the 10th and the 90th percentile of the
broadcast), the 429s, duplicates, the duration from Send to the summary, how long the admin waits
for the preview and for Send to be answered, the emergency's latency, a resident's text answered
while the broadcast runs (is the bot still responsive?), and how long each batch's transaction holds
the database (against one transaction of every recipient at once)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

ADMIN = 9001
FIRST = 1_000_000
HEADER = "居委会通知"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))] if values else float("nan")


async def bench_broadcast(count: int = 10_000, batch: int = 500) -> dict[str, float]:
    from bot.app import build_application, build_services, start, stop
    from bot.config import load_settings
    from bot.delivery import Lane
    from bot.devtools.emulator import TOKEN, Emulator
    from storage import broadcasts as repo

    emulator = Emulator()
    emulator.enforce_limits = True
    await emulator.start()
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "broadcast.db"), admin_ids=frozenset({ADMIN}),
                                 default_language="zh", broadcast_batch=batch)
        services = build_services(settings, poll_interval=0.05)   # Telegram's real limits, the system clock
        application = build_application(services)
        await start(application, poll_timeout=1)
        try:
            t0 = time.perf_counter()
            now = time.time()
            async with services.db.transaction() as tx:   # seeded in the store: registering 10,000 by chat takes hours
                await tx.executemany(
                    """INSERT INTO residents (telegram_id, name, building, grid, language, registered_at, created_at,
                                              updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                    [(FIRST + i, f"R{i}", str(i % 40), f"G{i % 5}", "zh" if i % 3 else "en", now, now, now)
                     for i in range(count)])
            results["seed_s"] = time.perf_counter() - t0

            # how long each batch holds the database
            held: list[float] = []
            queue_batch = services.broadcasts._queue_batch

            async def timed(tx: Any, found: dict[str, Any]) -> dict[str, Any]:
                t = time.perf_counter()
                try:
                    return await queue_batch(tx, found)
                finally:
                    held.append(time.perf_counter() - t)
            services.broadcasts._queue_batch = timed  # type: ignore[method-assign]

            admin = emulator.user(ADMIN, "Admin", "zh")
            t0 = time.perf_counter()
            admin.send("/broadcast all 明天上午 9:00-12:00 停水，请提前储水。\nWater is off tomorrow 9:00-12:00.")
            confirm = await admin.next_message("确定发送", timeout=30)
            results["preview_wait_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            query = admin.press(confirm, confirm.button("bcsend"))
            await admin.answer_to(query, timeout=30)
            results["send_ack_s"] = time.perf_counter() - t0
            started = time.perf_counter()

            # halfway (recipients are queued in order): an emergency alert, and people writing to the bot
            await emulator.wait_for(lambda: emulator.chats.get(FIRST + count // 2), 3600, "half the broadcast")
            t0 = time.perf_counter()
            async with services.db.transaction() as tx:
                await services.outbox.post(tx, 99_999, "en", "edit_update", lane=Lane.EMERGENCY, purpose="test",
                                           ticket={"id": 0}, text="EMERGENCY in the middle")
            services.outbox.kick()
            await emulator.wait_for(lambda: emulator.chats.get(99_999), 60, "the emergency")
            results["emergency_latency_s"] = time.perf_counter() - t0
            replies = []
            for n in range(5):
                person = emulator.user(50_000 + n, "Walk-in", "zh")
                t0 = time.perf_counter()
                person.send("/help")
                await person.next_message(None, timeout=30)
                replies.append(time.perf_counter() - t0)
            results["reply_during_broadcast_p50_s"] = statistics.median(replies)
            results["reply_during_broadcast_max_s"] = max(replies)

            summary = await admin.next_message("发完了", timeout=3600)
            results["duration_s"] = time.perf_counter() - started
            times = sorted(m.sent_at for chat in range(FIRST, FIRST + count) for m in emulator.chats.get(chat, [])[:1])
            lo, hi = times[len(times) // 10], times[len(times) * 9 // 10]
            results["sustained_per_s"] = (len(times) * 9 // 10 - len(times) // 10) / (hi - lo) if hi > lo else 0.0
            results["overall_per_s"] = len(times) / results["duration_s"]
            results["delivered"] = float(len(times))
            results["429s"] = float(emulator.throttled)
            results["duplicates"] = float(emulator.duplicates)
            progress = next(m for m in emulator.chat(ADMIN) if m.message_id == confirm.message_id)
            results["progress_edits"] = float(len(progress.edits))
            results["batches"] = float(len(held))
            results["batch_tx_p50_ms"] = statistics.median(held) * 1000
            results["batch_tx_max_ms"] = max(held) * 1000
            results["summary_ok"] = float(f"已发送：{count} 人" in summary.text)

            # for comparison: every recipient queued in one transaction (rolled back)
            found = {"id": 10**6, "audience": "all", "target": None, "cursor": 0, "skipped": 0, "photo_file_id": None,
                     "text": "one transaction"}
            services.broadcasts.settings = settings.model_copy(update={"broadcast_batch": count})
            t0 = time.perf_counter()
            try:
                async with services.db.transaction() as tx:
                    await queue_batch(tx, found)
                    results["one_tx_all_ms"] = (time.perf_counter() - t0) * 1000
                    raise _Rollback
            except _Rollback:
                pass
            async with services.db.transaction() as tx:
                t0 = time.perf_counter()
                await repo.counts(tx, 1)
                results["progress_count_ms"] = (time.perf_counter() - t0) * 1000
        finally:
            await stop(application)
    await emulator.stop()
    return results


class _Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(bench_broadcast(args.n, args.batch))
    if args.json:
        print(json.dumps(results))
        return
    for name, value in results.items():
        print(f"broadcast_{name:<32} {value:,.3f}")


if __name__ == "__main__":
    main()
