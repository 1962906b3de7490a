"""The front door: who is writing, their update stored before anything answers it, and the plain reply."""

from __future__ import annotations

from typing import Any

from bot.core.chats import chat_of
from bot.services.base import Service
from bot.services.people import Person
from storage import inbox as inbox_repo, outbox as outbox_repo, users as users_repo

DAY = 86400.0
PRUNE_BATCH = 5000  # rows blanked per tick


class Inbox(Service):
    async def who(self, telegram_id: int, first_name: str | None, language_code: str | None = None) -> Person:
        async with self.db.transaction() as tx:
            return await self.person(tx, telegram_id, first_name, language_code)

    async def step_of(self, telegram_id: int) -> tuple[str | None, dict[str, Any]]:
        """The question this person is being asked now (a read: no touch, no roles)."""
        async with self.db.transaction() as tx:
            user = await users_repo.get(tx, telegram_id)
        return (user["step"], user["step_data"]) if user else (None, {})

    async def remember(self, update_id: int, chat_id: int | None, user_id: int | None, kind: str,
                       text: str | None) -> bool:
        """Store an incoming update before anything answers it; False for a replay."""
        async with self.db.transaction() as tx:
            if chat_id is not None:
                await outbox_repo.mark_reachable(tx, chat_id)  # they wrote to us: they have not blocked us
            return await inbox_repo.remember(tx, update_id, chat_id, user_id, kind, text, self.clock.now())

    async def store(self, updates: list[tuple[int, str]]) -> int:
        """Keep a batch of raw updates (update_id, JSON), unhandled, before Telegram is told they
        arrived; returns how many were new (the others are replays)."""
        rows = [(update_id, raw, chat_of(raw)) for update_id, raw in updates]   # the chat: for its order
        async with self.db.transaction() as tx:
            return await inbox_repo.store(tx, rows, self.clock.now())

    async def unhandled(self, limit: int = 100) -> list[tuple[int, str | None]]:
        async with self.db.transaction() as tx:
            return await inbox_repo.unhandled(tx, limit)

    async def waiting_chats(self, limit: int = 100) -> list[int | None]:
        async with self.db.transaction() as tx:
            return await inbox_repo.waiting_chats(tx, limit)

    async def take_next(self, chat_id: int | None) -> tuple[int, str | None] | None:
        """Inside the unit that handles it: the chat's lock, then its oldest unhandled update
        (None: another worker is handling the chat, or nothing is left)."""
        async with self.db.transaction() as tx:
            return await inbox_repo.take_next(tx, chat_id)

    async def finish(self, update_id: int) -> None:
        """Mark the update handled (inside the handling's unit: with everything it wrote)."""
        async with self.db.transaction() as tx:
            await inbox_repo.finish(tx, update_id, self.clock.now())

    async def prune(self) -> None:
        """What people wrote is kept INBOX_RETENTION_DAYS, then only that an update came (by the
        scheduler tick, a batch at a time so a first run on an old database holds no long lock)."""
        before = self.clock.now() - self.settings.inbox_retention_days * DAY
        async with self.db.transaction() as tx:
            await inbox_repo.forget_texts(tx, before, PRUNE_BATCH)

    async def reply(self, person: Person, chat_id: int, template: str, **context: Any) -> None:
        """A plain answer in the conversation, in the person's language."""
        async with self.db.transaction() as tx:
            await self.outbox.say(tx, chat_id, person.lang, template, **context)
        self.outbox.kick()
