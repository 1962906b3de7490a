"""Everyone who talks to the bot: language and the step of an unfinished conversation."""

from __future__ import annotations

import json
from typing import Any

from storage.db import Tx, marks


async def get(tx: Tx, telegram_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM users WHERE telegram_id = ?", (telegram_id,))
    if row is None:
        return None
    user = dict(row)
    user["step_data"] = json.loads(user["step_data"] or "{}")
    return user


async def touch(tx: Tx, telegram_id: int, first_name: str | None, now: float) -> dict[str, Any]:
    """Make sure the user has a row; a lookup without a name keeps the name we know."""
    await tx.execute(
        """INSERT INTO users (telegram_id, first_name, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(telegram_id) DO UPDATE SET first_name = coalesce(excluded.first_name, users.first_name)""",
        (telegram_id, first_name, now),
    )
    user = await get(tx, telegram_id)
    assert user is not None
    return user


async def set_language(tx: Tx, telegram_id: int, language: str, now: float) -> None:
    await tx.execute(
        """INSERT INTO users (telegram_id, language, updated_at) VALUES (?, ?, ?)
           ON CONFLICT(telegram_id) DO UPDATE SET language = excluded.language, updated_at = excluded.updated_at""",
        (telegram_id, language, now),
    )


async def set_step(tx: Tx, telegram_id: int, step: str | None, data: dict[str, Any], now: float) -> None:
    await tx.execute(
        """INSERT INTO users (telegram_id, step, step_data, updated_at) VALUES (?, ?, ?, ?)
           ON CONFLICT(telegram_id) DO UPDATE SET step = excluded.step, step_data = excluded.step_data,
           updated_at = excluded.updated_at""",
        (telegram_id, step, json.dumps(data, ensure_ascii=False), now),
    )


async def end_steps(tx: Tx, chat_ids: list[int], steps: tuple[str, ...], now: float) -> None:
    """These chats wait for none of `steps` any more (an announcement came in between)."""
    if not chat_ids or not steps:
        return
    await tx.execute(
        f"""UPDATE users SET step = NULL, step_data = '{{}}', updated_at = ?
            WHERE telegram_id IN ({marks(chat_ids)}) AND step IN ({marks(steps)})""",
        (now, *chat_ids, *steps),
    )


async def in_step_since(tx: Tx, step: str, before: float) -> list[dict[str, Any]]:
    """Users waiting in `step` since before `before` (the tick's timers)."""
    rows = await tx.all("SELECT * FROM users WHERE step = ? AND updated_at < ? ORDER BY updated_at", (step, before))
    return [dict(row) for row in rows]
