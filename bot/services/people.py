"""Who is talking: one Telegram user with their roles, language and conversation step."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storage import Tx, residents, teams, users


@dataclass
class Person:
    telegram_id: int
    first_name: str
    lang: str
    is_admin: bool
    step: str | None = None
    step_data: dict[str, Any] = field(default_factory=dict)
    language_chosen: bool = False
    resident: dict[str, Any] | None = None
    volunteer: dict[str, Any] | None = None

    @property
    def registered(self) -> bool:
        return bool(self.resident and self.resident["registered_at"])

    @property
    def display_name(self) -> str:
        if self.volunteer:
            return self.volunteer["name"]
        if self.resident and self.resident["name"]:
            return self.resident["name"]
        return self.first_name


async def load_person(
    tx: Tx, telegram_id: int, first_name: str | None, admin_ids: frozenset[int], default_language: str, now: float,
    language_code: str | None = None,
) -> Person:
    user = await users.touch(tx, telegram_id, first_name, now)
    resident = await residents.by_telegram_id(tx, telegram_id)
    volunteer = await teams.volunteer_by_telegram_id(tx, telegram_id)
    lang = (
        user["language"]
        or (resident or {}).get("language")
        or (volunteer or {}).get("language")
        or _telegram_language(language_code)
        or default_language
    )
    return Person(
        telegram_id=telegram_id,
        first_name=first_name or "",
        lang=lang,
        is_admin=telegram_id in admin_ids,
        step=user["step"],
        step_data=user["step_data"],
        language_chosen=bool(user["language"]),
        resident=resident,
        volunteer=volunteer,
    )


def first_name_of(name: str | None) -> str:
    """What a resident is told about their volunteer: the first word of the name."""
    return (name or "").split()[0] if (name or "").strip() else ""


def _telegram_language(code: str | None) -> str | None:
    """The language of the person's Telegram app, when it is one we speak."""
    code = (code or "").lower()
    return "zh" if code.startswith("zh") else "en" if code.startswith("en") else None
