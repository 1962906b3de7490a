"""One process on SQLite against three workers on PostgreSQL (`python -m bench.scaleout`): the burst of
#13 (residents write at 20 messages/s, each ticket alerts the ~15 volunteers of its grid) through
deploy/Procfile's webhook workers as real processes, the emulator enforcing Telegram's limits (30
messages/s overall, about one a second per chat, a 429 past them) and playing the reverse proxy
(each update POSTed to the workers in turn; nginx is not started). The SQLite desk is the
Procfile's first line alone on a file; the PostgreSQL desk all three lines on a throw-away cluster
(tests/pgcluster.py: fsync off, so the database's disk is not measured).

Measured, side by side:
- acknowledgement: a resident's message to the first answer in their chat, p50 and p99;
- the webhook's own acknowledgement (POST to 200: the update committed), p50/p99;
- alerts/s: alerts delivered, first to last; 429s from the emulator;
- CPU seconds per report: user+system of the workers (/proc, during the burst and its alerts),
  and of the PostgreSQL server's processes beside them.

    python -m bench.scaleout                    # 300 residents, 200 volunteers in 13 grids
    python -m bench.scaleout --writers 100      # a shorter run
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

RESIDENT = 1_000_000
VOLUNTEER = 2_000_000
TEXTS = ("No power in the whole building, lifts stopped", "整栋楼停电了，电梯也停了",
         "water leaking from the ceiling of the stairwell", "楼道里的水管爆了，到处是水")


def _pct(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * share))] if values else float("nan")


def _postgres_cpu(cluster: Any) -> float:
    """User+system CPU of the cluster's postmaster and its live children (the backends)."""
    import os

    ticks = os.sysconf("SC_CLK_TCK")
    pid = int((cluster.data / "postmaster.pid").read_text().split()[0])
    pids = {pid} | {int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}
    total = 0.0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(f) for f in fields[11:15]) / ticks   # utime, stime, cutime, cstime
    return total


async def _seed(location: str, tmp: Path, writers: int, volunteers: int, grids: int) -> None:
    from bot.clock import SystemClock
    from bot.services import import_residents, import_volunteers
    from storage import Database

    people = tmp / "residents.csv"   # one writer per building (a building's problem twice is alerted once)
    people.write_text("name,phone,telegram_id,building,unit,room,grid,language\n" + "".join(
        f"R{n},139{n:08d},{RESIDENT + n},{n + 1},1,101,G{n % grids + 1},{'en' if n % 2 else 'zh'}\n"
        for n in range(writers)), encoding="utf-8")
    crew = tmp / "volunteers.csv"
    crew.write_text("name,phone,telegram_id,team,role,grids,language\n" + "".join(
        f"V{n},137{n:08d},{VOLUNTEER + n},team{n % grids + 1},{'leader' if n < grids else 'member'},"
        f"G{n % grids + 1},zh\n" for n in range(volunteers)), encoding="utf-8")
    db = await Database(location).open()
    try:
        await import_residents(db, people, SystemClock())
        await import_volunteers(db, crew, SystemClock())
    finally:
        await db.close()


