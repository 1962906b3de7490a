"""Benchmarks (`python -m bench.run`): triage speed and the delivery engine's throughput.

Numbers, not pass/fail: the README and the closing notes quote them.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

from bot.triage import Engine, Entry, load_lexicon

SAMPLES = [
    "我家水管爆了，水漫到客厅了", "老伴摔倒了起不来，快来人", "楼道灯坏了好几天了", "请问社区几点下班",
    "The heating is off and my mother is 88", "I think I smell gas in the hallway", "Thanks for the mooncakes!",
    "隔壁装修太吵了，周末七点就开始砸墙", "電梯壞了，我被困在裡面", "fell in the shower cant get up",
]


def bench_triage() -> dict[str, float]:
    started = time.perf_counter()
    engine = Engine(load_lexicon())
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
    Engine(engine.lexicon.with_entries(keywords))
    rebuild = time.perf_counter() - t0
    return {
        "triage_startup_ms": startup * 1000,
        "triage_rebuild_with_50_keywords_ms": rebuild * 1000,
        "triage_p50_ms": statistics.median(latencies) * 1000,
        "triage_p99_ms": latencies[int(len(latencies) * 0.99)] * 1000,
        "triage_per_second": len(latencies) / sum(latencies),
    }


async def bench_outbox(count: int = 600) -> dict[str, float]:
    """Queue `count` messages to distinct private chats and time their delivery through the
    real engine and python-telegram-bot to the emulator, with Telegram's real limits."""
    from bot.app import build_services
    from bot.config import load_settings
    from bot.emulator import TOKEN, Emulator
    from bot.outbox import Lane
    from telegram import Bot

    emulator = Emulator()
    await emulator.start()
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "bench.db"))
        services = build_services(settings, poll_interval=0.05)
        await services.db.open()
        bot = Bot(TOKEN, base_url=emulator.base_url)
        await bot.initialize()
        t0 = time.perf_counter()
        async with services.db.transaction() as tx:
            for n in range(count):
                lane = Lane.EMERGENCY if n == count - 1 else Lane.BULK
                await services.outbox.post(tx, 10_000 + n, "en", "edit_update", lane=lane, purpose="bench",
                                           ticket={"id": n}, text="announcement")
        enqueue = time.perf_counter() - t0
        services.outbox.start(bot)
        t1 = time.perf_counter()
        await services.outbox.drain(timeout=120)
        elapsed = time.perf_counter() - t1
        sends = [(t, chat) for t, method, chat in emulator.calls if method == "sendMessage"]
        emergency_position = [chat for _, chat in sends].index(10_000 + count - 1)
        await services.outbox.stop()
        await bot.shutdown()
        await services.db.close()
    await emulator.stop()
    return {
        "outbox_enqueue_per_second": count / enqueue,
        "outbox_delivered_per_second": count / elapsed,
        "outbox_emergency_send_position": float(emergency_position),
    }


def main() -> None:
    results = bench_triage()
    results.update(asyncio.run(bench_outbox()))
    for name, value in results.items():
        print(f"{name:<34} {value:,.3f}")


if __name__ == "__main__":
    main()
