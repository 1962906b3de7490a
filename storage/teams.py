"""Volunteer teams: the grids they cover, their members and invite codes."""

from __future__ import annotations

from typing import Any

from storage.db import Tx, set_clause


async def team_by_name(tx: Tx, name: str) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM teams WHERE name = ?", (name,))
    return dict(row) if row else None


async def ensure_team(tx: Tx, name: str, now: float) -> dict[str, Any]:
    await tx.execute("INSERT INTO teams (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, now))
    team = await team_by_name(tx, name)
    assert team is not None
    return team


async def set_grids(tx: Tx, team_id: int, grids: list[str]) -> None:
    await tx.execute("DELETE FROM team_grids WHERE team_id = ?", (team_id,))
    await tx.executemany("INSERT INTO team_grids (team_id, grid) VALUES (?, ?)", [(team_id, g) for g in grids])


async def add_grids(tx: Tx, team_id: int, grids: list[str]) -> None:
    await tx.executemany(
        "INSERT INTO team_grids (team_id, grid) VALUES (?, ?) ON CONFLICT DO NOTHING", [(team_id, g) for g in grids]
    )


async def grids_of(tx: Tx, team_id: int) -> list[str]:
    rows = await tx.all("SELECT grid FROM team_grids WHERE team_id = ? ORDER BY grid", (team_id,))
    return [row[0] for row in rows]


async def all_teams(tx: Tx) -> list[dict[str, Any]]:
    rows = await tx.all(
        """SELECT t.id, t.name,
                  (SELECT group_concat(grid, ',') FROM team_grids g WHERE g.team_id = t.id) AS grids,
                  (SELECT count(*) FROM memberships m WHERE m.team_id = t.id AND m.active = 1) AS members
           FROM teams t ORDER BY t.name"""
    )
    return [dict(row) for row in rows]


async def volunteer_by_telegram_id(tx: Tx, telegram_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM volunteers WHERE telegram_id = ?", (telegram_id,))
    return dict(row) if row else None


async def volunteer_by_phone(tx: Tx, phone: str) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM volunteers WHERE phone = ?", (phone,))
    return dict(row) if row else None


async def teams_covering(tx: Tx, grid: str) -> list[str]:
    """The names of the teams whose grids include this one."""
    rows = await tx.all(
        "SELECT t.name FROM teams t JOIN team_grids g ON g.team_id = t.id WHERE g.grid = ? ORDER BY t.name", (grid,)
    )
    return [row[0] for row in rows]


async def volunteer_by_id(tx: Tx, volunteer_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM volunteers WHERE id = ?", (volunteer_id,))
    return dict(row) if row else None


async def upsert_volunteer(tx: Tx, values: dict[str, Any], now: float) -> int:
    """Find by Telegram id, then by phone; update what is given, or create."""
    existing = None
    if values.get("telegram_id") is not None:
        existing = await volunteer_by_telegram_id(tx, values["telegram_id"])
    if existing is None and values.get("phone"):
        existing = await volunteer_by_phone(tx, values["phone"])
    columns = [name for name in ("telegram_id", "name", "phone", "language") if values.get(name) is not None]
    if existing:
        if columns:
            sets, params = set_clause({c: values[c] for c in columns})
            await tx.execute(f"UPDATE volunteers SET {sets}, active = 1, updated_at = ? WHERE id = ?",
                             params + [now, existing["id"]])
        return int(existing["id"])
    cursor = await tx.execute(
        f"INSERT INTO volunteers ({', '.join(columns)}, created_at, updated_at) "
        f"VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
        [values[c] for c in columns] + [now, now],
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def add_member(tx: Tx, team_id: int, volunteer_id: int, role: str, now: float) -> None:
    await tx.execute(
        """INSERT INTO memberships (team_id, volunteer_id, role, joined_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(team_id, volunteer_id) DO UPDATE SET role = excluded.role, active = 1""",
        (team_id, volunteer_id, role, now),
    )


async def memberships_for_grid(tx: Tx, grid: str) -> list[dict[str, Any]]:
    """Every active membership of a team covering the grid, with the volunteer's chat."""
    rows = await tx.all(
        """SELECT v.id AS volunteer_id, v.telegram_id, v.name, v.language, m.role, t.name AS team
           FROM team_grids g
           JOIN teams t ON t.id = g.team_id
           JOIN memberships m ON m.team_id = t.id AND m.active = 1
           JOIN volunteers v ON v.id = m.volunteer_id AND v.active = 1
           WHERE g.grid = ?
           ORDER BY v.id""",
        (grid,),
    )
    return [dict(row) for row in rows]


async def teams_of(tx: Tx, volunteer_id: int) -> list[dict[str, Any]]:
    rows = await tx.all(
        """SELECT t.id, t.name, m.role FROM memberships m JOIN teams t ON t.id = m.team_id
           WHERE m.volunteer_id = ? AND m.active = 1 ORDER BY t.name""",
        (volunteer_id,),
    )
    return [dict(row) for row in rows]


async def create_invite(tx: Tx, code: str, team_id: int, created_by: int, now: float, expires_at: float) -> None:
    await tx.execute(
        "INSERT INTO invites (code, team_id, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
        (code, team_id, created_by, now, expires_at),
    )


async def invite(tx: Tx, code: str) -> dict[str, Any] | None:
    row = await tx.one(
        "SELECT i.*, t.name AS team FROM invites i JOIN teams t ON t.id = i.team_id WHERE i.code = ?", (code,)
    )
    return dict(row) if row else None


async def use_invite(tx: Tx, code: str) -> None:
    await tx.execute("UPDATE invites SET uses = uses + 1 WHERE code = ?", (code,))


async def leader_grids(tx: Tx, volunteer_id: int) -> list[str]:
    """The grids of the teams this volunteer leads."""
    rows = await tx.all(
        """SELECT DISTINCT g.grid FROM memberships m JOIN team_grids g ON g.team_id = m.team_id
           WHERE m.volunteer_id = ? AND m.active = 1 AND m.role = 'leader' ORDER BY g.grid""",
        (volunteer_id,),
    )
    return [row["grid"] for row in rows]
