"""One person's flood counters (bot/core/throttle.py), one row per chat."""

from __future__ import annotations

import json

from bot.core import throttle
from storage.db import Tx

_COLUMNS = ("burst_since", "burst_last", "burst_count", "waited_at", "flood_told_at")


async def get(tx: Tx, chat_id: int) -> throttle.Counters:
    row = await tx.one(f"SELECT recent, {', '.join(_COLUMNS)} FROM throttle WHERE chat_id = ?", (chat_id,))
    if row is None:
        return throttle.Counters()
    return throttle.Counters(tuple(json.loads(row["recent"])), *(row[column] for column in _COLUMNS))


async def put(tx: Tx, chat_id: int, counters: throttle.Counters) -> None:
    values = [json.dumps(list(counters.recent))] + [getattr(counters, column) for column in _COLUMNS]
    await tx.execute(
        f"""INSERT INTO throttle (chat_id, recent, {', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(chat_id) DO UPDATE SET recent = excluded.recent,
            {', '.join(f'{column} = excluded.{column}' for column in _COLUMNS)}""",
        [chat_id, *values],
    )
