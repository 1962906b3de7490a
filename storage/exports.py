"""What the spreadsheets read (bot/core/sheets.py builds the tables): tickets, residents,
volunteers and ratings within a span of time, as plain records; and the admins waiting to send
the bot a file to import."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def tickets(tx: Tx, start: float, end: float) -> list[dict[str, Any]]:
    """Tickets created in [start, end), oldest first, with their claimant's name and the
    reporter's record (name and phone) where there is one."""
    rows = await tx.all(
        """SELECT t.id, t.created_at, t.status, t.urgency, t.category, t.grid, t.building, t.unit, t.room,
                  t.location, t.text, coalesce(r.name, t.reporter_name) AS reporter_name, r.phone AS reporter_phone,
                  v.name AS volunteer, t.claimed_at, t.resolved_at, t.closed_at, t.rating, t.rating_comment,
                  t.linked_to
           FROM tickets t
           LEFT JOIN residents r ON r.id = t.resident_id
           LEFT JOIN volunteers v ON v.id = t.claimed_by
           WHERE t.created_at >= ? AND t.created_at < ?
           ORDER BY t.id""",
        (start, end),
    )
    return [dict(row) for row in rows]


async def ratings(tx: Tx, start: float, end: float) -> list[dict[str, Any]]:
    """Tickets rated in [start, end) (when the stars were given), oldest rating first."""
    rows = await tx.all(
        """SELECT t.id, e.at AS rated_at, t.rating, t.rating_comment, t.urgency, t.category, t.grid, t.building,
                  v.name AS volunteer, coalesce(r.name, t.reporter_name) AS reporter_name, t.created_at,
                  t.resolved_at
           FROM tickets t
           JOIN (SELECT ticket_id, max(at) AS at FROM ticket_events WHERE kind = 'rated' GROUP BY ticket_id) e
             ON e.ticket_id = t.id
           LEFT JOIN residents r ON r.id = t.resident_id
           LEFT JOIN volunteers v ON v.id = t.claimed_by
           WHERE t.rating IS NOT NULL AND e.at >= ? AND e.at < ?
           ORDER BY e.at, t.id""",
        (start, end),
    )
    return [dict(row) for row in rows]


async def residents(tx: Tx, start: float, end: float) -> list[dict[str, Any]]:
    """Residents on record since `start` (created in [start, end)), with their check-in times."""
    rows = await tx.all(
        """SELECT r.name, r.phone, r.telegram_id, r.building, r.unit, r.room, r.grid, r.language, r.lives_alone,
                  r.birth_year, r.emergency_contact_name, r.emergency_contact_phone,
                  r.emergency_contact_telegram_id, p.times AS checkin_times, r.registered_at, r.created_at
           FROM residents r LEFT JOIN checkin_plans p ON p.resident_id = r.id
           WHERE r.created_at >= ? AND r.created_at < ?
           ORDER BY r.building, r.unit, r.room, r.id""",
        (start, end),
    )
    return [dict(row) for row in rows]


async def volunteers(tx: Tx, start: float, end: float) -> list[dict[str, Any]]:
    """One row per volunteer and team (the volunteers import's shape: a second team is a second
    row), with the team's grids; a volunteer of no team has one row without a team."""
    rows = await tx.all(
        """SELECT v.name, v.phone, v.telegram_id, t.name AS team, m.role,
                  (SELECT group_concat(grid, ',') FROM (SELECT grid FROM team_grids g WHERE g.team_id = t.id
                                                        ORDER BY grid) AS each) AS grids,
                  v.language, CASE WHEN v.active = 1 AND coalesce(m.active, 1) = 1 THEN 1 ELSE 0 END AS active, coalesce(m.joined_at, v.created_at) AS joined_at
           FROM volunteers v
           LEFT JOIN memberships m ON m.volunteer_id = v.id
           LEFT JOIN teams t ON t.id = m.team_id
           WHERE v.created_at >= ? AND v.created_at < ?
           ORDER BY t.name, v.name, v.id""",
        (start, end),
    )
    return [dict(row) for row in rows]


async def wait_for_file(tx: Tx, telegram_id: int, kind: str, expires_at: float) -> None:
    await tx.execute(
        """INSERT INTO import_waits (telegram_id, kind, expires_at) VALUES (?, ?, ?)
           ON CONFLICT(telegram_id) DO UPDATE SET kind = excluded.kind, expires_at = excluded.expires_at""",
        (telegram_id, kind, expires_at),
    )


async def waiting_for(tx: Tx, telegram_id: int, now: float) -> str | None:
    """The kind of file this admin said they would send, while the wait lasts."""
    return await tx.value("SELECT kind FROM import_waits WHERE telegram_id = ? AND expires_at > ?", (telegram_id, now))


async def stop_waiting(tx: Tx, telegram_id: int) -> None:
    await tx.execute("DELETE FROM import_waits WHERE telegram_id = ?", (telegram_id,))
