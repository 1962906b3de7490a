"""The outbox: every message that matters, persisted before it is sent."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from storage.db import Tx, marks


async def enqueue(
    tx: Tx, *, chat_id: int, text: str | None, priority: int, purpose: str, now: float,
    method: str = "send", reply_markup: dict[str, Any] | None = None, file_id: str | None = None,
    ref_id: int | None = None, target_message_id: int | None = None, ticket_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Queue one message; None if a message with the same dedupe_key was queued before."""
    cursor = await tx.execute(
        """INSERT INTO outbox (chat_id, method, text, reply_markup, file_id, ref_id, target_message_id, priority,
                               purpose, ticket_id, dedupe_key, next_attempt_at, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(dedupe_key) DO NOTHING""",
        (chat_id, method, text, json.dumps(reply_markup, ensure_ascii=False) if reply_markup else None,
         file_id, ref_id, target_message_id, priority, purpose, ticket_id, dedupe_key, now, now),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


# The order rows go out in: emergencies, then answers to people who just wrote (the reply lane,
# ahead of the alerts of other tickets), then alerts, then the rest by lane. Within a lane the
# tickets take turns: a ticket's n-th row goes after every other ticket's (n-1)-th, so one burst of
# fifteen alerts never holds up the next ticket's first. Rows without a ticket are each their own.
LANE_ORDER = "CASE priority WHEN 2 THEN 1 WHEN 1 THEN 2 ELSE priority END"
TURNS_SPAN = 600.0   # seconds of a ticket's rows its turns are counted over


async def due(tx: Tx, now: float, limit: int, skip_chats: Iterable[int] = ()) -> list[dict[str, Any]]:
    """What is due now and not claimed by a send, in the order above; `skip_chats` (in flight, or
    cooling down) are left out here rather than after the LIMIT, so a busy chat's queue never hides
    the other chats'. The tickets' turns cost a window over every due row (15 ms at 10,000): they
    are worked out only when the plain order's first rows belong to tickets."""
    skip = sorted(set(skip_chats))
    where = f"""status = 'pending' AND claimed_at IS NULL AND next_attempt_at <= ?
                {f"AND chat_id NOT IN ({marks(skip)})" if skip else ""}"""
    rows = await tx.all(f"SELECT * FROM outbox WHERE {where} ORDER BY {LANE_ORDER}, id LIMIT ?", (now, *skip, limit))
    if any(row["ticket_id"] is not None for row in rows):
        # a row's turn is its place among its ticket's rows of the last ten minutes, sent ones too,
        # so the turns stay put from one pass to the next
        rows = await tx.all(
            f"""SELECT * FROM (
                  SELECT *, {LANE_ORDER} AS lane_order,
                         CASE WHEN ticket_id IS NULL THEN 1
                              ELSE row_number() OVER (PARTITION BY priority, ticket_id ORDER BY id) END AS turn
                  FROM outbox WHERE status = 'pending' OR (ticket_id IS NOT NULL AND created_at >= ?)) AS turns
                WHERE {where}
                ORDER BY lane_order, turn, id LIMIT ?""",
            (now - TURNS_SPAN, now, *skip, limit),
        )
    return [{k: row[k] for k in row.keys() if k not in ("lane_order", "turn")} for row in rows]


async def claim(tx: Tx, outbox_id: int, now: float, epoch: int | None = None) -> bool:
    """Take a row for one send: true only for the one caller that finds it pending, unclaimed and
    due (a compare-and-set), so a stale copy of the row can never be sent again. On PostgreSQL the
    row is locked first (SKIP LOCKED: a row another transaction holds is not ours to wait for), and
    the claim records the sender's `epoch` (its lease: good while that epoch leads, see
    storage/leader.py)."""
    cursor = await tx.execute(
        f"""UPDATE outbox SET claimed_at = ?, claim_epoch = ? WHERE id IN (
                SELECT id FROM outbox WHERE id = ? AND status = 'pending' AND claimed_at IS NULL
                AND next_attempt_at <= ?{tx.dialect.skip_locked})""",
        (now, epoch, outbox_id, now),
    )
    return cursor.rowcount == 1


async def _mine(tx: Tx, outbox_id: int, epoch: int | None) -> bool:
    """A mark after a send is written only by the epoch that claimed the row (None: unfenced, a
    caller of no epoch). The row is locked on PostgreSQL, so a take-over cannot release it between
    this look and the mark: either the mark lands first (the outcome is known, nothing is sent
    again) or the release does (and this mark changes nothing)."""
    if epoch is None:
        return True
    return await tx.value(f"SELECT 1 FROM outbox WHERE id = ? AND claim_epoch = ?{tx.dialect.for_update}",
                          (outbox_id, epoch)) is not None


async def release_abandoned(tx: Tx) -> int:
    """At start-up: rows claimed by a process that died mid-send. Whether Telegram got them is
    unknown; they are sent again, and counted. Returns how many."""
    cursor = await tx.execute(
        """UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL, unknown_outcomes = unknown_outcomes + 1
           WHERE claimed_at IS NOT NULL AND status = 'pending'"""
    )
    await tx.execute("UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL WHERE claimed_at IS NOT NULL")
    return cursor.rowcount


async def pending(tx: Tx) -> tuple[int, float | None]:
    """How many rows are still to be sent (due or not, claimed or not), and when the next is due."""
    row = await tx.one("SELECT count(*), min(next_attempt_at) FROM outbox WHERE status = 'pending'")
    return (row[0], row[1]) if row else (0, None)


async def unknown_outcomes(tx: Tx) -> int:
    return int(await tx.value("SELECT coalesce(sum(unknown_outcomes), 0) FROM outbox") or 0)


async def next_due_at(tx: Tx) -> float | None:
    return await tx.value("SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending'")


async def attach(tx: Tx, outbox_id: int, filename: str, data: bytes) -> None:
    """The file a queued message uploads (a chart, a spreadsheet)."""
    await tx.execute("INSERT INTO uploads (outbox_id, filename, data) VALUES (?, ?, ?)", (outbox_id, filename, data))


async def attachment(tx: Tx, outbox_id: int) -> tuple[str, bytes] | None:
    row = await tx.one("SELECT filename, data FROM uploads WHERE outbox_id = ?", (outbox_id,))
    return (row["filename"], bytes(row["data"])) if row else None


async def get(tx: Tx, outbox_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM outbox WHERE id = ?", (outbox_id,))
    return dict(row) if row else None


async def mark_sent(tx: Tx, outbox_id: int, message_id: int | None, now: float, epoch: int | None = None) -> bool:
    """Delivered, even if it was cancelled while in flight: the truth, and the message id an edit
    queued by `supersede` needs to correct it. False (nothing changed) for a deposed epoch."""
    if not await _mine(tx, outbox_id, epoch):
        return False
    await tx.execute(
        """UPDATE outbox SET status = 'sent', message_id = ?, sent_at = ?, attempts = attempts + 1, claimed_at = NULL,
                             claim_epoch = NULL
           WHERE id = ?""",
        (message_id, now, outbox_id),
    )
    await tx.execute("DELETE FROM uploads WHERE outbox_id = ?", (outbox_id,))
    return True


async def mark_final(tx: Tx, outbox_id: int, status: str, error: str, epoch: int | None = None) -> bool:
    """Given up (or dropped): only a message still pending; a cancel made meanwhile stands.
    False (nothing changed) for a deposed epoch."""
    if not await _mine(tx, outbox_id, epoch):
        return False
    await tx.execute(
        "UPDATE outbox SET status = ?, last_error = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending'",
        (status, error, outbox_id),
    )
    await tx.execute("UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL WHERE id = ?", (outbox_id,))
    await tx.execute("DELETE FROM uploads WHERE outbox_id = ? AND EXISTS "
                     "(SELECT 1 FROM outbox WHERE id = ? AND status != 'pending')", (outbox_id, outbox_id))
    return True


async def reschedule(tx: Tx, outbox_id: int, at: float, error: str, count_attempt: bool = True,
                     unknown: bool = False, epoch: int | None = None) -> bool:
    """Back to the queue for another try at `at`; `unknown`: the send may have reached Telegram
    (a time-out), so the next try may be a second copy: counted. False for a deposed epoch."""
    if not await _mine(tx, outbox_id, epoch):
        return False
    await tx.execute(
        """UPDATE outbox SET next_attempt_at = ?, last_error = ?, attempts = attempts + ?, claimed_at = NULL,
                             claim_epoch = NULL, unknown_outcomes = unknown_outcomes + ? WHERE id = ?""",
        (at, error, 1 if count_attempt else 0, 1 if unknown else 0, outbox_id),
    )
    return True


async def move_chat(tx: Tx, old_chat_id: int, new_chat_id: int) -> int:
    """A group became a supergroup: what is still to be sent goes to the new id. An edit of a
    message delivered in the old group cannot reach it there: it is sent as a new message (an
    edit of a message still waiting moves with it and stays an edit). Returns how many moved."""
    await tx.execute(
        """UPDATE outbox SET method = 'send', ref_id = NULL, target_message_id = NULL
           WHERE chat_id = ? AND status = 'pending' AND method = 'edit'
             AND NOT EXISTS (SELECT 1 FROM outbox AS ref WHERE ref.id = outbox.ref_id AND ref.status = 'pending')""",
        (old_chat_id,),
    )
    cursor = await tx.execute(
        "UPDATE outbox SET chat_id = ? WHERE chat_id = ? AND status = 'pending'", (new_chat_id, old_chat_id)
    )
    await tx.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (old_chat_id,))
    return cursor.rowcount


async def for_ticket(tx: Tx, ticket_id: int, purpose: str) -> list[dict[str, Any]]:
    rows = await tx.all(
        "SELECT * FROM outbox WHERE ticket_id = ? AND purpose = ? ORDER BY id", (ticket_id, purpose)
    )
    return [dict(row) for row in rows]


async def cancel(tx: Tx, outbox_id: int) -> bool:
    cursor = await tx.execute(
        "UPDATE outbox SET status = 'cancelled' WHERE id = ? AND status = 'pending'", (outbox_id,)
    )
    return cursor.rowcount == 1


async def mark_unreachable(tx: Tx, chat_id: int, reason: str, now: float) -> None:
    await tx.execute(
        """INSERT INTO unreachable_chats (chat_id, since, reason) VALUES (?, ?, ?)
           ON CONFLICT(chat_id) DO UPDATE SET reason = excluded.reason""",
        (chat_id, now, reason),
    )


async def mark_reachable(tx: Tx, chat_id: int) -> None:
    await tx.execute("DELETE FROM unreachable_chats WHERE chat_id = ?", (chat_id,))


async def unreachable_since(tx: Tx, chat_id: int) -> float | None:
    return await tx.value("SELECT since FROM unreachable_chats WHERE chat_id = ?", (chat_id,))


async def unreachable(tx: Tx, chat_ids: list[int]) -> set[int]:
    if not chat_ids:
        return set()
    rows = await tx.all(
        f"SELECT chat_id FROM unreachable_chats WHERE chat_id IN ({', '.join('?' for _ in chat_ids)})", chat_ids
    )
    return {row[0] for row in rows}


async def by_dedupe_prefix(tx: Tx, prefix: str) -> list[dict[str, Any]]:
    """Messages queued under keys that start with `prefix` (e.g. every admin's copy of one request)."""
    rows = await tx.all("SELECT * FROM outbox WHERE dedupe_key LIKE ? ESCAPE '\\' ORDER BY id",
                        (prefix.replace("%", "").replace("_", r"\_") + "%",))
    return [dict(row) for row in rows]


async def add_followup(tx: Tx, after_id: int, outcome: str, *, chat_id: int, text: str, priority: int,
                       purpose: str) -> None:
    """Queue `text` to `chat_id` only once message `after_id` has ended as `outcome` (sent, undelivered)."""
    await tx.execute(
        "INSERT INTO outbox_followups (after_id, outcome, chat_id, text, priority, purpose) VALUES (?, ?, ?, ?, ?, ?)",
        (after_id, outcome, chat_id, text, priority, purpose),
    )


async def release_followups(tx: Tx, after_id: int, outcome: str, now: float) -> None:
    """Message `after_id` has ended: what waited for this outcome is queued, the rest dropped."""
    for row in await tx.all("SELECT * FROM outbox_followups WHERE after_id = ? AND outcome = ? ORDER BY id",
                            (after_id, outcome)):
        await enqueue(tx, chat_id=row["chat_id"], text=row["text"], priority=row["priority"], purpose=row["purpose"],
                      now=now)
    await tx.execute("DELETE FROM outbox_followups WHERE after_id = ?", (after_id,))


async def release(tx: Tx, outbox_id: int, epoch: int | None = None) -> None:
    """A claim given back without a send (the row was not wanted after all, or is final already)."""
    if await _mine(tx, outbox_id, epoch):
        await tx.execute("UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL WHERE id = ?", (outbox_id,))
