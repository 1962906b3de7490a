"""Who is writing through the bot to the other side of a ticket (migration 022): one row per chat."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def start(tx: Tx, chat_id: int, ticket_id: int, side: str, expires_at: float, now: float) -> None:
    """The chat's next text goes to the other side of `ticket_id` (a newer press replaces an older one)."""
    await tx.execute(
        """INSERT INTO relays (chat_id, ticket_id, side, expires_at, created_at) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(chat_id) DO UPDATE SET ticket_id = excluded.ticket_id, side = excluded.side,
           expires_at = excluded.expires_at, created_at = excluded.created_at""",
        (chat_id, ticket_id, side, expires_at, now),
    )


async def get(tx: Tx, chat_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM relays WHERE chat_id = ?", (chat_id,))
    return dict(row) if row else None


async def end(tx: Tx, chat_id: int) -> None:
    await tx.execute("DELETE FROM relays WHERE chat_id = ?", (chat_id,))
