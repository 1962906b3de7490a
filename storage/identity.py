"""Link requests (a person asks for a record they have not proven is theirs) and the report of
converting stored phone numbers (clashes, numbers that are not valid)."""

from __future__ import annotations

from typing import Any

from storage.db import Tx

# -- link requests -------------------------------------------------------------------------------


async def request(tx: Tx, request_id: int) -> dict[str, Any] | None:
    row = await tx.one("SELECT * FROM link_requests WHERE id = ?", (request_id,))
    return dict(row) if row else None


async def ask(tx: Tx, telegram_id: int, first_name: str | None, resident_id: int, phone: str, reason: str,
              holder_telegram_id: int | None, now: float) -> int:
    """A pending request, or the one this account already has for this record (renewed)."""
    found = await tx.value("SELECT id FROM link_requests WHERE telegram_id = ? AND resident_id = ? "
                           "AND status = 'pending'", (telegram_id, resident_id))
    if found is not None:
        await tx.execute("UPDATE link_requests SET phone = ?, reason = ?, holder_telegram_id = ? WHERE id = ?",
                         (phone, reason, holder_telegram_id, found))
        return int(found)
    cursor = await tx.execute(
        "INSERT INTO link_requests (telegram_id, first_name, resident_id, phone, reason, holder_telegram_id, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (telegram_id, first_name, resident_id, phone, reason, holder_telegram_id, now))
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def decide(tx: Tx, request_id: int, status: str, by: int | None, now: float) -> bool:
    """pending -> status, once (a compare-and-set: a second press changes nothing)."""
    cursor = await tx.execute(
        "UPDATE link_requests SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = 'pending'",
        (status, by, now, request_id))
    return cursor.rowcount == 1


async def pending(tx: Tx, limit: int = 50) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM link_requests WHERE status = 'pending' ORDER BY id LIMIT ?", (limit,))
    return [dict(row) for row in rows]


async def pending_of(tx: Tx, telegram_id: int) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM link_requests WHERE telegram_id = ? AND status = 'pending' ORDER BY id",
                        (telegram_id,))
    return [dict(row) for row in rows]


async def pending_for_record(tx: Tx, resident_id: int) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT * FROM link_requests WHERE resident_id = ? AND status = 'pending' ORDER BY id",
                        (resident_id,))
    return [dict(row) for row in rows]


async def claimed_phone(tx: Tx, telegram_id: int) -> str | None:
    """The number this account's newest pending claim gave (typed, a card, or met by an import; not
    one they were told was refused): what its profile shows meanwhile."""
    return await tx.value("SELECT phone FROM link_requests WHERE telegram_id = ? AND status = 'pending' "
                          "AND reason <> 'taken' ORDER BY id DESC LIMIT 1", (telegram_id,))


async def unannounced(tx: Tx, telegram_id: int | None = None) -> list[dict[str, Any]]:
    if telegram_id is None:
        rows = await tx.all("SELECT * FROM link_requests WHERE status = 'pending' AND announced_at IS NULL "
                            "ORDER BY id")
    else:
        rows = await tx.all("SELECT * FROM link_requests WHERE status = 'pending' AND announced_at IS NULL "
                            "AND telegram_id = ? ORDER BY id", (telegram_id,))
    return [dict(row) for row in rows]


async def mark_announced(tx: Tx, request_id: int, now: float) -> None:
    await tx.execute("UPDATE link_requests SET announced_at = ? WHERE id = ?", (now, request_id))


# -- converting stored numbers ---------------------------------------------------------------------


async def stored_phones(tx: Tx, table: str) -> list[dict[str, Any]]:
    """id, phone and whether linked to Telegram, of every row of `table` ('residents' or 'volunteers')
    with a number."""
    assert table in ("residents", "volunteers")
    rows = await tx.all(f"SELECT id, phone, telegram_id IS NOT NULL AS linked FROM {table} "
                        "WHERE phone IS NOT NULL AND phone <> '' ORDER BY id")
    return [dict(row) for row in rows]


async def set_phone(tx: Tx, table: str, row_id: int, phone: str) -> None:
    assert table in ("residents", "volunteers")
    await tx.execute(f"UPDATE {table} SET phone = ? WHERE id = ?", (phone, row_id))


async def contact_phones(tx: Tx) -> list[dict[str, Any]]:
    rows = await tx.all("SELECT id, emergency_contact_phone AS phone FROM residents "
                        "WHERE emergency_contact_phone IS NOT NULL AND emergency_contact_phone <> ''")
    return [dict(row) for row in rows]


async def set_contact_phone(tx: Tx, resident_id: int, phone: str) -> None:
    await tx.execute("UPDATE residents SET emergency_contact_phone = ? WHERE id = ?", (phone, resident_id))


async def report(tx: Tx, kind: str, who: str, row_id: int, stored: str, phone: str | None, kept_id: int | None,
                 now: float) -> None:
    await tx.execute("INSERT INTO phone_report (kind, who, row_id, stored, phone, kept_id, found_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?)", (kind, who, row_id, stored, phone, kept_id, now))


async def open_report(tx: Tx) -> list[dict[str, Any]]:
    """What the conversion found that is still so: the row still holds the number found, with the
    names of the row and of the row kept (for a clash)."""
    rows = await tx.all(
        """SELECT p.*, coalesce(r.name, v.name) AS name, coalesce(kr.name, kv.name) AS kept_name
           FROM phone_report p
           LEFT JOIN residents r ON p.who = 'resident' AND r.id = p.row_id
           LEFT JOIN volunteers v ON p.who = 'volunteer' AND v.id = p.row_id
           LEFT JOIN residents kr ON p.who = 'resident' AND kr.id = p.kept_id
           LEFT JOIN volunteers kv ON p.who = 'volunteer' AND kv.id = p.kept_id
           WHERE coalesce(r.phone, v.phone) = p.stored AND p.settled_at IS NULL ORDER BY p.id""")
    return [dict(row) for row in rows]


async def report_item(tx: Tx, item_id: int) -> dict[str, Any] | None:
    """One open item of the report (see open_report), or None."""
    return next((item for item in await open_report(tx) if item["id"] == item_id), None)


async def settle_item(tx: Tx, item_id: int, by: int, now: float) -> None:
    await tx.execute("UPDATE phone_report SET settled_by = ?, settled_at = ? WHERE id = ?", (by, now, item_id))
