"""Key-value settings the admins change from the chat (e.g. the admin group)."""

from __future__ import annotations

from storage.db import Tx


async def get(tx: Tx, key: str) -> str | None:
    return await tx.value("SELECT value FROM settings WHERE key = ?", (key,))


async def put(tx: Tx, key: str, value: str) -> None:
    await tx.execute(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def delete(tx: Tx, key: str) -> None:
    await tx.execute("DELETE FROM settings WHERE key = ?", (key,))
