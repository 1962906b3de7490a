"""The sender's epoch (migration 025): one row, one more each time a worker takes over sending."""

from __future__ import annotations

from typing import Any

from storage.db import Tx


async def take_over(tx: Tx, holder: str, now: float) -> tuple[int, int]:
    """This worker leads from now on: the next epoch, and every row still claimed by an older one
    released to be sent again (its send may or may not have reached Telegram: counted in its
    `unknown_outcomes`). In one transaction, so an old leader's late mark finds its claim gone.
    Returns (epoch, how many were released)."""
    await tx.execute("UPDATE sender_leader SET epoch = epoch + 1, holder = ?, since = ? WHERE slot = 1", (holder, now))
    epoch = int(await tx.value("SELECT epoch FROM sender_leader WHERE slot = 1"))
    cursor = await tx.execute(
        """UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL, unknown_outcomes = unknown_outcomes + 1
           WHERE claimed_at IS NOT NULL AND status = 'pending'""")
    released = cursor.rowcount
    # rows final already (a cancel while in flight) keep no claim either
    await tx.execute("UPDATE outbox SET claimed_at = NULL, claim_epoch = NULL WHERE claimed_at IS NOT NULL")
    return epoch, released


async def holds(tx: Tx, epoch: int) -> bool:
    """Whether `epoch` is still the current one. On PostgreSQL the row is read FOR SHARE: a
    take-over waits for the transaction that asked (a claim) to commit, and a claim asked after a
    take-over sees its new epoch, so no claim of an old epoch is ever left behind unreleased."""
    return await tx.value(f"SELECT epoch FROM sender_leader WHERE slot = 1{tx.dialect.for_share}") == epoch


async def current(tx: Tx) -> dict[str, Any] | None:
    row = await tx.one("SELECT epoch, holder, since FROM sender_leader WHERE slot = 1")
    return dict(row) if row else None
