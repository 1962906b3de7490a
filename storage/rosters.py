"""Rosters: shifts and their volunteers, duty overrides (off, cover) and shift swaps."""

from __future__ import annotations

from typing import Any

from storage.db import Tx, marks

_SHIFT = """SELECT s.id, s.team_id, t.name AS team, s.days, s.start_minute, s.end_minute,
                   (SELECT group_concat(volunteer_id) FROM shift_volunteers v WHERE v.shift_id = s.id) AS volunteers
            FROM shifts s JOIN teams t ON t.id = s.team_id"""


def _ids(text: str | None) -> list[int]:
    return [int(part) for part in (text or "").split(",") if part]


def _shift(row: Any) -> dict[str, Any]:
    shift = dict(row)
    shift["volunteers"] = _ids(shift["volunteers"])
    return shift


async def add_shift(tx: Tx, team_id: int, days: str, start: int, end: int, volunteer_ids: list[int],
                    by: int | None, now: float) -> int:
    cursor = await tx.execute(
        "INSERT INTO shifts (team_id, days, start_minute, end_minute, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
        (team_id, days, start, end, by, now))
    assert cursor.lastrowid is not None
    await tx.executemany("INSERT OR IGNORE INTO shift_volunteers (shift_id, volunteer_id) VALUES (?, ?)",
                         [(cursor.lastrowid, v) for v in volunteer_ids])
    return cursor.lastrowid


async def same_shift(tx: Tx, team_id: int, days: str, start: int, end: int) -> int | None:
    """A shift of the team with these days and hours (a re-import updates it rather than adding one)."""
    return await tx.value("SELECT id FROM shifts WHERE team_id = ? AND days = ? AND start_minute = ? AND end_minute = ?"
                          " ORDER BY id LIMIT 1", (team_id, days, start, end))


async def set_volunteers(tx: Tx, shift_id: int, volunteer_ids: list[int]) -> None:
    await tx.execute("DELETE FROM shift_volunteers WHERE shift_id = ?", (shift_id,))
    await tx.executemany("INSERT OR IGNORE INTO shift_volunteers (shift_id, volunteer_id) VALUES (?, ?)",
                         [(shift_id, v) for v in volunteer_ids])


async def remove_shift(tx: Tx, shift_id: int) -> bool:
    cursor = await tx.execute("DELETE FROM shifts WHERE id = ?", (shift_id,))
    return cursor.rowcount > 0


async def any_shift(tx: Tx) -> bool:
    return await tx.value("SELECT EXISTS (SELECT 1 FROM shifts)") == 1


async def shift(tx: Tx, shift_id: int) -> dict[str, Any] | None:
    row = await tx.one(f"{_SHIFT} WHERE s.id = ?", (shift_id,))
    return _shift(row) if row else None


async def shifts(tx: Tx, team_id: int | None = None, starting: set[int] | None = None) -> list[dict[str, Any]]:
    """Every shift (or one team's, or those that start at one of the minutes `starting`), by team then start."""
    if team_id is not None:
        where, params = "WHERE s.team_id = ?", [team_id]
    elif starting is not None:
        where, params = f"WHERE s.start_minute IN ({marks(starting)})", sorted(starting)
    else:
        where, params = "", []
    rows = await tx.all(f"{_SHIFT} {where} ORDER BY t.name, s.start_minute, s.id", params)
    return [_shift(row) for row in rows]


async def shifts_for_grid(tx: Tx, grid: str) -> list[dict[str, Any]]:
    """The shifts of the teams covering a grid."""
    rows = await tx.all(
        f"{_SHIFT} JOIN team_grids g ON g.team_id = s.team_id WHERE g.grid = ? ORDER BY s.id", (grid,))
    return [_shift(row) for row in rows]


async def shifts_of(tx: Tx, volunteer_id: int) -> list[dict[str, Any]]:
    rows = await tx.all(
        f"{_SHIFT} JOIN shift_volunteers sv ON sv.shift_id = s.id WHERE sv.volunteer_id = ? ORDER BY s.id",
        (volunteer_id,))
    return [_shift(row) for row in rows]


