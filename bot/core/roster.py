"""Who is on duty for a grid. Pure: memberships in, the people to alert out.

For now every active member of a team covering the grid is on duty; shifts come later
and will narrow this list by time, which is why `at` is already a parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    volunteer_id: int
    telegram_id: int | None
    name: str
    language: str | None
    role: str          # member | leader
    team: str


def on_duty(members: Iterable[Member], at: float | None = None, exclude: Iterable[int] = ()) -> list[Member]:
    """The volunteers to alert: one entry per person (a person in two teams is alerted once),
    only those the bot can reach (a Telegram id), minus `exclude` (volunteer ids)."""
    skip = set(exclude)
    chosen: dict[int, Member] = {}
    for member in members:
        if member.telegram_id is None or member.volunteer_id in skip:
            continue
        current = chosen.get(member.volunteer_id)
        if current is None or (member.role == "leader" and current.role != "leader"):
            chosen[member.volunteer_id] = member
    return sorted(chosen.values(), key=lambda m: (m.role != "leader", m.volunteer_id))


def can_act_for_grid(members: Iterable[Member], volunteer_id: int) -> bool:
    """A volunteer may claim a ticket of a grid their team covers."""
    return any(member.volunteer_id == volunteer_id for member in members)
