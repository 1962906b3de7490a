"""What the sender's fenced claim costs on PostgreSQL, and how fast a follower takes over.

    python -m bench.claims [--rows 10000] [--claims 1000]

On a throw-away cluster (tests/pgcluster.py): an outbox of `--rows` pending rows; `--claims` claims
one at a time, each its own transaction as the engine makes them (the epoch read FOR SHARE, then
the row's claim under FOR UPDATE SKIP LOCKED), then as many fenced mark-sents; the plan of the
claim; and the take-over: a leader's connections closed abruptly, the time until another worker
(trying every --retry seconds) leads.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from bot.clock import FakeClock
from bot.delivery.leader import Leadership
from storage import Database, leader as leader_repo, outbox as repo
from tests.pgcluster import Cluster


async def run(rows: int, claims: int, retry: float) -> None:
    cluster = Cluster().start()
    try:
        import asyncpg

        admin = await asyncpg.connect(cluster.url())
        await admin.execute("CREATE DATABASE bench")
        await admin.close()
        url = cluster.url("bench")
        db = await Database(url).open()
        clock = FakeClock()
        me = Leadership(db, clock, retry=retry, me="bench:1")
        await me.start()
        epoch = me.epoch
        assert epoch is not None
        async with db.transaction() as tx:
            for n in range(rows):
                await repo.enqueue(tx, chat_id=1000 + n % 500, text=f"m{n}", priority=n % 5, purpose="bench",
                                   now=clock.now())
            ids = [r["id"] for r in await tx.all("SELECT id FROM outbox ORDER BY id LIMIT ?", (claims,))]
            await tx.execute("ANALYZE outbox")
        took = []
        for outbox_id in ids:
            start = time.perf_counter()
            async with db.transaction() as tx:
                assert await leader_repo.holds(tx, epoch)
                assert await repo.claim(tx, outbox_id, clock.now(), epoch)
            took.append(time.perf_counter() - start)
        marks = []
        for outbox_id in ids:
            start = time.perf_counter()
            async with db.transaction() as tx:
                assert await repo.mark_sent(tx, outbox_id, 1, clock.now(), epoch)
            marks.append(time.perf_counter() - start)
        async with db.transaction() as tx:
            plan = await tx.all(
                "EXPLAIN ANALYZE " + tx.dialect.query(
                    "UPDATE outbox SET claimed_at = ?, claim_epoch = ? WHERE id IN (SELECT id FROM outbox WHERE id = ? "
                    "AND status = 'pending' AND claimed_at IS NULL AND next_attempt_at <= ? FOR UPDATE SKIP LOCKED)"),
                (clock.now(), epoch, ids[-1] + 1, clock.now()))
            await tx.execute("UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL WHERE id = ?", (ids[-1] + 1,))
        print(f"outbox of {rows} rows; {claims} claims, each its own transaction (epoch FOR SHARE + claim):")
        print(f"  claim     p50 {statistics.median(took) * 1000:.2f} ms  p99 {sorted(took)[int(len(took) * .99)] * 1000:.2f} ms")
        print(f"  mark-sent p50 {statistics.median(marks) * 1000:.2f} ms  p99 {sorted(marks)[int(len(marks) * .99)] * 1000:.2f} ms")
        print("  plan of one claim:")
        for line in plan:
            print("    " + line[0])

        # the take-over: a second worker tries every `retry` seconds
        other_db = await Database(url).open()
        other = Leadership(other_db, clock, retry=retry, me="bench:2")
        await other.start()
        assert not other.leading
        me._lock.conn.terminate()     # what PostgreSQL sees of a leader killed
        db._conn.terminate()
        me._task.cancel()
        start = time.perf_counter()
        while not other.leading:
            await asyncio.sleep(0.005)
        print(f"take-over after the leader's connections died: {time.perf_counter() - start:.2f} s "
              f"(retry {retry} s), epoch {other.epoch}")
        await other.stop()
        await other_db.close()
    finally:
        cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--retry", type=float, default=2.0)
    args = parser.parse_args()
    asyncio.run(run(args.rows, args.claims, args.retry))


if __name__ == "__main__":
    main()
