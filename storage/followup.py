"""After the claim: the claimant's ack timer on the tickets table (migration 015) and their "on my
way". Every step is a conditional UPDATE: a step fires once however the ticks race."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def due(tx: Tx, now: float, limit: int = 200) -> list[dict[str, Any]]:
    """Claimed tickets whose timer is due, the most overdue first."""
    rows = await tx.all(
        """SELECT id, urgency, claimed_by, ack_due_at, ack_stage FROM tickets
           WHERE status = 'claimed' AND ack_due_at <= ? ORDER BY ack_due_at LIMIT ?""",
        (now, limit),
    )
    return [dict(row) for row in rows]


async def lock_due(tx: Tx, ticket_id: int, now: float) -> bool:
    """The first statement of firing a claimed ticket's timer: its row, if still claimed and due,
    locked for this transaction (PostgreSQL; SKIP LOCKED: one another worker is firing is
    skipped). `advance` and `take_back` still decide, as compare-and-sets."""
    return await tx.value(f"SELECT id FROM tickets WHERE id = ? AND status = 'claimed' AND ack_due_at <= ?"
                          f"{tx.dialect.skip_locked}", (ticket_id, now)) is not None


async def without_timer(tx: Tx, limit: int = 200) -> list[dict[str, Any]]:
    """Claimed tickets with no timer yet (claimed before the timer existed)."""
    rows = await tx.all(
        "SELECT id, urgency FROM tickets WHERE status = 'claimed' AND ack_due_at IS NULL ORDER BY id LIMIT ?",
        (limit,),
    )
    return [dict(row) for row in rows]


async def set_timer(tx: Tx, ticket_id: int, due_at: float, stage: int, now: float,
                    claimed_by: int | None = None) -> bool:
    """Start the timer again on a ticket still claimed (by `claimed_by`, when given)."""
    cursor = await tx.execute(
        """UPDATE tickets SET ack_due_at = ?, ack_stage = ?, updated_at = ?
           WHERE id = ? AND status = 'claimed' AND (CAST(? AS INTEGER) IS NULL OR claimed_by = ?)""",
        (due_at, stage, now, ticket_id, claimed_by, claimed_by),
    )
    return cursor.rowcount == 1


async def pull_in(tx: Tx, ticket_id: int, due_at: float, now: float) -> None:
    """The timer of a claimed ticket fires no later than `due_at`."""
    await tx.execute(
        """UPDATE tickets SET ack_due_at = ?, updated_at = ?
           WHERE id = ? AND status = 'claimed' AND (ack_due_at IS NULL OR ack_due_at > ?)""",
        (due_at, now, ticket_id, due_at),
    )


async def advance(tx: Tx, ticket_id: int, stage: int, now: float, due_at: float, next_stage: int) -> bool:
    """The reminder fires: only if the timer is still at `stage` and due (not reset by a word from
    the claimant, not advanced by another tick)."""
    cursor = await tx.execute(
        """UPDATE tickets SET ack_due_at = ?, ack_stage = ?, updated_at = ?
           WHERE id = ? AND status = 'claimed' AND ack_stage = ? AND ack_due_at <= ?""",
        (due_at, next_stage, now, ticket_id, stage, now),
    )
    return cursor.rowcount == 1


async def take_back(tx: Tx, ticket_id: int, stage: int, claimed_by: int, now: float) -> bool:
    """Back to the pool: only if still claimed by the same volunteer, at `stage`, and due."""
    cursor = await tx.execute(
        """UPDATE tickets SET status = 'open', claimed_by = NULL, claimed_at = NULL, ack_due_at = NULL,
                  ack_stage = 0, on_way_at = NULL, updated_at = ?
           WHERE id = ? AND status = 'claimed' AND claimed_by = ? AND ack_stage = ? AND ack_due_at <= ?""",
        (now, ticket_id, claimed_by, stage, now),
    )
    return cursor.rowcount == 1


async def mark_on_way(tx: Tx, ticket_id: int, claimed_by: int, now: float) -> bool:
    """The claimant is on the way: True the first time this claim says so."""
    cursor = await tx.execute(
        """UPDATE tickets SET on_way_at = ?, updated_at = ?
           WHERE id = ? AND status = 'claimed' AND claimed_by = ? AND on_way_at IS NULL""",
        (now, now, ticket_id, claimed_by),
    )
    return cursor.rowcount == 1
