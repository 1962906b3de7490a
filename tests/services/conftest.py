"""Services on a real SQLite file with the fake clock, and no Telegram: what they send is read
from the outbox table, where it waits for the delivery engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.app import Services, build_services
from bot.clock import FakeClock
from bot.config import load_settings

ADMIN = 9001


class Desk:
    """The services of one bot, and a look at what they queued."""

    def __init__(self, services: Services) -> None:
        self.s = services

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.s.db.transaction() as tx:
            return [dict(row) for row in await tx.all(sql, params)]

    async def sent_to(self, chat_id: int) -> list[str]:
        """The texts queued for one chat, oldest first."""
        return [r["text"] for r in await self.rows("SELECT text FROM outbox WHERE chat_id = ? ORDER BY id",
                                                   (chat_id,))]


@pytest.fixture
async def desk(tmp_path: Path):
    settings = load_settings(telegram_bot_token="1:TEST", frontdesk_db=str(tmp_path / "db.sqlite"),
                             admin_ids=frozenset({ADMIN}), default_language="en", default_grid="G1")
    services = build_services(settings, FakeClock())
    await services.db.open()
    yield Desk(services)
    await services.db.close()
