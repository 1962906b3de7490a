"""Load the committee's spreadsheets (UTF-8 CSV with a header) into the database.

Re-importing updates rather than duplicates: residents are matched by Telegram id, then
phone; volunteers likewise. A bad row is reported with its line number; the rest load.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.clock import Clock
from bot.phones import normalize_phone
from bot.teams import parse_grids
from storage import Database, Tx
from storage import residents as residents_repo
from storage import teams as teams_repo

RESIDENT_COLUMNS = (
    "name", "phone", "telegram_id", "building", "unit", "room", "grid", "language", "lives_alone", "birth_year",
    "emergency_contact_name", "emergency_contact_phone", "emergency_contact_telegram_id",
)
VOLUNTEER_COLUMNS = ("name", "phone", "telegram_id", "team", "role", "grids", "language")
TRUE = {"1", "true", "yes", "y", "是", "独居", "x"}


@dataclass
class Report:
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


class RowError(ValueError):
    pass


def _int(value: str, name: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise RowError(f"{name} must be a whole number, got {value!r}") from None


def _phone(value: str, name: str) -> str | None:
    if not value.strip():
        return None
    phone = normalize_phone(value)
    if phone is None:
        raise RowError(f"{name} is not a phone number: {value!r}")
    return phone


def _read(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in reader.fieldnames or []]
        missing = [c for c in required if c not in header]
        if missing:
            raise RowError(f"the header lacks {', '.join(missing)}")
        reader.fieldnames = header
        return [(reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader]


async def import_residents(db: Database, path: Path, clock: Clock) -> Report:
    report = Report()
    rows = _read(path, ("name", "phone", "building", "grid"))
    for line, row in rows:
        try:
            values = _resident_values(row)
            async with db.transaction() as tx:
                created = await _upsert_resident(tx, values, clock.now())
            report.created += created
            report.updated += not created
        except RowError as exc:
            report.errors.append((line, str(exc)))
        except Exception as exc:  # e.g. a phone that another record already has
            report.errors.append((line, f"{type(exc).__name__}: {exc}"))
    return report


def _resident_values(row: dict[str, str]) -> dict[str, Any]:
    if not row.get("name"):
        raise RowError("name is empty")
    values: dict[str, Any] = {
        "name": row["name"], "phone": _phone(row.get("phone", ""), "phone"),
        "telegram_id": _int(row.get("telegram_id", ""), "telegram_id"),
        "building": row.get("building") or None, "unit": row.get("unit") or None, "room": row.get("room") or None,
        "grid": row.get("grid") or None, "language": row.get("language") or None,
        "lives_alone": 1 if row.get("lives_alone", "").lower() in TRUE else 0,
        "birth_year": _int(row.get("birth_year", ""), "birth_year"),
        "emergency_contact_name": row.get("emergency_contact_name") or None,
        "emergency_contact_phone": _phone(row.get("emergency_contact_phone", ""), "emergency_contact_phone"),
        "emergency_contact_telegram_id": _int(row.get("emergency_contact_telegram_id", ""),
                                              "emergency_contact_telegram_id"),
        "source": "import",
    }
    if values["language"] not in (None, "zh", "en"):
        raise RowError(f"language must be zh or en, got {values['language']!r}")
    if not values["phone"] and values["telegram_id"] is None:
        raise RowError("a resident needs a phone or a telegram_id")
    return values


async def _upsert_resident(tx: Tx, values: dict[str, Any], now: float) -> bool:
    existing = None
    if values["telegram_id"] is not None:
        existing = await residents_repo.by_telegram_id(tx, values["telegram_id"])
    if existing is None and values["phone"]:
        existing = await residents_repo.by_phone(tx, values["phone"])
    if values["building"] and values["grid"]:
        await residents_repo.set_building_grid(tx, values["building"], values["grid"])
    if existing:
        await residents_repo.update(tx, existing["id"], {k: v for k, v in values.items() if k != "source"}, now)
        return False
    await residents_repo.create(tx, values, now)
    return True


async def import_volunteers(db: Database, path: Path, clock: Clock) -> Report:
    report = Report()
    rows = _read(path, ("name", "team"))
    for line, row in rows:
        try:
            if not row.get("name") or not row.get("team"):
                raise RowError("name and team are required")
            role = (row.get("role") or "member").lower()
            if role not in ("member", "leader"):
                raise RowError(f"role must be member or leader, got {role!r}")
            grids = parse_grids(row["grids"].replace(";", ",")) if row.get("grids") else []
            values = {"name": row["name"], "phone": _phone(row.get("phone", ""), "phone"),
                      "telegram_id": _int(row.get("telegram_id", ""), "telegram_id"),
                      "language": row.get("language") or None}
            if values["language"] not in (None, "zh", "en"):
                raise RowError(f"language must be zh or en, got {values['language']!r}")
            async with db.transaction() as tx:
                now = clock.now()
                known = values["telegram_id"] is not None and await teams_repo.volunteer_by_telegram_id(
                    tx, values["telegram_id"])
                volunteer_id = await teams_repo.upsert_volunteer(tx, values, now)
                team = await teams_repo.ensure_team(tx, row["team"], now)
                await teams_repo.add_member(tx, team["id"], volunteer_id, role, now)
                if grids:
                    await teams_repo.add_grids(tx, team["id"], grids)
            report.created += not known
            report.updated += bool(known)
        except ValueError as exc:
            report.errors.append((line, str(exc)))
        except Exception as exc:
            report.errors.append((line, f"{type(exc).__name__}: {exc}"))
    return report