async def volunteer_names(tx: Tx, ids: list[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    rows = await tx.all(f"SELECT id, name, telegram_id, language FROM volunteers WHERE id IN ({marks(ids)})", ids)
    return {row["id"]: dict(row) for row in rows}


# -- overrides -----------------------------------------------------------------------------------

async def add_override(tx: Tx, kind: str, volunteer_id: int, grid: str | None, start: float, end: float | None,
                       by: int | None, now: float) -> int:
    cursor = await tx.execute(
        """INSERT INTO duty_overrides (kind, volunteer_id, grid, starts_at, ends_at, created_by, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)""", (kind, volunteer_id, grid, start, end, by, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def end_off(tx: Tx, volunteer_id: int, now: float) -> int:
    """/duty on: every time off still running or to come ends now."""
    cursor = await tx.execute(
        "UPDATE duty_overrides SET ends_at = ? WHERE kind = 'off' AND volunteer_id = ? AND (ends_at IS NULL OR ends_at > ?)",
        (now, volunteer_id, now))
    return cursor.rowcount


async def offs(tx: Tx, since: float, volunteer_id: int | None = None) -> list[dict[str, Any]]:
    """Time off that has not ended by `since` (everyone's, or one volunteer's)."""
    extra, params = (" AND volunteer_id = ?", (volunteer_id,)) if volunteer_id is not None else ("", ())
    rows = await tx.all(
        f"""SELECT volunteer_id, starts_at, ends_at FROM duty_overrides
            WHERE kind = 'off' AND (ends_at IS NULL OR ends_at > ?){extra} ORDER BY id""", (since, *params))
    return [dict(row) for row in rows]


async def covers(tx: Tx, since: float, grid: str | None = None) -> list[dict[str, Any]]:
    """Covers that have not ended by `since`, with the volunteer's chat."""
    extra, params = (" AND o.grid = ?", (grid,)) if grid is not None else ("", ())
    rows = await tx.all(
        f"""SELECT o.grid, o.starts_at, o.ends_at, v.id AS volunteer_id, v.telegram_id, v.name, v.language
            FROM duty_overrides o JOIN volunteers v ON v.id = o.volunteer_id AND v.active = 1
            WHERE o.kind = 'cover' AND o.ends_at > ?{extra} ORDER BY o.id""", (since, *params))
    return [dict(row) for row in rows]


async def overrides_for(tx: Tx, since: float, grid: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Everyone's time off and the grid's covers not ended by `since`, in one query (who is on
    duty asks this for every alert: a round trip saved is a tenth of its time)."""
    rows = await tx.all(
        """SELECT o.kind, o.grid, o.starts_at, o.ends_at, v.id AS volunteer_id, v.telegram_id, v.name, v.language
           FROM duty_overrides o JOIN volunteers v ON v.id = o.volunteer_id
           WHERE (o.kind = 'off' AND (o.ends_at IS NULL OR o.ends_at > ?))
              OR (o.kind = 'cover' AND o.ends_at > ? AND o.grid = ? AND v.active = 1)
           ORDER BY o.id""", (since, since, grid))
    offs = [dict(row) for row in rows if row["kind"] == "off"]
    return offs, [dict(row) for row in rows if row["kind"] == "cover"]


# -- swaps ---------------------------------------------------------------------------------------

async def add_swap(tx: Tx, shift_id: int, day: str, giver: int, taker: int, now: float) -> int:
    cursor = await tx.execute(
        "INSERT INTO shift_swaps (shift_id, day, giver, taker, created_at) VALUES (?, ?, ?, ?, ?)",
        (shift_id, day, giver, taker, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def swap(tx: Tx, swap_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM shift_swaps WHERE id = ?", (swap_id,))
    return dict(row) if row else None


async def decide_swap(tx: Tx, swap_id: int, status: str, now: float) -> bool:
    """pending -> accepted | declined, once (a compare-and-set: two presses, one answer)."""
    cursor = await tx.execute(
        "UPDATE shift_swaps SET status = ?, decided_at = ? WHERE id = ? AND status = 'pending'", (status, now, swap_id))
    return cursor.rowcount > 0


async def accepted_swaps(tx: Tx, since_day: str, shift_ids: list[int] | None = None) -> list[dict[str, Any]]:
    extra = f" AND shift_id IN ({marks(shift_ids)})" if shift_ids is not None else ""
    if shift_ids is not None and not shift_ids:
        return []
    rows = await tx.all(
        f"SELECT shift_id, day, giver, taker FROM shift_swaps WHERE status = 'accepted' AND day >= ?{extra} ORDER BY id",
        (since_day, *(shift_ids or ())))
    return [dict(row) for row in rows]


async def all_grids(tx: Tx) -> list[str]:
    """Every grid a team covers or a building is in."""
    rows = await tx.all("SELECT grid FROM team_grids UNION SELECT grid FROM buildings WHERE grid IS NOT NULL ORDER BY 1")
    return [row[0] for row in rows]


async def team_members(tx: Tx, team_id: int) -> list[dict[str, Any]]:
    """The active volunteers of a team (to find WHO among them)."""
    rows = await tx.all(
        """SELECT v.id, v.name, v.phone, v.telegram_id, v.language, m.role FROM memberships m
           JOIN volunteers v ON v.id = m.volunteer_id AND v.active = 1
           WHERE m.team_id = ? AND m.active = 1 ORDER BY v.id""", (team_id,))
    return [dict(row) for row in rows]


async def volunteers(tx: Tx) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT id, name, phone, telegram_id, language FROM volunteers WHERE active = 1 ORDER BY id")
    return [dict(row) for row in rows]


async def open_unclaimed(tx: Tx, grids: list[str], limit: int = 50) -> list[dict[str, Any]]:
    """Open tickets nobody has claimed, in these grids: the most urgent first, then the oldest.
    Not info: those are questions answered from the templates, which nobody is meant to take; not
    a duplicate linked to another request (its original is the one to take)."""
    if not grids:
        return []
    rows = await tx.all(
        f"""SELECT id, urgency, category, grid, building, text, source, created_at FROM tickets
            WHERE status = 'open' AND urgency <> 'info' AND linked_to IS NULL AND grid IN ({marks(grids)})
            ORDER BY CASE urgency WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 WHEN 'routine' THEN 2 ELSE 3 END, id
            LIMIT ?""", (*grids, limit))
    return [dict(row) for row in rows]
