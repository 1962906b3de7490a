"""What /healthz, /health and the auditor read: the oldest due timer of each kind the scheduler
tick fires, the oldest due outbox row, and the open "timers overdue" incident (a settings row).

Each timer kind is read with the same condition its service's tick uses to find what is due, so
a column left on a finished row (an escalation time on a claimed ticket) is never counted."""

from __future__ import annotations

from typing import Any

from storage.checkins import OPEN as CHECKINS_OPEN
from storage.db import Tx

INCIDENT = "health_incident"   # settings key: the overdue incident the admins were warned of

# kind -> (table, id column, due column, the tick's own condition)
TIMERS: dict[str, tuple[str, str, str, str]] = {
    "escalation": ("tickets", "id", "next_action_at", "status = 'open'"),
    "ack_reminder": ("tickets", "id", "ack_due_at", "status = 'claimed'"),
    "checkin": ("checkins", "id", "next_action_at", f"state IN {CHECKINS_OPEN}"),
    "checkin_plan": ("checkin_plans", "resident_id", "next_due_at", "1 = 1"),
}


async def due_timers(tx: Tx, now: float) -> list[dict[str, Any]]:
    """The oldest due timer of each kind (kind, id, due_at), and how many of that kind are due."""
    found = []
    for kind, (table, key, column, condition) in TIMERS.items():
        row = await tx.one(
            f"""SELECT {key} AS id, {column} AS due_at FROM {table}
                WHERE {condition} AND {column} IS NOT NULL AND {column} <= ? ORDER BY {column}, {key} LIMIT 1""",
            (now,))
        if row is not None:
            count = await tx.value(
                f"SELECT count(*) FROM {table} WHERE {condition} AND {column} IS NOT NULL AND {column} <= ?", (now,))
            found.append({"kind": kind, "id": int(row["id"]), "due_at": float(row["due_at"]), "count": int(count)})
    return found


async def oldest_due_outbox(tx: Tx, now: float, below_priority: int) -> dict[str, Any] | None:
    """The oldest pending outbox row that is due (in flight or not), of the lanes below
    `below_priority` (announcements are paced by design and left out)."""
    row = await tx.one(
        """SELECT id, next_attempt_at AS due_at, priority FROM outbox
           WHERE status = 'pending' AND next_attempt_at <= ? AND priority < ?
           ORDER BY next_attempt_at, id LIMIT 1""",
        (now, below_priority))
    return {"id": int(row["id"]), "due_at": float(row["due_at"]), "priority": int(row["priority"])} if row else None


async def ping(tx: Tx) -> bool:
    return await tx.value("SELECT 1") == 1


async def open_incident(tx: Tx, value: str) -> bool:
    """Record the incident; False if one is open already (another tick, or worker, warned)."""
    cursor = await tx.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING", (INCIDENT, value))
    return cursor.rowcount == 1


async def incident(tx: Tx) -> str | None:
    return await tx.value("SELECT value FROM settings WHERE key = ?", (INCIDENT,))


async def close_incident(tx: Tx) -> bool:
    """End the incident; True only for the caller that ended it (it tells the admins)."""
    cursor = await tx.execute("DELETE FROM settings WHERE key = ?", (INCIDENT,))
    return cursor.rowcount == 1
