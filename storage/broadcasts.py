"""Broadcasts (/broadcast): the announcement, its audience, and its messages in the outbox.

A recipient's message is an outbox row whose dedupe key is `bc:<broadcast>:<chat>`; the rows of
one broadcast are a range of the outbox's unique dedupe index, so counting them by status costs an
index range, not a scan of the outbox.
"""

from __future__ import annotations

from typing import Any

from storage.db import Tx, set_clause

FIELDS = ("status", "confirm_outbox_id", "progress_outbox_id", "total", "cursor", "queued_all", "skipped",
          "sent_at", "finished_at")
REGISTERED = "r.telegram_id IS NOT NULL AND r.registered_at IS NOT NULL"


def key(broadcast_id: int, chat_id: int) -> str:
    return f"bc:{broadcast_id}:{chat_id}"


def _range(broadcast_id: int) -> tuple[str, str]:
    return f"bc:{broadcast_id}:", f"bc:{broadcast_id};"   # ';' sorts right after ':'


def _audience(audience: str, target: str | None) -> tuple[str, tuple[Any, ...]]:
    if audience == "grid":
        return "AND lower(r.grid) = lower(?)", (target,)
    if audience == "building":
        return "AND lower(trim(r.building)) = lower(trim(?))", (target,)
    return "", ()


async def find_grid(tx: Tx, word: str) -> str | None:
    """A grid by name (any case), as residents, buildings or teams have it."""
    return await tx.value(
        """SELECT grid FROM (SELECT grid FROM residents WHERE grid IS NOT NULL UNION SELECT grid FROM buildings
                             UNION SELECT grid FROM team_grids) AS known WHERE lower(grid) = lower(?) LIMIT 1""",
        (word,),
    )


async def find_building(tx: Tx, word: str) -> str | None:
    return await tx.value(
        """SELECT name FROM (SELECT name FROM buildings UNION SELECT building AS name FROM residents
                             WHERE building IS NOT NULL) AS known WHERE lower(trim(name)) = lower(trim(?)) LIMIT 1""",
        (word,),
    )


async def grids(tx: Tx) -> list[str]:
    rows = await tx.all("""SELECT grid FROM residents WHERE grid IS NOT NULL UNION SELECT grid FROM buildings
                           UNION SELECT grid FROM team_grids ORDER BY 1""")
    return [row[0] for row in rows]


async def audience_size(tx: Tx, audience: str, target: str | None) -> tuple[int, int]:
    """Registered residents with a Telegram account in the audience, and how many of them are
    known to be unreachable (blocked the bot, deleted their account)."""
    where, params = _audience(audience, target)
    row = await tx.one(
        f"""SELECT count(*), count(u.chat_id) FROM residents AS r
            LEFT JOIN unreachable_chats AS u ON u.chat_id = r.telegram_id
            WHERE {REGISTERED} {where}""",
        params,
    )
    return (row[0], row[1]) if row else (0, 0)


async def recipients(tx: Tx, audience: str, target: str | None, after: int, limit: int) -> list[dict[str, Any]]:
    """The next residents of the audience by id after `after`: id, chat, language, unreachable."""
    where, params = _audience(audience, target)
    rows = await tx.all(
        f"""SELECT r.id, r.telegram_id AS chat_id, coalesce(r.language, us.language) AS lang,
                   u.chat_id IS NOT NULL AS unreachable
            FROM residents AS r
            LEFT JOIN unreachable_chats AS u ON u.chat_id = r.telegram_id
            LEFT JOIN users AS us ON us.telegram_id = r.telegram_id
            WHERE {REGISTERED} AND r.id > ? {where} ORDER BY r.id LIMIT ?""",
        (after, *params, limit),
    )
    return [dict(row) for row in rows]


async def create(tx: Tx, *, created_by: int, chat_id: int, lang: str, audience: str, target: str | None, text: str,
                 photo_file_id: str | None, now: float) -> int:
    cursor = await tx.execute(
        """INSERT INTO broadcasts (created_by, chat_id, lang, audience, target, text, photo_file_id, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (created_by, chat_id, lang, audience, target, text, photo_file_id, now),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def get(tx: Tx, broadcast_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM broadcasts WHERE id = ?", (broadcast_id,))
    return dict(row) if row else None


async def update(tx: Tx, broadcast_id: int, values: dict[str, Any]) -> None:
    known = {name: values[name] for name in FIELDS if name in values}
    sets, params = set_clause(known)
    await tx.execute(f"UPDATE broadcasts SET {sets} WHERE id = ?", params + [broadcast_id])


async def move(tx: Tx, broadcast_id: int, source: str, target: str, values: dict[str, Any] | None = None) -> bool:
    """Change the status only if it still is `source` (a compare-and-set: Send pressed twice sends once)."""
    known = {name: value for name, value in (values or {}).items() if name in FIELDS}
    sets, params = set_clause({"status": target, **known})
    cursor = await tx.execute(f"UPDATE broadcasts SET {sets} WHERE id = ? AND status = ?",
                              params + [broadcast_id, source])
    return cursor.rowcount == 1


async def sending(tx: Tx) -> list[int]:
    return [row[0] for row in await tx.all("SELECT id FROM broadcasts WHERE status = 'sending' ORDER BY id")]


async def queue(tx: Tx, rows: list[dict[str, Any]], *, priority: int, now: float) -> None:
    """Queue the recipients' messages in one statement: each row has chat_id, method, text, file_id
    and dedupe_key; a key queued before (a batch queued again after a crash) is skipped."""
    await tx.executemany(
        """INSERT INTO outbox (chat_id, method, text, file_id, priority, purpose, dedupe_key, next_attempt_at,
                               created_at)
           VALUES (?, ?, ?, ?, ?, 'broadcast', ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING""",
        [(row["chat_id"], row["method"], row["text"], row["file_id"], priority, row["dedupe_key"], now, now)
         for row in rows],
    )


async def counts(tx: Tx, broadcast_id: int) -> dict[str, int]:
    """The broadcast's messages by outbox status (pending, sent, unreachable, failed, cancelled)."""
    low, high = _range(broadcast_id)
    rows = await tx.all("SELECT status, count(*) FROM outbox WHERE dedupe_key >= ? AND dedupe_key < ? GROUP BY status",
                        (low, high))
    return {row[0]: row[1] for row in rows}


async def cancel_pending(tx: Tx, broadcast_id: int) -> int:
    """Stop: the messages not being sent yet are cancelled (one in flight goes out)."""
    low, high = _range(broadcast_id)
    cursor = await tx.execute(
        """UPDATE outbox SET status = 'cancelled', last_error = 'broadcast stopped'
           WHERE dedupe_key >= ? AND dedupe_key < ? AND status = 'pending' AND claimed_at IS NULL""",
        (low, high),
    )
    return cursor.rowcount


async def outbox_status(tx: Tx, outbox_id: int | None) -> str | None:
    if outbox_id is None:
        return None
    return await tx.value("SELECT status FROM outbox WHERE id = ?", (outbox_id,))


