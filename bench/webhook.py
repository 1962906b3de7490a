"""Long polling against the webhook (`python -m bench.webhook`): one bot process on SQLite, the
real Application against the emulator over HTTP, Telegram's per-chat limits lifted to measure the
bot itself.

- one at a time: a resident's text to the bot's answer (p50/p95), by getUpdates and by webhook,
  and the webhook's acknowledgement (POST to 200: the update committed to the inbox);
- a burst: BURST residents write at once; the time until every one has its answer, and the
  acknowledgement p50/p99 under it (the emulator posts one update at a time, in order, as
  Telegram does for one bot with one connection).

Numbers, not pass/fail.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.run import SAMPLES

ONE_AT_A_TIME = 100
BURST = 300
SECRET = "bench-secret"


def _pct(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] * 1000


async def run(mode: str) -> dict[str, Any]:
    from bot.app import build_application, build_services, start, stop
    from bot.config import load_settings
    from bot.core import FloodControl, Limits
    from bot.devtools.emulator import TOKEN, Emulator
    from bot.webhook_server import WebhookServer

    emulator = Emulator()
    await emulator.start()
    results: dict[str, Any] = {"mode": mode}
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(telegram_bot_token=TOKEN, telegram_api_base_url=emulator.base_url,
                                 frontdesk_db=str(Path(tmp) / "bench.db"), _env_file=None)
        roomy = FloodControl(Limits(overall=(1000, 1.0), private=(1000, 1.0), group=(1000, 1.0)))
        services = build_services(settings, flood=roomy, poll_interval=0.02)
        application = build_application(services)
        webhook = mode == "webhook"
        await start(application, poll_timeout=1, webhook=webhook)
        server = None
        if webhook:
            server = WebhookServer(services, "/telegram", SECRET, "127.0.0.1", 0)
            await server.start()
            await application.bot.set_webhook(server.url, secret_token=SECRET)
        try:
            latencies = []
            for n in range(ONE_AT_A_TIME):
                person = emulator.user(20_000 + n, "Bench", "zh")
                t0 = time.perf_counter()
                person.send(SAMPLES[n % len(SAMPLES)])
                await person.next_message(None, timeout=10)
                latencies.append(time.perf_counter() - t0)
            results["text_to_answer_p50_ms"] = statistics.median(latencies) * 1000
            results["text_to_answer_p95_ms"] = _pct(latencies, 0.95)
            if webhook:
                results["ack_p50_ms"] = statistics.median(emulator.webhook_seconds) * 1000
                results["ack_p99_ms"] = _pct(emulator.webhook_seconds, 0.99)
                emulator.webhook_seconds.clear()

            people = [emulator.user(40_000 + n, "Burst", "zh") for n in range(BURST)]
            t0 = time.perf_counter()
            for n, person in enumerate(people):
                person.send(SAMPLES[n % len(SAMPLES)])
            await asyncio.gather(*(person.next_message(None, timeout=120) for person in people))
            results["burst_all_answered_s"] = time.perf_counter() - t0
            if webhook:
                results["burst_ack_p50_ms"] = statistics.median(emulator.webhook_seconds) * 1000
                results["burst_ack_p99_ms"] = _pct(emulator.webhook_seconds, 0.99)
                results["non_2xx"] = sum(1 for _, status in emulator.webhook_log if not 200 <= status < 300)
        finally:
            if server is not None:
                await server.stop()
            await stop(application)
    await emulator.stop()
    return results


def main() -> None:
    for mode in sys.argv[1:] or ["polling", "webhook"]:
        result = asyncio.run(run(mode))
        print(" ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
