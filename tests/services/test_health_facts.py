"""What the health check reads (storage/health.py through Services.health): each timer kind by the
condition its tick uses, so a time left on a finished row never counts."""

from __future__ import annotations

from tests.services.test_followup import _claimed


async def test_an_ack_reminder_is_a_timer_and_a_claimed_tickets_escalation_time_is_not(desk):
    ticket_id = await _claimed(desk)
    health = desk.s.health
    assert (await health.check()).timer is None      # nothing due yet
    async with desk.s.db.transaction() as tx:      # a leftover escalation time on the claimed ticket
        await tx.execute("UPDATE tickets SET next_action_at = ? WHERE id = ?", (desk.s.clock.now() - 3600, ticket_id))
    assert (await health.check()).timer is None
    desk.s.clock.advance(3600 + 61)
    found = await health.check()
    assert (found.timer.kind, found.timer.id) == ("ack_reminder", ticket_id) and not found.ok
    await desk.s.followup.tick()                   # the reminder goes out: on time again
    assert (await health.check()).timer is None


async def test_a_due_message_outside_the_announcements_lane_counts(desk):
    await _claimed(desk)
    found = await desk.s.health.check()
    assert found.outbox is not None and found.ok   # the alerts are due now (nothing sends here)
    async with desk.s.db.transaction() as tx:
        await tx.execute("UPDATE outbox SET priority = 5")   # announcements are paced by design
    assert (await desk.s.health.check()).outbox is None
