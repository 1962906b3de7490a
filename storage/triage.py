"""The committee's triage words (keywords) and its corrections of verdicts."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def add_keyword(tx: Tx, lang: str, term: str, urgency: str, category: str, by: int | None,
                      now: float) -> bool:
    """Add or change a term; True if it was new."""
    existed = await tx.value("SELECT 1 FROM keywords WHERE lang = ? AND term = ?", (lang, term))
    await tx.execute(
        """INSERT INTO keywords (lang, term, urgency, category, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT(lang, term) DO UPDATE SET urgency = excluded.urgency, category = excluded.category,
           added_by = excluded.added_by, added_at = excluded.added_at""",
        (lang, term, urgency, category, by, now),
    )
    await _bump(tx)
    return existed is None


async def remove_keyword(tx: Tx, lang: str, term: str) -> bool:
    cursor = await tx.execute("DELETE FROM keywords WHERE lang = ? AND term = ?", (lang, term))
    if cursor.rowcount != 1:
        return False
    await _bump(tx)
    return True


async def keywords(tx: Tx) -> list[dict[str, Any]]:
    return [dict(r) for r in await tx.all("SELECT * FROM keywords ORDER BY lang, term")]


async def keywords_version(tx: Tx) -> int:
    """A counter bumped by every change of the keywords, so every process sees it."""
    return int(await tx.value("SELECT value FROM settings WHERE key = 'keywords_version'") or 0)


async def _bump(tx: Tx) -> None:
    await tx.execute(
        """INSERT INTO settings (key, value) VALUES ('keywords_version', '1')
           ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(settings.value AS INTEGER) + 1 AS TEXT)"""
    )


async def add_correction(tx: Tx, values: dict[str, Any]) -> None:
    columns = list(values)
    await tx.execute(
        f"INSERT INTO triage_corrections ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
        [values[c] for c in columns],
    )


async def corrections(tx: Tx) -> list[dict[str, Any]]:
    return [dict(r) for r in await tx.all("SELECT * FROM triage_corrections ORDER BY id")]
