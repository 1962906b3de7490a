"""Duplicates: the reports linked to an original request (tickets.linked_to, migration 023)."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def candidates(tx: Tx, building: str, category: str, since: float, not_id: int) -> list[dict[str, Any]]:
    """Originals still waiting or worked on in this building and category, reported since `since`
    (the tickets_duplicates index); the pure rule (bot/core/duplicates.py) decides."""
    rows = await tx.all(
        """SELECT id, reporter_chat_id, building, category, urgency, status, created_at, linked_to FROM tickets
           WHERE building = ? AND category = ? AND created_at >= ? AND linked_to IS NULL AND id != ?
           AND status IN ('open', 'claimed') ORDER BY created_at, id""",
        (building, category, since, not_id),
    )
    return [dict(row) for row in rows]


async def link(tx: Tx, ticket_id: int, original_id: int, now: float) -> None:
    await tx.execute("UPDATE tickets SET linked_to = ?, updated_at = ? WHERE id = ?", (original_id, now, ticket_id))


async def unlink(tx: Tx, ticket_id: int, original_id: int, now: float) -> bool:
    """Compare-and-set: only while it still follows `original_id` (two /split at once: one wins)."""
    cursor = await tx.execute(
        "UPDATE tickets SET linked_to = NULL, updated_at = ? WHERE id = ? AND linked_to = ? AND status = 'open'",
        (now, ticket_id, original_id),
    )
    return cursor.rowcount == 1


async def following(tx: Tx, original_id: int) -> list[dict[str, Any]]:
    """The unfinished reports that follow an original, first reported first."""
    rows = await tx.all(
        "SELECT * FROM tickets WHERE linked_to = ? AND status = 'open' ORDER BY created_at, id", (original_id,))
    return [dict(row) for row in rows]


async def reports_of(tx: Tx, original_id: int) -> list[dict[str, Any]]:
    """Every report ever linked to an original (finished ones too): /ticket N lists them."""
    rows = await tx.all(
        """SELECT id, reporter_name, text, status, urgency, room, created_at FROM tickets WHERE linked_to = ?
           ORDER BY created_at, id""",
        (original_id,),
    )
    return [dict(row) for row in rows]


async def count(tx: Tx, original_id: int) -> int:
    return int(await tx.value("SELECT count(*) FROM tickets WHERE linked_to = ?", (original_id,)))


async def orphans(tx: Tx, limit: int = 100) -> list[dict[str, Any]]:
    """Unfinished reports whose original finished (closed or cancelled) by a path that did not
    take them along: the scheduler tick finishes them. (CROSS JOIN keeps SQLite's planner on the
    tickets_following index, the few open reports, rather than on every closed original.)"""
    rows = await tx.all(
        """SELECT t.id, t.linked_to FROM tickets t CROSS JOIN tickets o
           WHERE o.id = t.linked_to AND t.linked_to IS NOT NULL AND t.status = 'open'
           AND o.status IN ('closed', 'cancelled')
           ORDER BY t.id LIMIT ?""",
        (limit,),
    )
    return [dict(row) for row in rows]
