"""Check-ins: each resident's plan and one row per question asked (or visit recorded)."""

from __future__ import annotations

from typing import Any

from storage.db import Tx, marks, set_clause

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
    sets, params = set_clause(values)
    await tx.execute(f"UPDATE checkin_plans SET {sets}, updated_at = ? WHERE resident_id = ?",
                     params + [now, resident_id])


async def due_plans(tx: Tx, now: float, limit: int) -> list[dict[str, Any]]:
    """Plans whose next question is due (or not yet worked out), with the resident's chat."""
    rows = await tx.all(
        """SELECT p.*, r.telegram_id, r.language, r.name FROM checkin_plans p JOIN residents r ON r.id = p.resident_id
           WHERE p.next_due_at IS NULL OR p.next_due_at <= ? ORDER BY p.next_due_at LIMIT ?"""
        + tx.dialect.skip_locked_of("p"),   # several workers: each takes plans no other holds
        (now, limit),
    )
    return [dict(row) for row in rows]



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
    sets, params = set_clause({c: values[c] for c in CHECKIN_FIELDS if c in values})
    cursor = await tx.execute(
        f"UPDATE checkins SET {sets}, updated_at = ? WHERE id = ? AND state IN ({marks(from_states)})",
        params + [now, checkin_id, *from_states],
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
        f"SELECT * FROM checkins WHERE next_action_at <= ? AND state IN {OPEN} ORDER BY next_action_at LIMIT ?"
        f"{tx.dialect.skip_locked}",   # several workers: each takes check-ins no other holds
        (now, limit),
    )
    return [dict(row) for row in rows]


async def alarms_of_finished_tickets(tx: Tx) -> list[dict[str, Any]]:
    """Check-ins still in an alarm state whose ticket was closed or cancelled the usual way."""
    rows = await tx.all(
        """SELECT c.* FROM checkins c JOIN tickets t ON t.id = c.ticket_id
           WHERE c.state IN ('ticket', 'emergency') AND t.status IN ('closed', 'cancelled')"""
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


# -- the desk (/elderly) ----------------------------------------------------------------------------

def _grid_filter(grids: list[str] | None) -> tuple[str, list[Any]]:
    if grids is None:
        return "", []
    return f" AND r.grid IN ({marks(grids) or 'NULL'})", list(grids)


async def desk_plans(tx: Tx, grids: list[str] | None) -> list[dict[str, Any]]:
    """Everyone on a plan (in these grids; None: all), with their name, grid, time away and the
    last time they answered (ever). No phones, no flats."""
    where, params = _grid_filter(grids)
    rows = await tx.all(
        f"""SELECT r.id AS resident_id, r.name, r.grid, p.paused_until,
                   (SELECT max(c.answered_at) FROM checkins c WHERE c.resident_id = r.id
                       AND c.state IN ('answered', 'late', 'visited', 'help')) AS last_answer
            FROM checkin_plans p JOIN residents r ON r.id = p.resident_id WHERE 1 = 1{where}
            ORDER BY r.id""",
        params,
    )
    return [dict(row) for row in rows]


async def desk_checkins(tx: Tx, since_day: str, grids: list[str] | None) -> list[dict[str, Any]]:
    """The check-ins since `since_day` of everyone on a plan (in these grids)."""
    where, params = _grid_filter(grids)
    rows = await tx.all(
        f"""SELECT c.resident_id, c.day, c.slot, c.state, c.missed, c.answered_at
            FROM checkins c JOIN checkin_plans p ON p.resident_id = c.resident_id
            JOIN residents r ON r.id = c.resident_id WHERE c.day >= ?{where} ORDER BY c.id""",
        [since_day, *params],
    )
    return [dict(row) for row in rows]


async def day_slots(tx: Tx, resident_ids: list[int], day: str) -> dict[int, dict[str, str]]:
    """These residents' check-ins of one day, in one query: resident -> slot -> state."""
    rows = await tx.all(f"SELECT resident_id, slot, state FROM checkins WHERE day = ? AND resident_id IN "
                        f"({marks(resident_ids) or 'NULL'})", (day, *resident_ids))
    slots: dict[int, dict[str, str]] = {}
    for row in rows:
        slots.setdefault(row["resident_id"], {})[row["slot"]] = row["state"]
    return slots


# -- the family's "all well today" ------------------------------------------------------------------

async def set_allwell(tx: Tx, resident_id: int, telegram_id: int, on: bool, now: float) -> bool:
    """Opt in or out; True when it changed anything."""
    if on:
        cursor = await tx.execute(
            """INSERT INTO allwell (resident_id, telegram_id, created_at) VALUES (?, ?, ?)
               ON CONFLICT(resident_id, telegram_id) DO NOTHING""", (resident_id, telegram_id, now))
    else:
        cursor = await tx.execute("DELETE FROM allwell WHERE resident_id = ? AND telegram_id = ?",
                                  (resident_id, telegram_id))
    return cursor.rowcount == 1


async def allwell_of(tx: Tx, telegram_id: int) -> set[int]:
    rows = await tx.all("SELECT resident_id FROM allwell WHERE telegram_id = ?", (telegram_id,))
    return {row["resident_id"] for row in rows}


async def allwell_waiting(tx: Tx, day: str, limit: int, after: tuple[int, int] = (0, 0)) -> list[dict[str, Any]]:
    """Opt-ins whose message of `day` has not gone yet, from a family contact who still is one,
    for a resident on a plan: the plan and the resident's name come along. Paged by
    (resident_id, telegram_id) after `after`, so every opt-in is reached however many there are."""
    rows = await tx.all(
        """SELECT a.resident_id, a.telegram_id, a.created_at, r.name, p.times, p.days, p.grace_seconds, p.paused_until
           FROM allwell a JOIN residents r ON r.id = a.resident_id AND r.emergency_contact_telegram_id = a.telegram_id
           JOIN checkin_plans p ON p.resident_id = a.resident_id
           WHERE (a.last_sent_day IS NULL OR a.last_sent_day < ?)
             AND (a.resident_id > ? OR (a.resident_id = ? AND a.telegram_id > ?))
           ORDER BY a.resident_id, a.telegram_id LIMIT ?""",
        (day, after[0], after[0], after[1], limit),
    )
    return [dict(row) for row in rows]


async def allwell_sent(tx: Tx, resident_id: int, telegram_id: int, day: str) -> None:
    await tx.execute("UPDATE allwell SET last_sent_day = ? WHERE resident_id = ? AND telegram_id = ?",
                     (day, resident_id, telegram_id))


# -- a resident's request for other times -------------------------------------------------------------

async def create_request(tx: Tx, resident_id: int, times: str, now: float) -> int:
    """A new request; an older one still pending is superseded by it."""
    await tx.execute("UPDATE checkin_requests SET status = 'superseded', decided_at = ? "
                     "WHERE resident_id = ? AND status = 'pending'", (now, resident_id))
    cursor = await tx.execute("INSERT INTO checkin_requests (resident_id, times, created_at) VALUES (?, ?, ?)",
                              (resident_id, times, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def request(tx: Tx, request_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM checkin_requests WHERE id = ?", (request_id,))
    return dict(row) if row else None


async def decide_request(tx: Tx, request_id: int, status: str, by: int, now: float) -> bool:
    """Compare-and-set: only a pending request is decided, once."""
    cursor = await tx.execute(
        "UPDATE checkin_requests SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
        (status, by, now, request_id))
    return cursor.rowcount == 1
