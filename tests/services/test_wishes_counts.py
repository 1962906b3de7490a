"""Micro-wishes in /stats: storage/wishes.py `counts` counts each step by its own time, per grid."""

from __future__ import annotations

from storage import wishes as repo

DAY = 86400.0


async def _wish(tx, grid: str, created: float, **steps: float) -> int:
    wish_id, _ = await repo.create(tx, {"status": "pending", "text": "a winter coat", "resident_chat_id": 5001,
                                        "grid": grid}, created)
    if steps:
        await repo.update(tx, wish_id, steps, created)
    return wish_id


async def test_each_step_counts_in_the_period_it_happened(desk):
    async with desk.s.db.transaction() as tx:
        # made last week, approved and adopted last week, fulfilled this week
        await _wish(tx, "G1", 1 * DAY, approved_at=1.5 * DAY, adopted_at=2 * DAY, fulfilled_at=8 * DAY)
        # made this week, still pending
        await _wish(tx, "G1", 9 * DAY)
        # another grid, the whole way this week
        await _wish(tx, "G2", 8 * DAY, approved_at=8.1 * DAY, adopted_at=8.2 * DAY, fulfilled_at=9 * DAY)
        last_week, this_week = (0.0, 7 * DAY), (7 * DAY, 14 * DAY)
        assert await repo.counts(tx, *last_week) == {"new": 1, "approved": 1, "adopted": 1, "fulfilled": 0}
        assert await repo.counts(tx, *this_week) == {"new": 2, "approved": 1, "adopted": 1, "fulfilled": 2}
        assert await repo.counts(tx, *this_week, grids=["G1"]) == {"new": 1, "approved": 0, "adopted": 0,
                                                                    "fulfilled": 1}
        assert await repo.counts(tx, *this_week, grids=[]) == {"new": 0, "approved": 0, "adopted": 0, "fulfilled": 0}
        # [start, end): a step exactly at the end belongs to the next period
        assert (await repo.counts(tx, 0.0, 8 * DAY))["fulfilled"] == 0
        assert (await repo.counts(tx, 8 * DAY, 8 * DAY + 1))["fulfilled"] == 1
