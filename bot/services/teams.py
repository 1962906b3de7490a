"""Teams, invites and the admin group: what admins set up and volunteers join."""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from bot.clock import Clock
from bot.core import clean_building
from bot.delivery import Outbox, links
from bot.services.people import Person
from storage import (
    Database, Tx, outbox as outbox_repo, residents as residents_repo, settings as settings_repo, teams as repo
)

INVITE_DAYS = 7
PER_PAGE = 30  # teams or buildings on a page of their list
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud
_GRID = re.compile(r"^[\w\-]{1,20}$")
ADMIN_GROUP = "admin_group_chat_id"


def parse_grids(text: str) -> list[str]:
    """'G1, G2；G3' -> ['G1', 'G2', 'G3']; ValueError on a name that is not a grid."""
    grids = [g.strip() for g in re.split(r"[,，、;；\s]+", text) if g.strip()]
    bad = [g for g in grids if not _GRID.match(g)]
    if bad or not grids:
        raise ValueError(", ".join(bad) or text)
    return list(dict.fromkeys(grids))


def parse_buildings(text: str) -> list[str]:
    """'7号楼、8栋, Building 9' -> ['7', '8', '9'] (clean names); ValueError naming what is not a building."""
    parts = [p.strip() for p in re.split(r"[,，、;；]+", text) if p.strip()]
    cleaned = [clean_building(p) for p in parts]
    bad = [p for p, c in zip(parts, cleaned) if not c]
    if bad or not parts:
        raise ValueError(", ".join(bad) or text)
    return list(dict.fromkeys(c for c in cleaned if c))


def _building_order(name: str) -> tuple[int, int, str]:
    return (0, int(name), "") if name.isdigit() else (1, 0, name)


async def assign_building(tx: Tx, building: str, grid: str, now: float) -> tuple[str | None, int]:
    """The building (a clean name) is in `grid` from now on, and so is everyone living there, whatever
    spelling their building was stored with ("7号楼", "7栋"). Returns the old grid and how many moved."""
    old = await residents_repo.grid_of_building(tx, building)
    await residents_repo.set_building_grid(tx, building, grid)
    spellings = [row["building"] for row in await residents_repo.resident_buildings(tx)
                 if clean_building(row["building"]) == building]
    return old, await residents_repo.move_buildings(tx, spellings, grid, now)


async def building_overview(tx: Tx) -> list[dict[str, Any]]:
    """Every building the committee knows (mapped to a grid, or lived in), its grid and its residents."""
    grids = {row["name"]: row["grid"] for row in await residents_repo.buildings(tx)}
    counts: dict[str, int] = {}
    for row in await residents_repo.resident_buildings(tx):
        name = clean_building(row["building"]) or row["building"]
        counts[name] = counts.get(name, 0) + row["residents"]
    names = sorted(set(grids) | set(counts), key=_building_order)
    return [{"name": name, "grid": grids.get(name), "residents": counts.get(name, 0)} for name in names]


