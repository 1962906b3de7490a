"""Incoming updates: stored raw before Telegram hears they arrived, handled from here, and
remembered by update_id so a replay is recognised."""

from __future__ import annotations

from collections.abc import Iterable

from storage.db import Tx, marks

PENDING = "pending"  # the kind of an update stored but not handled yet (handling names it)


async def store(tx: Tx, updates: Iterable[tuple[int, str] | tuple[int, str, int | None]], now: float) -> int:
    """Keep (update_id, raw JSON[, chat id]) tuples, unhandled; one seen before (a replay) is left
    as it is. Returns how many were new."""
    rows = [(update[0], PENDING, update[1], now, update[2] if len(update) > 2 else None) for update in updates]
    if not rows:
        return 0
    before = await tx.value("SELECT count(*) FROM inbox WHERE update_id IN (" + marks(rows) + ")",
                            [row[0] for row in rows])
    await tx.executemany(
        """INSERT INTO inbox (update_id, kind, raw, received_at, chat_id) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT(update_id) DO NOTHING""",
        rows)
    return len(rows) - int(before or 0)


async def unhandled(tx: Tx, limit: int) -> list[tuple[int, str | None]]:
    """Stored updates not handled yet, oldest first (Telegram's order)."""
    found = await tx.all(
        "SELECT update_id, raw FROM inbox WHERE handled_at IS NULL ORDER BY update_id LIMIT ?", (limit,))
    return [(row[0], row[1]) for row in found]


async def waiting_chats(tx: Tx, limit: int) -> list[int | None]:
    """The chats with unhandled updates, the one whose oldest update is oldest first (None: the
    updates of no chat, if any wait)."""
    found = await tx.all(
        """SELECT chat_id FROM inbox WHERE handled_at IS NULL
           GROUP BY chat_id ORDER BY min(update_id) LIMIT ?""", (limit,))
    return [row[0] for row in found]


async def take_next(tx: Tx, chat_id: int | None) -> tuple[int, str | None] | None:
    """The first statement of a unit that handles one update of `chat_id`: on PostgreSQL the
    chat's transaction-level advisory lock (not waited for: a chat another worker is handling is
    skipped, None), then the chat's oldest unhandled update. Held until the unit ends, so two
    workers never handle one chat's updates at once, and each takes the oldest left: the chat's
    updates are handled in update_id order. An update of no chat is locked by its row instead."""
    if chat_id is None:
        row = await tx.one(f"""SELECT update_id, raw FROM inbox WHERE handled_at IS NULL AND chat_id IS NULL
                               ORDER BY update_id LIMIT 1{tx.dialect.skip_locked}""")
        return (row[0], row[1]) if row else None
    if tx.dialect.name == "postgres" and not await tx.value("SELECT pg_try_advisory_xact_lock(?)", (chat_id,)):
        return None
    row = await tx.one("""SELECT update_id, raw FROM inbox WHERE handled_at IS NULL AND chat_id = ?
                          ORDER BY update_id LIMIT 1""", (chat_id,))
    return (row[0], row[1]) if row else None


async def remember(
    tx: Tx, update_id: int, chat_id: int | None, user_id: int | None, kind: str, text: str | None, now: float
) -> bool:
    """The update is being handled: note who sent what and mark it handled. False if it was
    handled before (a replay). An update that did not come through `store` is stored here."""
    cursor = await tx.execute(
        """UPDATE inbox SET chat_id = ?, user_id = ?, kind = ?, text = ?, raw = NULL, handled_at = ?
           WHERE update_id = ? AND handled_at IS NULL""",
        (chat_id, user_id, kind, text, now, update_id),
    )
    if cursor.rowcount == 1:
        return True
    cursor = await tx.execute(
        """INSERT INTO inbox (update_id, chat_id, user_id, kind, text, received_at, handled_at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(update_id) DO NOTHING""",
        (update_id, chat_id, user_id, kind, text, now, now),
    )
    return cursor.rowcount == 1


async def finish(tx: Tx, update_id: int, now: float) -> None:
    """Handled, whatever the handlers did with it (none took it, or it could not be read)."""
    await tx.execute("UPDATE inbox SET raw = NULL, handled_at = coalesce(handled_at, ?) WHERE update_id = ?",
                     (now, update_id))


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
