"""The services called directly: one transaction each, the database and the outbox as the
only evidence. No Telegram, no emulator."""

from __future__ import annotations

import asyncio

from bot.services import NOTICES
from storage import residents as residents_repo, teams as teams_repo


async def _volunteer(desk, telegram_id: int = 7001, grid: str = "G1") -> None:
    async with desk.s.db.transaction() as tx:
        team = await teams_repo.ensure_team(tx, f"team-{grid}", 0)
        await teams_repo.set_grids(tx, team["id"], [grid])
        volunteer_id = await teams_repo.upsert_volunteer(tx, {"telegram_id": telegram_id, "name": "Zhang",
                                                              "language": "en"}, 0)
        await teams_repo.add_member(tx, team["id"], volunteer_id, "member", 0)


async def _resident(desk, telegram_id: int = 5001, building: str = "5", grid: str = "G1") -> None:
    async with desk.s.db.transaction() as tx:
        await residents_repo.create(tx, {"telegram_id": telegram_id, "name": "Li", "phone": "13800001111",
                                         "building": building, "unit": "2", "room": "302", "grid": grid,
                                         "language": "en", "registered_at": 1.0}, 0)


async def test_a_request_is_a_placed_ticket_with_its_ack_and_alerts_in_one_transaction(desk):
    await _volunteer(desk, 7001, "G2")
    async with desk.s.db.transaction() as tx:
        await residents_repo.set_building_grid(tx, "7", "G2")
    person = await desk.s.inbox.who(5100, "Tom", "en")
    ticket_id = await desk.s.intake.report(person, 5100, "My mother in 7号楼 fell and cannot get up")
    ticket = (await desk.rows("SELECT * FROM tickets WHERE id = ?", (ticket_id,)))[0]
    assert (ticket["grid"], ticket["building"], ticket["urgency"]) == ("G2", "7", "emergency")
    purposes = {r["purpose"] for r in await desk.rows("SELECT purpose FROM outbox WHERE ticket_id = ?", (ticket_id,))}
    assert {"ack", "alert"} <= purposes
    assert any(f"#{ticket_id}" in text for text in await desk.sent_to(7001))


async def test_two_claims_at_once_have_one_winner(desk):
    await _volunteer(desk, 7001)
    await _volunteer(desk, 7002)
    await _resident(desk)
    resident = await desk.s.inbox.who(5001, "Li")
    ticket_id = await desk.s.intake.report(resident, 5001, "The corridor light is broken")
    people = [await desk.s.inbox.who(7001, "Zhang"), await desk.s.inbox.who(7002, "Liu")]
    answers = await asyncio.gather(*(desk.s.volunteering.claim(p, ticket_id) for p in people))
    assert sorted(a.template for a in answers) == ["toast_claimed", "toast_taken"]


async def test_notices_follow_the_table(desk):
    """An update reaches the claimant by NOTICES["update"]; the reporter hears of the claim."""
    assert NOTICES["update"][0].audience == "claimant" and NOTICES["claimed"][0].audience == "reporter"
    await _volunteer(desk)
    await _resident(desk)
    resident = await desk.s.inbox.who(5001, "Li")
    ticket_id = await desk.s.intake.report(resident, 5001, "Water is leaking through my ceiling")
    volunteer = await desk.s.inbox.who(7001, "Zhang")
    await desk.s.volunteering.claim(volunteer, ticket_id)
    assert any("Zhang" in text for text in await desk.sent_to(5001))
    await desk.s.threads.add_update(resident, 5001, ticket_id, "It is dripping onto the sockets now")
    assert any("dripping onto the sockets" in text for text in await desk.sent_to(7001))


async def test_a_resolved_ticket_closes_itself_by_the_clock(desk):
    await _volunteer(desk)
    await _resident(desk)
    resident = await desk.s.inbox.who(5001, "Li")
    ticket_id = await desk.s.intake.report(resident, 5001, "The corridor light is broken")
    volunteer = await desk.s.inbox.who(7001, "Zhang")
    await desk.s.volunteering.claim(volunteer, ticket_id)
    await desk.s.volunteering.resolve(await desk.s.inbox.who(7001, "Zhang"), ticket_id, None)
    desk.s.clock.advance(3 * 86400 - 60)
    assert await desk.s.closing.close_unconfirmed() == 0
    desk.s.clock.advance(120)
    await desk.s.tick()
    assert (await desk.rows("SELECT status FROM tickets"))[0]["status"] == "closed"


async def test_a_cancel_asked_before_it_got_worse_cancels_nothing(desk):
    await _resident(desk)
    resident = await desk.s.inbox.who(5001, "Li")
    ticket_id = await desk.s.intake.report(resident, 5001, "The kitchen tap drips a little")
    await desk.s.threads.add_update(resident, 5001, ticket_id, "Now the pipe burst and the flat is flooding")
    answer = await desk.s.threads.cancel(resident, ticket_id, None, asked_at=1)
    assert answer.template == "toast_changed"
    assert (await desk.rows("SELECT status FROM tickets"))[0]["status"] == "open"


async def test_the_conversation_holds_pieces_and_a_person_reads_them_later(desk):
    await _volunteer(desk)
    stranger = await desk.s.inbox.who(5100, "Tom", "zh")
    await desk.s.conversation.text(stranger, 5100, "我家")
    assert await desk.rows("SELECT * FROM tickets") == []
    desk.s.clock.advance(6 * 60)
    await desk.s.tick()
    tickets = await desk.rows("SELECT * FROM tickets")
    assert [t["text"] for t in tickets] == ["我家"]