async def run(engine: str, writers: int, rate: float, volunteers: int, grids: int) -> dict[str, Any]:
    from bot.devtools.emulator import Emulator
    from tests.e2e.workers import Deployment

    emulator = Emulator()
    await emulator.start()
    emulator.enforce_limits = True
    cluster = None
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        if engine == "postgres":
            import asyncpg

            from tests.pgcluster import Cluster

            cluster = Cluster().start()
            admin = await asyncpg.connect(cluster.url())
            await admin.execute("CREATE DATABASE bench")
            await admin.close()
            location, workers = cluster.url("bench"), 3
        else:
            location, workers = str(tmp / "frontdesk.db"), 1
        try:
            await _seed(location, tmp, writers, volunteers, grids)
            desk = Deployment(emulator, location, tmp, workers=workers)
            await desk.start()
            try:
                first_answer: dict[int, float] = {}
                alert_times: list[float] = []
                original = emulator._api_sendMessage

                async def watched(params: dict[str, Any]) -> Any:
                    sent = await original(params)
                    chat = int(params["chat_id"])
                    if chat >= VOLUNTEER:
                        alert_times.append(time.perf_counter())
                    else:
                        first_answer.setdefault(chat, time.perf_counter())
                    return sent

                emulator._api_sendMessage = watched  # type: ignore[method-assign]
                cpu0 = sum(w.cpu_seconds() for w in desk.workers)
                db_cpu0 = _postgres_cpu(cluster) if cluster else 0.0
                wrote: dict[int, float] = {}
                started = time.perf_counter()
                for n in range(writers):
                    await asyncio.sleep(max(0.0, started + n / rate - time.perf_counter()))
                    wrote[RESIDENT + n] = time.perf_counter()
                    emulator.user(RESIDENT + n, f"R{n}", "en" if n % 2 else "zh").send(TEXTS[n % len(TEXTS)])
                expected = sum(len([v for v in range(volunteers) if v % grids == n % grids]) for n in range(writers))
                deadline = time.perf_counter() + 600
                while time.perf_counter() < deadline and (len(first_answer) < writers or len(alert_times) < expected):
                    await asyncio.sleep(0.1)
                cpu = sum(w.cpu_seconds() for w in desk.workers) - cpu0
                db_cpu = (_postgres_cpu(cluster) - db_cpu0) if cluster else 0.0
            finally:
                await desk.stop()
        finally:
            await emulator.stop()
            if cluster is not None:
                cluster.stop()
    waits = [first_answer[chat] - at for chat, at in wrote.items() if chat in first_answer]
    span = (alert_times[-1] - alert_times[0]) if len(alert_times) > 1 else float("nan")
    return {
        "desk": "1 process, SQLite" if engine == "sqlite" else "3 workers, PostgreSQL",
        "answered": f"{len(waits)}/{writers}", "ack_p50_s": statistics.median(waits) if waits else float("nan"),
        "ack_p99_s": _pct(waits, 0.99), "webhook_p50_ms": statistics.median(emulator.webhook_seconds) * 1000,
        "webhook_p99_ms": _pct(emulator.webhook_seconds, 0.99) * 1000,
        "alerts": f"{len(alert_times)}/{expected}", "alerts_per_s": (len(alert_times) - 1) / span if span else 0.0,
        "429s": emulator.throttled, "cpu_per_report_ms": cpu / writers * 1000,
        "db_cpu_per_report_ms": db_cpu / writers * 1000 if cluster else None,
        "duplicates": emulator.duplicates,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="messages a second from the residents")
    parser.add_argument("--volunteers", type=int, default=200)
    parser.add_argument("--grids", type=int, default=13)
    parser.add_argument("--engine", choices=("sqlite", "postgres"), action="append")
    args = parser.parse_args()
    import logging
    logging.basicConfig(level=logging.ERROR)
    results = [asyncio.run(run(engine, args.writers, args.rate, args.volunteers, args.grids))
               for engine in args.engine or ["sqlite", "postgres"]]
    print(f"\nThe burst: {args.writers} residents of {args.writers} buildings writing at {args.rate:g}/s, each ticket "
          f"alerting its grid's volunteers ({args.volunteers} in {args.grids} grids), Telegram's limits enforced\n")
    print("| desk | answered | ack p50 (s) | ack p99 (s) | webhook 200 p50/p99 (ms) | alerts delivered | alerts/s "
          "| 429s | CPU per report, workers (ms) | CPU per report, PostgreSQL (ms) | chats that heard a text twice |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        db_cpu = f"{r['db_cpu_per_report_ms']:.1f}" if r["db_cpu_per_report_ms"] is not None else "-"
        print(f"| {r['desk']} | {r['answered']} | {r['ack_p50_s']:.2f} | {r['ack_p99_s']:.2f} | "
              f"{r['webhook_p50_ms']:.1f} / {r['webhook_p99_ms']:.1f} | {r['alerts']} | {r['alerts_per_s']:.1f} | "
              f"{r['429s']} | {r['cpu_per_report_ms']:.1f} | {db_cpu} | {r['duplicates']} |")


if __name__ == "__main__":
    main()
