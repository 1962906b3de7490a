"""Check-ins: each resident's plan and one row per question asked (or visit recorded)."""

from __future__ import annotations

from typing import Any

from storage.db import Tx

OPEN = "('asked', 'waiting', 'reminded', 'ticket', 'emergency')"
CHECKIN_FIELDS = (
    "state", "chat_id", "question_outbox_id", "reminder_outbox_id", "delivered_at", "next_action_at", "ticket_id",
    "missed", "answered_at", "answer", "answered_by", "note",
)


# -- plans ------------------------------------------------------------------------------------

async def upsert_plan(tx: Tx, resident_id: int, times: str, days: str, grace: int, next_due_at: float | None,
                      created_by: int | None, now: float) -> bool:
    """Make or replace a plan; True when it is new."""
    existed = await tx.value("SELECT 1 FROM checkin_plans WHERE resident_id = ?", (resident_id,))
    await tx.execute(
        """INSERT INTO checkin_plans (resident_id, times, days, grace_seconds, next_due_at, created_by, created_at,
                                      updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(resident_id) DO UPDATE SET times = excluded.times, days = excluded.days,
               grace_seconds = excluded.grace_seconds, next_due_at = excluded.next_due_at,
               updated_at = excluded.updated_at""",
        (resident_id, times, days, grace, next_due_at, created_by, now, now),
    )
    return existed is None


async def plan(tx: Tx, resident_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM checkin_plans WHERE resident_id = ?", (resident_id,))
    return dict(row) if row else None


async def delete_plan(tx: Tx, resident_id: int) -> bool:
    cursor = await tx.execute("DELETE FROM checkin_plans WHERE resident_id = ?", (resident_id,))
    return cursor.rowcount == 1


async def set_plan(tx: Tx, resident_id: int, values: dict[str, Any], now: float) -> None:
    columns = list(values)
    await tx.execute(
        f"UPDATE checkin_plans SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? WHERE resident_id = ?",
        [values[c] for c in columns] + [now, resident_id],
    )


async def due_plans(tx: Tx, now: float, limit: int) -> list[dict[str, Any]]:
    """Plans whose next question is due (or not yet worked out), with the resident's chat."""
    rows = await tx.all(
        """SELECT p.*, r.telegram_id, r.language, r.name FROM checkin_plans p JOIN residents r ON r.id = p.resident_id
           WHERE p.next_due_at IS NULL OR p.next_due_at <= ? ORDER BY p.next_due_at LIMIT ?""",
        (now, limit),
    )
    return [dict(row) for row in rows]


async def count_plans(tx: Tx) -> int:
    return int(await tx.value("SELECT count(*) FROM checkin_plans"))


async def residents_without_plan(tx: Tx, born_by: int, limit: int = 200) -> list[dict[str, Any]]:
    """Residents who live alone and were born in `born_by` or earlier, with no plan."""
    rows = await tx.all(
        """SELECT r.* FROM residents r LEFT JOIN checkin_plans p ON p.resident_id = r.id
           WHERE p.resident_id IS NULL AND r.lives_alone = 1 AND r.birth_year IS NOT NULL AND r.birth_year <= ?
           ORDER BY r.grid, r.building, r.name LIMIT ?""",
        (born_by, limit),
    )
    return [dict(row) for row in rows]


# -- check-ins ------------------------------------------------------------------------------------

async def create(tx: Tx, resident_id: int, slot: str, day: str, state: str, due_at: float, now: float,
                 chat_id: int | None = None) -> int | None:
    """One check-in; None if this resident already has one for this slot (a replay)."""
    cursor = await tx.execute(
        """INSERT INTO checkins (resident_id, slot, day, state, due_at, chat_id, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(resident_id, slot) DO NOTHING""",
        (resident_id, slot, day, state, due_at, chat_id, now, now),
    )
    return cursor.lastrowid if cursor.rowcount == 1 else None


async def get(tx: Tx, checkin_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM checkins WHERE id = ?", (checkin_id,))
    return dict(row) if row else None


async def change(tx: Tx, checkin_id: int, from_states: tuple[str, ...], values: dict[str, Any], now: float) -> bool:
    """Compare-and-set on the state: two racing answers (or a tick and an answer) move it once."""
    columns = [c for c in CHECKIN_FIELDS if c in values]
    cursor = await tx.execute(
        f"UPDATE checkins SET {', '.join(f'{c} = ?' for c in columns)}, updated_at = ? "
        f"WHERE id = ? AND state IN ({', '.join('?' for _ in from_states)})",
        [values[c] for c in columns] + [now, checkin_id, *from_states],
    )
    return cursor.rowcount == 1


async def undelivered(tx: Tx, limit: int) -> list[dict[str, Any]]:
    """Questions and reminders whose timer waits for delivery, and how their outbox row ended."""
    rows = await tx.all(
        """SELECT c.*, o.status AS sent_status, o.sent_at AS sent_at, p.grace_seconds
           FROM checkins c
           JOIN outbox o ON o.id = CASE c.state WHEN 'asked' THEN c.question_outbox_id ELSE c.reminder_outbox_id END
           JOIN checkin_plans p ON p.resident_id = c.resident_id
           WHERE c.state IN ('asked', 'reminded') AND c.next_action_at IS NULL AND o.status <> 'pending'
           ORDER BY c.id LIMIT ?""",
        (limit,),
    )
    return [dict(row) for row in rows]


async def due_actions(tx: Tx, now: float, limit: int) -> list[dict[str, Any]]:
    rows = await tx.all(
        f"SELECT * FROM checkins WHERE next_action_at <= ? AND state IN {OPEN} ORDER BY next_action_at LIMIT ?",
        (now, limit),
    )
    return [dict(row) for row in rows]


async def open_for_resident(tx: Tx, resident_id: int) -> list[dict[str, Any]]:
    rows = await tx.all(f"SELECT * FROM checkins WHERE resident_id = ? AND state IN {OPEN} ORDER BY id DESC",
                        (resident_id,))
    return [dict(row) for row in rows]


async def by_question(tx: Tx, outbox_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM checkins WHERE question_outbox_id = ? OR reminder_outbox_id = ?",
                       (outbox_id, outbox_id))
    return dict(row) if row else None


async def by_ticket(tx: Tx, ticket_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM checkins WHERE ticket_id = ? ORDER BY id DESC LIMIT 1", (ticket_id,))
    return dict(row) if row else None


async def missed_on(tx: Tx, resident_id: int, day: str) -> bool:
    return bool(await tx.value(
        "SELECT 1 FROM checkins WHERE resident_id = ? AND day = ? AND missed = 1 AND state <> 'visited' LIMIT 1",
        (resident_id, day)))


async def done_on(tx: Tx, resident_id: int, day: str) -> bool:
    """A visit (or phone call) counts as the day's check-in: no more questions that day."""
    return bool(await tx.value(
        "SELECT 1 FROM checkins WHERE resident_id = ? AND day = ? AND state = 'visited' LIMIT 1",
        (resident_id, day)))


async def last_answer(tx: Tx, resident_id: int) -> dict[str, Any] | None:
    row = await tx.one(
        "SELECT * FROM checkins WHERE resident_id = ? AND answered_at IS NOT NULL ORDER BY answered_at DESC LIMIT 1",
        (resident_id,))
    return dict(row) if row else None


async def misses_since(tx: Tx, resident_id: int, since_day: str) -> int:
    return int(await tx.value(
        "SELECT count(DISTINCT day) FROM checkins WHERE resident_id = ? AND missed = 1 AND day >= ?",
        (resident_id, since_day)))