class Teams:
    def __init__(self, db: Database, outbox: Outbox, clock: Clock) -> None:
        self.db = db
        self.outbox = outbox
        self.clock = clock
        # told when a building changes grid: its unclaimed requests follow it
        self.on_building_moved: Callable[[str, str], Awaitable[None]] | None = None


    async def invite(self, person: Person, chat_id: int, team_name: str) -> None:
        """/invite TEAM: a code and its t.me link, sent to the admin privately (whoever has the code
        joins the team and gets its alerts, so it is never shown in a group)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            else:
                team = await repo.ensure_team(tx, team_name[:60], now)
                code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
                await repo.create_invite(tx, code, team["id"], person.telegram_id, now, now + INVITE_DAYS * 86400)
                grids = await repo.grids_of(tx, team["id"])

                async def invite_made(chat: int) -> int | None:
                    return await self.outbox.say(tx, chat, person.lang, "invite_made", team=team, code=code,
                                                 link=links.invite_link(self.outbox.bot_username, code),
                                                 days=INVITE_DAYS, grids=grids)

                await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, invite_made, person.first_name)
        self.outbox.kick()

    async def set_grids(self, person: Person, chat_id: int, team_name: str, grids_text: str) -> None:
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            else:
                try:
                    grids = parse_grids(grids_text)
                except ValueError as exc:
                    await self.outbox.say(tx, chat_id, person.lang, "bad_grids", text=str(exc))
                else:
                    team = await repo.ensure_team(tx, team_name[:60], self.clock.now())
                    await repo.set_grids(tx, team["id"], grids)
                    await self.outbox.say(tx, chat_id, person.lang, "team_grids_set", team=team, grids=grids)
        self.outbox.kick()

    async def list_teams(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            else:
                await self.outbox.paged(tx, chat_id, person.lang, "team_list", await repo.all_teams(tx), listing="teams",
                                        name="teams", page=page, message_id=message_id, most=PER_PAGE)
        self.outbox.kick()

    async def list_buildings(self, person: Person, chat_id: int, default_grid: str, page: int = 0,
                             message_id: int | None = None) -> None:
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            else:
                await self.outbox.paged(tx, chat_id, person.lang, "building_list", await building_overview(tx),
                                        listing="buildings", name="buildings", page=page, message_id=message_id,
                                        most=PER_PAGE, default_grid=default_grid)
        self.outbox.kick()

    async def set_building(self, person: Person, chat_id: int, buildings_text: str, grid_text: str) -> None:
        """/building 7 G2: building 7 is in grid G2, and its residents move there, in one transaction."""
        problem: dict[str, str] = {}
        buildings: list[str] = []
        grids: list[str] = []
        try:
            buildings = parse_buildings(buildings_text)
            grids = parse_grids(grid_text)
        except ValueError as exc:
            problem = {"bad_grid" if buildings else "bad_building": str(exc)}
        if len(grids) > 1:
            problem = {"bad_grid": grid_text}
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            elif problem:
                await self.outbox.say(tx, chat_id, person.lang, "usage_building", **problem)
            else:
                changes = []
                for building in buildings:
                    old, moved = await assign_building(tx, building, grids[0], now)
                    changes.append({"name": building, "old": old, "moved": moved})
                await self.outbox.say(tx, chat_id, person.lang, "building_set", changes=changes, grid=grids[0],
                                teams=await repo.teams_covering(tx, grids[0]))
        self.outbox.kick()
        if not problem and person.is_admin and self.on_building_moved is not None:
            for building in buildings:
                await self.on_building_moved(building, grids[0])

    async def join(self, person: Person, chat_id: int, code: str) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            invite = await repo.invite(tx, code.strip().upper())
            if invite is None or invite["expires_at"] < now:
                await self.outbox.say(tx, chat_id, person.lang, "bad_invite")
            else:
                volunteer_id = await repo.upsert_volunteer(tx, {
                    "telegram_id": person.telegram_id, "name": person.volunteer["name"] if person.volunteer
                    else (person.first_name or str(person.telegram_id)), "language": person.lang,
                }, now)
                await repo.add_member(tx, invite["team_id"], volunteer_id, "member", now)
                await repo.use_invite(tx, invite["code"])
                await self.outbox.say(tx, chat_id, person.lang, "joined", team=invite["team"],
                                grids=await repo.grids_of(tx, invite["team_id"]))
        self.outbox.kick()

    async def set_admin_group(self, person: Person, chat_id: int, chat_type: str) -> None:
        async with self.db.transaction() as tx:
            if not person.is_admin:
                await self.outbox.say(tx, chat_id, person.lang, "admin_only")
            elif chat_type not in ("group", "supergroup"):
                await self.outbox.say(tx, chat_id, person.lang, "admin_group_only_in_group")
            else:
                await settings_repo.put(tx, ADMIN_GROUP, str(chat_id))
                await self.outbox.say(tx, chat_id, person.lang, "admin_group_set")
        self.outbox.kick()

    async def chat_migrated(self, old_chat_id: int, new_chat_id: int) -> None:
        """A group became a supergroup (Telegram's service message, or a send refused with
        migrate_to_chat_id): the ids we keep follow it, and what is still queued goes there.
        The admin group is the one group id stored (teams have no group chat of their own)."""
        async with self.db.transaction() as tx:
            if await settings_repo.get(tx, ADMIN_GROUP) == str(old_chat_id):
                await settings_repo.put(tx, ADMIN_GROUP, str(new_chat_id))
            await outbox_repo.move_chat(tx, old_chat_id, new_chat_id)
        self.outbox.kick()
