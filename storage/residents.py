"""Residents: the people the committee serves, and which grid each building is in."""

from __future__ import annotations

from typing import Any

from storage.db import Tx, marks, set_clause

FIELDS = (
    "telegram_id", "name", "phone", "building", "unit", "room", "grid", "language", "lives_alone",
    "birth_year", "emergency_contact_name", "emergency_contact_phone", "emergency_contact_telegram_id",
    "source", "registered_at", "phone_source",
)


async def by_id(tx: Tx, resident_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM residents WHERE id = ?", (resident_id,))
    return dict(row) if row else None


async def by_telegram_id(tx: Tx, telegram_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM residents WHERE telegram_id = ?", (telegram_id,))
    return dict(row) if row else None


async def by_phone(tx: Tx, phone: str) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM residents WHERE phone = ?", (phone,))
    return dict(row) if row else None


async def create(tx: Tx, values: dict[str, Any], now: float) -> int:
    columns = [name for name in FIELDS if name in values]
    cursor = await tx.execute(
        f"INSERT INTO residents ({', '.join(columns)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
        [values[name] for name in columns] + [now, now],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update(tx: Tx, resident_id: int, values: dict[str, Any], now: float) -> None:
    known = {name: values[name] for name in FIELDS if name in values}
    if not known:
        return
    sets, params = set_clause(known)
    await tx.execute(f"UPDATE residents SET {sets}, updated_at = ? WHERE id = ?", params + [now, resident_id])


async def grid_of_building(tx: Tx, building: str) -> str | None:
    return await tx.value("SELECT grid FROM buildings WHERE name = ?", (building.strip(),))


async def set_building_grid(tx: Tx, building: str, grid: str) -> None:
    await tx.execute(
        "INSERT INTO buildings (name, grid) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET grid = excluded.grid",
        (building.strip(), grid),
    )


async def by_name_and_flat(tx: Tx, name: str, building: str | None, unit: str | None,
                           room: str | None) -> dict[str, Any] | None:
    """A resident known by name and flat alone (no phone, no Telegram): how a re-import finds them."""
    row = await tx.one(
        """SELECT * FROM residents WHERE name = ? AND coalesce(building, '') = coalesce(?, '')
           AND coalesce(unit, '') = coalesce(?, '') AND coalesce(room, '') = coalesce(?, '') ORDER BY id LIMIT 1""",
        (name, building, unit, room),
    )
    return dict(row) if row else None


async def buildings(tx: Tx) -> list[dict[str, Any]]:
    """The building -> grid map."""
    return [dict(row) for row in await tx.all("SELECT name, grid FROM buildings ORDER BY name")]


async def resident_buildings(tx: Tx) -> list[dict[str, Any]]:
    """Each building value residents have, as stored, with how many live there."""
    rows = await tx.all(
        "SELECT building, count(*) AS residents FROM residents WHERE building IS NOT NULL GROUP BY building"
    )
    return [dict(row) for row in rows]


async def move_buildings(tx: Tx, buildings: list[str], grid: str, now: float) -> int:
    """Every resident whose building is one of these (as stored) is now in `grid`; how many changed."""
    if not buildings:
        return 0
    cursor = await tx.execute(
        f"UPDATE residents SET grid = ?, updated_at = ? WHERE building IN ({marks(buildings)}) "
        "AND coalesce(grid, '') <> ?",
        [grid, now, *buildings, grid],
    )
    return max(cursor.rowcount, 0)


async def by_name(tx: Tx, name: str, limit: int = 10) -> list[dict[str, Any]]:
    """Residents with this name (case-insensitive): several people may share one."""
    rows = await tx.all("SELECT * FROM residents WHERE lower(name) = lower(?) ORDER BY id LIMIT ?", (name.strip(), limit))
    return [dict(row) for row in rows]


async def by_emergency_contact(tx: Tx, telegram_id: int) -> list[dict[str, Any]]:
    """The residents whose family contact this Telegram user is."""
    rows = await tx.all("SELECT * FROM residents WHERE emergency_contact_telegram_id = ? ORDER BY id", (telegram_id,))
    return [dict(row) for row in rows]


# what points at a resident and moves with a merge, with the rest of each table's unique key: one
# resident has one plan, one check-in per slot, one "all well" per family member
MERGED: dict[str, tuple[str, ...]] = {"checkin_plans": (), "checkins": ("slot",), "allwell": ("telegram_id",),
                                      "checkin_requests": ("id",), "link_requests": ("id",)}


async def merge_into(tx: Tx, from_id: int, to_id: int) -> None:
    """Everything that points at resident `from_id` points at `to_id` (where `to_id` has none of its
    own: a plan, a day's check-in), then `from_id` is deleted with what is left of it."""
    await tx.execute("UPDATE tickets SET resident_id = ? WHERE resident_id = ?", (to_id, from_id))
    for table, key in MERGED.items():
        # a row whose key `to_id` already has stays behind (SQLite's UPDATE OR IGNORE, said portably)
        clash = " AND ".join([f"o.resident_id = ?", *(f"o.{k} = {table}.{k}" for k in key)])
        await tx.execute(f"UPDATE {table} SET resident_id = ? WHERE resident_id = ? "
                         f"AND NOT EXISTS (SELECT 1 FROM {table} o WHERE {clash})", (to_id, from_id, to_id))
    await tx.execute("DELETE FROM residents WHERE id = ?", (from_id,))
