"""What the admins hear about the bot itself rather than a ticket (another copy of it using the
token): the admin group if one is set, else each admin in their own language, in the alert lane."""

from __future__ import annotations

from typing import Any

from bot.delivery import Lane
from bot.services.base import Service
from bot.services.teams import ADMIN_GROUP
from storage import outbox as outbox_repo, settings as settings_repo


class AdminNotices(Service):
    async def tell(self, template: str, **context: Any) -> list[int]:
        """Queue the notice; returns the outbox ids, to see when it has left."""
        async with self.db.transaction() as tx:
            group = await settings_repo.get(tx, ADMIN_GROUP)
            audience = ([(int(group), self.settings.default_language)] if group else
                        [(admin, await self.lang_of(tx, admin)) for admin in sorted(self.settings.admin_ids)])
            queued = [await self.outbox.post(tx, chat_id, lang, template, lane=Lane.ALERT, purpose="admin_notice",
                                             **context)
                      for chat_id, lang in audience]
        self.outbox.kick()
        return [outbox_id for outbox_id in queued if outbox_id is not None]

    async def delivered(self, outbox_ids: list[int]) -> bool:
        """Every one of them has left the queue (sent, or given up on)."""
        async with self.db.transaction() as tx:
            rows = [await outbox_repo.get(tx, outbox_id) for outbox_id in outbox_ids]
        return all(row is None or row["status"] != "pending" for row in rows)
