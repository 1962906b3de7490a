"""`Database.unit`: the handling of one update is one transaction, so its "handled" mark and what
it wrote commit together or not at all (issue 13, nothing lost at intake)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import Database


class Crash(BaseException):
    """What a kill -9 does to the handling: nothing after it runs (here: the unit is not committed)."""


async def _db(tmp_path: Path) -> Database:
    db = await Database(str(tmp_path / "unit.sqlite")).open()
    async with db.transaction() as tx:
        await tx.execute("CREATE TABLE t (x INTEGER)")
    return db


async def _xs(db: Database) -> list[int]:
    async with db.transaction() as tx:
        return [row[0] for row in await tx.all("SELECT x FROM t ORDER BY x")]


async def test_a_unit_that_dies_undoes_every_transaction_inside_it(tmp_path):
    db = await _db(tmp_path)
    try:
        with pytest.raises(Crash):
            async with db.unit():
                async with db.transaction() as tx:      # a service's own transaction: a savepoint here
                    await tx.execute("INSERT INTO t VALUES (1)")
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (2)")
                raise Crash
        assert await _xs(db) == []
        async with db.unit():
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (3)")
        assert await _xs(db) == [3]
    finally:
        await db.close()


async def test_a_failing_service_inside_a_unit_undoes_only_its_own_work(tmp_path):
    db = await _db(tmp_path)
    try:
        async with db.unit():
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ValueError):
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (2)")
                    raise ValueError("this service failed")
        assert await _xs(db) == [1]
    finally:
        await db.close()


async def test_other_tasks_wait_for_the_unit_and_a_spawned_task_does_not_join_it(tmp_path):
    db = await _db(tmp_path)
    try:
        async def elsewhere(x: int) -> None:
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (?)", (x,))

        with pytest.raises(Crash):
            async with db.unit():
                async with db.transaction() as tx:
                    await tx.execute("INSERT INTO t VALUES (1)")
                # a task spawned inside the unit inherits its context but must not write into it
                spawned = asyncio.get_running_loop().create_task(elsewhere(2))
                await asyncio.sleep(0.05)
                assert not spawned.done()                 # it waits for the unit, as any other task
                raise Crash
        await spawned
        assert await _xs(db) == [2]                       # the unit's write is gone, the task's stays
    finally:
        await db.close()


async def test_what_waits_for_the_commit_runs_after_it_outside_the_lock(tmp_path):
    """A press's toast is a network call: made inside the unit it would hold the database (the
    outbox, the tick) for a round trip to Telegram. It runs once the unit has committed, when the
    database is free again (a transaction inside it would otherwise wait for ever)."""
    db = await _db(tmp_path)
    try:
        seen: list[list[int]] = []

        async def after() -> None:
            seen.append(await asyncio.wait_for(_xs(db), 2))  # needs the lock: it must be free

        async with db.unit():
            async with db.transaction() as tx:
                await tx.execute("INSERT INTO t VALUES (1)")
            await db.after_commit(after)
            assert seen == []  # not yet: nothing is committed
        assert seen == [[1]]
    finally:
        await db.close()


async def test_what_waits_for_a_commit_that_never_comes_does_not_run(tmp_path):
    db = await _db(tmp_path)
    try:
        ran: list[str] = []

        async def after() -> None:
            ran.append("toast")

        with pytest.raises(Crash):
            async with db.unit():
                await db.after_commit(after)
                raise Crash
        assert ran == []
        await db.after_commit(after)  # outside a unit: at once
        assert ran == ["toast"]
    finally:
        await db.close()
