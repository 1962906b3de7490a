"""The escalation chain's timers (tickets.next_action_at, escalation_step) and its questions."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def due(tx: Tx, now: float, limit: int = 200) -> list[dict[str, Any]]:
    """Open tickets whose next step is due (tickets_next_action index), oldest deadline first."""
    rows = await tx.all(
        """SELECT id, escalation_step, next_action_at, alert_round FROM tickets
           WHERE status = 'open' AND next_action_at <= ? ORDER BY next_action_at LIMIT ?""",
        (now, limit),
    )
    return [dict(row) for row in rows]


async def lock_due(tx: Tx, ticket_id: int, now: float) -> bool:
    """The first statement of firing a ticket's step: the ticket's row, if it is still open and
    due, locked for this transaction (PostgreSQL; SKIP LOCKED: a ticket another worker is firing
    is skipped, not waited for). The compare-and-set of `take_step` still decides the step."""
    return await tx.value(f"SELECT id FROM tickets WHERE id = ? AND status = 'open' AND next_action_at <= ?"
                          f"{tx.dialect.skip_locked}", (ticket_id, now)) is not None


async def next_deadline(tx: Tx) -> float | None:
    """The soonest step of any open ticket (for the precise one-off job)."""
    return await tx.value("SELECT min(next_action_at) FROM tickets WHERE status = 'open' AND next_action_at IS NOT NULL")


async def take_step(tx: Tx, ticket_id: int, alert_round: int, step: int, due_at: float | None,
                    values: dict[str, Any], now: float) -> bool:
    """Compare-and-set: the step after `step` is ours to fire only if the ticket is still open
    and still at the (round, step, deadline) the caller read. Two racing ticks: exactly one wins."""
    sets = ", ".join(f"{column} = ?" for column in values)
    cursor = await tx.execute(
        f"""UPDATE tickets SET {sets}, updated_at = ?
            WHERE id = ? AND status = 'open' AND alert_round = ? AND escalation_step = ?
            AND next_action_at IS ?""",
        [*values.values(), now, ticket_id, alert_round, step, due_at],
    )
    return cursor.rowcount == 1


async def declined_since(tx: Tx, ticket_id: int, event_id: int) -> set[int]:
    """Who pressed Can't go on this ticket after event `event_id` (their Telegram ids)."""
    rows = await tx.all(
        "SELECT DISTINCT actor_id FROM ticket_events WHERE ticket_id = ? AND kind = 'declined' AND id > ? "
        "AND actor_id IS NOT NULL",
        (ticket_id, event_id),
    )
    return {int(row[0]) for row in rows}


async def alert_rows(tx: Tx, ticket_id: int, prefix: str) -> list[dict[str, Any]]:
    """The alerts of one round (or one step of it), by their dedupe key's prefix."""
    rows = await tx.all(
        "SELECT id, chat_id, status, dedupe_key FROM outbox WHERE ticket_id = ? AND purpose = 'alert' "
        "AND substr(dedupe_key, 1, ?) = ? ORDER BY id",
        (ticket_id, len(prefix), prefix),
    )
    return [dict(row) for row in rows]


async def last_event_id(tx: Tx, ticket_id: int) -> int:
    """The newest event of the ticket (0: none): a new chain counts Can't go presses after it."""
    return int(await tx.value("SELECT coalesce(max(id), 0) FROM ticket_events WHERE ticket_id = ?", (ticket_id,)))
