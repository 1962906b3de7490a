"""Tickets, their audit trail (events) and attachments."""

from __future__ import annotations

from typing import Any

from bot.core import lifecycle
from storage.db import Tx, marks, set_clause

# The unfinished statuses, from the state machine itself (one source, not SQL literals).
ACTIVE = "(" + ", ".join(f"'{status}'" for status in lifecycle.ACTIVE) + ")"
URGENCY_ORDER = "CASE urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 WHEN 'routine' THEN 2 ELSE 3 END"


async def create(tx: Tx, values: dict[str, Any], now: float) -> tuple[int, bool]:
    """Insert a ticket; (id, created). A ticket for the same update_id is returned, not duplicated."""
    if values.get("source_update_id") is not None:
        existing = await tx.value("SELECT id FROM tickets WHERE source_update_id = ?", (values["source_update_id"],))
        if existing is not None:
            return int(existing), False
    columns = list(values)
    cursor = await tx.execute(
        f"INSERT INTO tickets ({', '.join(columns)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
        [values[c] for c in columns] + [now, now],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid, True


async def get(tx: Tx, ticket_id: int) -> dict[str, Any] | None:
    row = await tx.one(
        """SELECT t.*, v.name AS claimant_name, v.telegram_id AS claimant_telegram_id
           FROM tickets t LEFT JOIN volunteers v ON v.id = t.claimed_by WHERE t.id = ?""",
        (ticket_id,),
    )
    return dict(row) if row else None


async def change(
    tx: Tx, ticket_id: int, from_status: tuple[str, ...], values: dict[str, Any], now: float
) -> bool:
    """Compare-and-set: apply `values` only if the ticket is still in one of `from_status`.

    This is what makes two simultaneous claims end in exactly one winner.
    """
    sets, params = set_clause(values)
    cursor = await tx.execute(
        f"UPDATE tickets SET {sets}, updated_at = ? WHERE id = ? AND status IN ({marks(from_status)})",
        params + [now, ticket_id, *from_status],
    )
    return cursor.rowcount == 1


async def update(tx: Tx, ticket_id: int, values: dict[str, Any], now: float) -> None:
    sets, params = set_clause(values)
    await tx.execute(f"UPDATE tickets SET {sets}, updated_at = ? WHERE id = ?", params + [now, ticket_id])


async def add_event(
    tx: Tx, ticket_id: int, kind: str, now: float, actor_id: int | None = None,
    actor: str | None = None, detail: str | None = None,
) -> int:
    cursor = await tx.execute(
        "INSERT INTO ticket_events (ticket_id, at, actor_id, actor, kind, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (ticket_id, now, actor_id, actor, kind, detail),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def event(tx: Tx, event_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM ticket_events WHERE id = ?", (event_id,))
    return dict(row) if row else None


async def mark_event(tx: Tx, event_id: int, kind: str) -> None:
    await tx.execute("UPDATE ticket_events SET kind = ? WHERE id = ?", (kind, event_id))


async def events(tx: Tx, ticket_id: int) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM ticket_events WHERE ticket_id = ? ORDER BY id", (ticket_id,))
    return [dict(row) for row in rows]


async def open_for_reporter(tx: Tx, chat_id: int) -> list[dict[str, Any]]:
    rows = await tx.all(
        f"""SELECT t.*, v.name AS claimant_name FROM tickets t LEFT JOIN volunteers v ON v.id = t.claimed_by
           WHERE t.reporter_chat_id = ? AND t.status IN {ACTIVE}
           ORDER BY t.id DESC""",
        (chat_id,),
    )
    return [dict(row) for row in rows]


async def latest_for_reporter(tx: Tx, chat_id: int) -> dict[str, Any] | None:
    ticket_id = await tx.value("SELECT max(id) FROM tickets WHERE reporter_chat_id = ?", (chat_id,))
    return None if ticket_id is None else await get(tx, ticket_id)


async def latest_active_for_reporter(tx: Tx, chat_id: int) -> dict[str, Any] | None:
    """The reporter's newest unfinished ticket: what a message without a new problem is about."""
    ticket_id = await tx.value(
        f"SELECT max(id) FROM tickets WHERE reporter_chat_id = ? AND status IN {ACTIVE}",
        (chat_id,),
    )
    return None if ticket_id is None else await get(tx, ticket_id)


async def unplaced_for_reporter(tx: Tx, chat_id: int) -> list[dict[str, Any]]:
    """The reporter's unfinished tickets made before they registered (no resident yet)."""
    rows = await tx.all(
        f"""SELECT * FROM tickets WHERE reporter_chat_id = ? AND resident_id IS NULL
           AND status IN {ACTIVE} ORDER BY id""",
        (chat_id,),
    )
    return [dict(row) for row in rows]


async def open_in_building(tx: Tx, building: str) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM tickets WHERE building = ? AND status = 'open' ORDER BY id", (building,))
    return [dict(row) for row in rows]


async def resolved_before(tx: Tx, before: float, limit: int = 100) -> list[int]:
    """Tickets resolved by a volunteer and never confirmed by the resident since `before`."""
    rows = await tx.all(
        "SELECT id FROM tickets WHERE status = 'resolved' AND resolved_at < ? ORDER BY id LIMIT ?", (before, limit)
    )
    return [int(row[0]) for row in rows]


async def unanswered_danger_questions(tx: Tx, before: float) -> list[dict[str, Any]]:
    """Tickets whose "is someone in danger?" question has waited since before `before`."""
    rows = await tx.all(
        f"""SELECT * FROM tickets WHERE danger_asked_at IS NOT NULL AND danger_answer IS NULL
            AND danger_asked_at < ? AND status IN {ACTIVE} ORDER BY id""",
        (before,),
    )
    return [dict(row) for row in rows]


async def held_by(tx: Tx, volunteer_id: int) -> list[dict[str, Any]]:
    rows = await tx.all(
        f"SELECT * FROM tickets WHERE claimed_by = ? AND status = 'claimed' ORDER BY {URGENCY_ORDER}, id",
        (volunteer_id,),
    )
    return [dict(row) for row in rows]


async def open_tickets(tx: Tx, limit: int = 30) -> list[dict[str, Any]]:
    """Unfinished tickets, most urgent first, newest first within a level."""
    rows = await tx.all(
        f"""SELECT t.*, v.name AS claimant_name FROM tickets t LEFT JOIN volunteers v ON v.id = t.claimed_by
            WHERE t.status IN {ACTIVE}
            ORDER BY {URGENCY_ORDER}, t.id DESC LIMIT ?""",
        (limit,),
    )
    return [dict(row) for row in rows]


async def open_tickets_in(tx: Tx, grids: list[str], limit: int = 30) -> list[dict[str, Any]]:
    """Unfinished tickets of these grids (a grid leader's), in the order of `open_tickets`."""
    rows = await tx.all(
        f"""SELECT t.*, v.name AS claimant_name FROM tickets t LEFT JOIN volunteers v ON v.id = t.claimed_by
            WHERE t.status IN {ACTIVE} AND t.grid IN ({marks(grids)})
            ORDER BY {URGENCY_ORDER}, t.id DESC LIMIT ?""",
        [*grids, limit],
    )
    return [dict(row) for row in rows]


async def count_open(tx: Tx) -> int:
    return int(await tx.value(f"SELECT count(*) FROM tickets WHERE status IN {ACTIVE}"))


async def add_attachment(tx: Tx, ticket_id: int, kind: str, file_id: str, now: float) -> None:
    await tx.execute(
        "INSERT INTO attachments (ticket_id, kind, file_id, created_at) VALUES (?, ?, ?, ?)",
        (ticket_id, kind, file_id, now),
    )


async def attachments(tx: Tx, ticket_id: int) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM attachments WHERE ticket_id = ? ORDER BY id", (ticket_id,))
    return [dict(row) for row in rows]


async def by_source_message(tx: Tx, chat_id: int, message_id: int) -> dict[str, Any] | None:
    row = await tx.one(
        "SELECT * FROM tickets WHERE reporter_chat_id = ? AND source_message_id = ?", (chat_id, message_id)
    )
    return dict(row) if row else None


async def link_message(tx: Tx, chat_id: int, message_id: int, ticket_id: int) -> None:
    """A message added to a ticket (an update): an edit of it finds the ticket."""
    await tx.execute(
        """INSERT INTO ticket_messages (chat_id, message_id, ticket_id) VALUES (?, ?, ?)
           ON CONFLICT(chat_id, message_id) DO UPDATE SET ticket_id = excluded.ticket_id""",
        (chat_id, message_id, ticket_id),
    )


async def by_message(tx: Tx, chat_id: int, message_id: int) -> dict[str, Any] | None:
    """The ticket a message of this chat made, or was added to."""
    found = await by_source_message(tx, chat_id, message_id)
    if found is not None:
        return await get(tx, found["id"])
    ticket_id = await tx.value("SELECT ticket_id FROM ticket_messages WHERE chat_id = ? AND message_id = ?",
                               (chat_id, message_id))
    return None if ticket_id is None else await get(tx, ticket_id)


async def count_made_since(tx: Tx, chat_id: int, since: float) -> int:
    """Tickets this person opened since `since` (the ones the bot opened about them, from a missed
    check-in, are not theirs)."""
    return int(await tx.value(
        "SELECT count(*) FROM tickets WHERE reporter_chat_id = ? AND created_at > ? AND source != 'checkin'",
        (chat_id, since),
    ))
