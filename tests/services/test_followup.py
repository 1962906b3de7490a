"""After the claim, at the service and the storage: each step of the ack timer is a conditional
UPDATE, so a tick that read a due timer before the claimant answered (or before another tick
fired it) changes nothing."""

from __future__ import annotations

from bot.core import followup as rules
from storage import followup as followup_repo
from tests.services.test_services import _resident, _volunteer


async def _claimed(desk) -> int:
    await _volunteer(desk, 7001)
    await _resident(desk)
    resident = await desk.s.inbox.who(5001, "Li")
    ticket_id = await desk.s.intake.report(resident, 5001, "The pipe under my sink burst and water keeps spraying out")
    answer = await desk.s.volunteering.claim(await desk.s.inbox.who(7001, "Zhang"), ticket_id)
    assert answer.template == "toast_claimed"
    return ticket_id


async def _ticket(desk, ticket_id: int) -> dict:
    return (await desk.rows("SELECT * FROM tickets WHERE id = ?", (ticket_id,)))[0]


async def test_a_claim_starts_the_timer_by_urgency(desk):
    ticket_id = await _claimed(desk)
    ticket = await _ticket(desk, ticket_id)
    assert ticket["urgency"] == "urgent"
    assert ticket["ack_due_at"] == ticket["claimed_at"] + 3600 and ticket["ack_stage"] == rules.REMIND


async def test_a_stale_read_cannot_fire_a_step(desk):
    ticket_id = await _claimed(desk)
    clock = desk.s.clock
    clock.advance(3600)
    now = clock.now()
    async with desk.s.db.transaction() as tx:
        (row,) = await followup_repo.due(tx, now)
    # the claimant answers between the tick's read and its write: the reminder is not sent
    assert (await desk.s.followup.on_my_way(await desk.s.inbox.who(7001, "Zhang"), ticket_id)).template == "toast_on_my_way"
    async with desk.s.db.transaction() as tx:
        assert not await followup_repo.advance(tx, ticket_id, row["ack_stage"], now, now + 3600, rules.RELEASE)
    assert await desk.s.followup.tick() == 0
    clock.advance(3600)
    now = clock.now()
    async with desk.s.db.transaction() as tx:
        assert await followup_repo.advance(tx, ticket_id, rules.REMIND, now, now + 3600, rules.RELEASE)
        assert not await followup_repo.advance(tx, ticket_id, rules.REMIND, now, now + 3600, rules.RELEASE)
    clock.advance(3600)
    now = clock.now()
    volunteer = (await _ticket(desk, ticket_id))["claimed_by"]
    async with desk.s.db.transaction() as tx:
        assert not await followup_repo.take_back(tx, ticket_id, rules.REMIND, volunteer, now)   # wrong stage
        assert not await followup_repo.take_back(tx, ticket_id, rules.RELEASE, volunteer + 1, now)  # someone else's
        assert await followup_repo.take_back(tx, ticket_id, rules.RELEASE, volunteer, now)
        assert not await followup_repo.take_back(tx, ticket_id, rules.RELEASE, volunteer, now)
    ticket = await _ticket(desk, ticket_id)
    assert ticket["status"] == "open" and ticket["claimed_by"] is None


async def test_tickets_claimed_before_the_timer_get_one_at_the_first_tick(desk):
    ticket_id = await _claimed(desk)
    async with desk.s.db.transaction() as tx:   # as migration 015 finds a ticket claimed before it
        await tx.execute("UPDATE tickets SET ack_due_at = NULL WHERE id = ?", (ticket_id,))
    desk.s.clock.advance(7 * 86400)
    assert await desk.s.followup.tick() == 0    # no reminder out of the blue: the clock starts now
    ticket = await _ticket(desk, ticket_id)
    assert ticket["ack_due_at"] == desk.s.clock.now() + 3600 and ticket["status"] == "claimed"
    desk.s.clock.advance(3600)
    assert await desk.s.followup.tick() == 1
    assert any("Still on" in text for text in await desk.sent_to(7001))
