"""Micro-wishes (微心愿): the wishes, their moves (compare-and-set on the status) and their history."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from storage.db import Tx, marks, set_clause

Wish = dict[str, Any]


async def create(tx: Tx, values: dict[str, Any], now: float) -> tuple[int, bool]:
    """Insert a wish; (id, created). The same update handled again returns the first wish."""
    if values.get("source_update_id") is not None:
        existing = await tx.value("SELECT id FROM wishes WHERE source_update_id = ?", (values["source_update_id"],))
        if existing is not None:
            return int(existing), False
    columns = list(values)
    cursor = await tx.execute(
        f"INSERT INTO wishes ({', '.join(columns)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
        [values[c] for c in columns] + [now, now],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid, True


async def get(tx: Tx, wish_id: int) -> Wish | None:
    row = await tx.one("SELECT * FROM wishes WHERE id = ?", (wish_id,))
    return dict(row) if row else None


async def change(tx: Tx, wish_id: int, sources: Iterable[str], values: dict[str, Any], now: float) -> bool:
    """Apply `values` only if the wish is still in one of `sources`: a compare-and-set, so of two
    moves made at once (two Adopt presses) exactly one wins. Whether this one did."""
    sources = list(sources)
    sets, params = set_clause(values)
    cursor = await tx.execute(
        f"UPDATE wishes SET {sets}, updated_at = ? WHERE id = ? AND status IN ({marks(sources)})",
        params + [now, wish_id, *sources],
    )
    return cursor.rowcount == 1


async def update(tx: Tx, wish_id: int, values: dict[str, Any], now: float) -> None:
    sets, params = set_clause(values)
    await tx.execute(f"UPDATE wishes SET {sets}, updated_at = ? WHERE id = ?", params + [now, wish_id])


async def add_event(tx: Tx, wish_id: int, kind: str, now: float, actor_telegram_id: int | None,
                    actor_name: str | None, detail: str | None = None) -> None:
    await tx.execute(
        "INSERT INTO wish_events (wish_id, kind, at, actor_telegram_id, actor_name, detail) VALUES (?, ?, ?, ?, ?, ?)",
        (wish_id, kind, now, actor_telegram_id, actor_name, detail),
    )


async def events(tx: Tx, wish_id: int) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM wish_events WHERE wish_id = ? ORDER BY id", (wish_id,))
    return [dict(row) for row in rows]


async def count_for_resident(tx: Tx, chat_id: int, statuses: Sequence[str]) -> int:
    return int(await tx.value(
        f"SELECT count(*) FROM wishes WHERE resident_chat_id = ? AND status IN ({marks(statuses)})",
        (chat_id, *statuses)))


async def of_resident(tx: Tx, chat_id: int, statuses: Sequence[str]) -> list[Wish]:
    rows = await tx.all(
        f"SELECT * FROM wishes WHERE resident_chat_id = ? AND status IN ({marks(statuses)}) ORDER BY id",
        (chat_id, *statuses))
    return [dict(row) for row in rows]


async def with_status(tx: Tx, statuses: Sequence[str]) -> list[Wish]:
    """The committee's list: the oldest waiting first within each state, pending before the rest."""
    order = " ".join(f"WHEN ? THEN {rank}" for rank, _ in enumerate(statuses))
    rows = await tx.all(
        f"SELECT * FROM wishes WHERE status IN ({marks(statuses)}) ORDER BY CASE status {order} END, id",
        (*statuses, *statuses))
    return [dict(row) for row in rows]


async def held_by(tx: Tx, telegram_id: int, statuses: Sequence[str]) -> list[Wish]:
    rows = await tx.all(
        f"SELECT * FROM wishes WHERE adopter_telegram_id = ? AND status IN ({marks(statuses)}) ORDER BY id",
        (telegram_id, *statuses))
    return [dict(row) for row in rows]


async def counts(tx: Tx, start: float, end: float, grids: Sequence[str] | None = None) -> dict[str, int]:
    """For /stats: wishes made (`new`), approved, adopted and fulfilled within [start, end), each by
    the time of that step (a wish made last week and fulfilled today counts as fulfilled today);
    `grids` limits it to wishes of those grids (a leader's /stats). A fulfilled wish the resident
    confirmed since still counts as fulfilled. A wish given back and adopted again counts once, at
    its latest adoption. Always the four keys, 0 when none."""
    where, params = "", []
    if grids is not None:
        if not grids:
            return {"new": 0, "approved": 0, "adopted": 0, "fulfilled": 0}
        where, params = f" AND grid IN ({marks(grids)})", list(grids)
    result: dict[str, int] = {}
    for key, column in (("new", "created_at"), ("approved", "approved_at"), ("adopted", "adopted_at"),
                        ("fulfilled", "fulfilled_at")):
        # one indexed range per step (wishes_created, wishes_approved, ...), not a table scan
        result[key] = int(await tx.value(
            f"SELECT count(*) FROM wishes WHERE {column} >= ? AND {column} < ?{where}", [start, end, *params]))
    return result
