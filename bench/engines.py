"""The storage layer on each engine, side by side (`python -m bench.engines`): the same repository
calls on an SQLite file and on a throw-away PostgreSQL 15 cluster on this machine (unix socket,
durability off as in the tests: a lower bound for a real server across a network).

- enqueue: one outbox row per transaction (what an alert costs the database);
- claim: the delivery engine's read of what is due (500 pending rows) and one compare-and-set claim;
- batch: 500 rows queued in one transaction (a broadcast's batch).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from storage import Database
from storage import outbox as repo


async def measure(location: str, n: int) -> dict[str, float]:
    db = await Database(location).open()
    try:
        times: list[float] = []
        for i in range(n):
            start = time.perf_counter()
            async with db.transaction() as tx:
                await repo.enqueue(tx, chat_id=1000 + i, text=f"alert {i}", priority=1, purpose="alert", now=1.0)
            times.append(time.perf_counter() - start)
        claims: list[float] = []
        for _ in range(50):
            start = time.perf_counter()
            async with db.transaction() as tx:
                rows = await repo.due(tx, 2.0, 20)
                await repo.claim(tx, rows[0]["id"], 2.0)
                await tx.execute("UPDATE outbox SET claimed_at = NULL WHERE id = ?", (rows[0]["id"],))
            claims.append(time.perf_counter() - start)
        start = time.perf_counter()
        async with db.transaction() as tx:
            for i in range(500):
                await repo.enqueue(tx, chat_id=5000 + i, text="news", priority=0, purpose="broadcast", now=1.0)
        batch = time.perf_counter() - start
    finally:
        await db.close()
    return {"enqueue p50 ms": statistics.median(times) * 1000,
            "enqueue p99 ms": sorted(times)[int(len(times) * 0.99) - 1] * 1000,
            "due+claim p50 ms": statistics.median(claims) * 1000,
            "500 rows in one transaction ms": batch * 1000}


async def main(n: int) -> None:
    from tests.pgcluster import Cluster

    cluster = Cluster().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            sqlite = await measure(str(Path(tmp) / "bench.db"), n)
        postgres = await measure(cluster.url(), n)
    finally:
        cluster.stop()
    print(f"{'':32} {'sqlite':>8} {'postgres':>9}")
    for key in sqlite:
        print(f"{key:32} {sqlite[key]:8.2f} {postgres[key]:9.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=500, help="enqueue transactions (default 500)")
    asyncio.run(main(parser.parse_args().n))
