"""Incoming updates, remembered by update_id so a replay is recognised."""

from __future__ import annotations

from storage.db import Tx


async def remember(
    tx: Tx, update_id: int, chat_id: int | None, user_id: int | None, kind: str, text: str | None, now: float
) -> bool:
    """Store the update; False if it was stored before (a replay)."""
    cursor = await tx.execute(
        """INSERT INTO inbox (update_id, chat_id, user_id, kind, text, received_at)
           VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(update_id) DO NOTHING""",
        (update_id, chat_id, user_id, kind, text, now),
    )
    return cursor.rowcount == 1


async def forget_texts(tx: Tx, before: float, limit: int) -> int:
    """Blank the raw text of updates received before `before`, oldest first, at most `limit` of
    them; the row stays (its update_id still recognises a replay). Returns how many."""
    cursor = await tx.execute(
        """UPDATE inbox SET text = NULL WHERE update_id IN (
               SELECT update_id FROM inbox WHERE text IS NOT NULL AND received_at < ?
               ORDER BY received_at LIMIT ?)""",
        (before, limit),
    )
    return cursor.rowcount
