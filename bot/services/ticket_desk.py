"""The rest of a ticket's life, by command: a resident's `/cancel [N]` (and "✖️ Cancel #N" under
/status), the committee's `/reply N TEXT` and `/close N [REASON]`.

Cancelling asks first, with the question and buttons the conversation already uses for "不用来了"
(Threads.ask_cancel / Threads.cancel): the confirm withdraws the alerts, tells the claimant and
records the event. /reply and /close are for admins, and for grid leaders on their grids' tickets
(as /ticket). After /reply to an `info` question the admin is offered "✅ Close #N" rather than the
ticket closing itself: an answer may need a second one, and the admin knows whether it was the
whole answer. Closing stops everything by the ticket's status: the escalation chain and the ack
reminders only ever act on an open or claimed ticket (storage/escalation.py, storage/followup.py).
"""

from __future__ import annotations

from bot.core import RANK, lifecycle
from bot.delivery import Lane, buttons
from bot.services.alerts import Alerts
from bot.services.base import Answer, Service, Ticket, grid_scope, lane_of
from bot.services.kit import Kit
from bot.services.people import Person
from storage import Tx, tickets as repo


class TicketDesk(Service):
    def __init__(self, kit: Kit, alerts: Alerts) -> None:
        super().__init__(kit)
        self.alerts = alerts

    # -- the resident cancels ---------------------------------------------------------------------

    async def cancel_command(self, person: Person, chat_id: int, number: int | None) -> None:
        """/cancel N asks to confirm cancelling N; /cancel alone asks about the one open request,
        or lets the resident pick when they have several."""
        async with self.db.transaction() as tx:
            mine = await repo.open_for_reporter(tx, person.telegram_id)
            if number is None:
                if not mine:
                    await self.outbox.say(tx, chat_id, person.lang, "cancel_nothing_open")
                elif len(mine) == 1:
                    await self._ask(tx, chat_id, mine[0])
                else:
                    await self.outbox.say(tx, chat_id, person.lang, "cancel_which", tickets=mine,
                                          buttons=[[(f"cancel_n:{t['id']}", buttons.CANCEL_ASK.data(t["id"]))]
                                                   for t in mine[:8]])
            else:
                ticket = await repo.get(tx, number)
                refusal = self._refusal(person, ticket)
                if refusal is not None:
                    await self.outbox.say(tx, chat_id, person.lang, refusal, number=number, ticket=ticket)
                else:
                    assert ticket is not None
                    await self._ask(tx, chat_id, ticket)
        self.outbox.kick()

    async def cancel_pressed(self, person: Person, ticket_id: int) -> Answer:
        """"✖️ Cancel #N" under /status: the same question, as a new message."""
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            refusal = self._refusal(person, ticket)
            if refusal == "cancel_finished":
                return await self.stale(tx, ticket_id)
            if refusal is not None:
                return Answer("toast_unknown_ticket" if ticket is None else "toast_not_yours", alert=True)
            assert ticket is not None
            await self._ask(tx, person.telegram_id, ticket)
        self.outbox.kick()
        return Answer()

    @staticmethod
    def _refusal(person: Person, ticket: Ticket | None) -> str | None:
        if ticket is None:
            return "unknown_ticket"
        if ticket["reporter_chat_id"] != person.telegram_id:
            return "cancel_not_yours"
        if ticket["status"] not in lifecycle.ACTIVE:
            return "cancel_finished"
        return None

    async def _ask(self, tx: Tx, chat_id: int, ticket: Ticket) -> None:
        """Threads.ask_cancel's question and buttons (the confirm remembers the urgency, so it
        cannot cancel a ticket that got worse since), without taking any words as an update."""
        keyboard = [[("cancel_yes", buttons.CANCEL.data(ticket["id"], RANK[ticket["urgency"]])),
                     ("cancel_no", buttons.KEEP.data(ticket["id"]))]]
        await self.outbox.say(tx, chat_id, ticket["lang"], "ask_cancel", ticket_id=ticket["id"], ticket=ticket,
                              buttons=keyboard)

    # -- the committee: /reply and /close -------------------------------------------------------------

    async def _committee_ticket(self, tx: Tx, person: Person, chat_id: int, number: int) -> Ticket | None:
        """The ticket this person may answer or close; otherwise they are told why, and None."""
        scope = await grid_scope(tx, person)
        ticket = await repo.get(tx, number) if scope is not False else None
        if scope is False:
            await self.outbox.say(tx, chat_id, person.lang, "admin_only")
        elif ticket is None:
            await self.outbox.say(tx, chat_id, person.lang, "unknown_ticket", number=number)
        elif scope is not None and ticket["grid"] not in scope:
            await self.outbox.say(tx, chat_id, person.lang, "ticket_not_your_grid", number=number, grids=scope)
        else:
            return ticket
        return None

    async def may_use(self, person: Person) -> bool:
        async with self.db.transaction() as tx:
            return await grid_scope(tx, person) is not False

    async def reply(self, person: Person, chat_id: int, number: int, text: str) -> None:
        """/reply N TEXT: the words go to the resident as the committee's, and into the history."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await self._committee_ticket(tx, person, chat_id, number)
            if ticket is None:
                return
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "committee_reply",
                                   lane=lane_of(ticket), purpose="update", ticket_id=ticket["id"], ticket=ticket,
                                   text=text)
            await repo.add_event(tx, ticket["id"], "committee_reply", now, person.telegram_id, person.display_name,
                                 text[:1000])
            # the residents whose reports follow this one (duplicates) have the same question
            await self.alerts.tell(tx, "committee_reply", ticket, text=text, actor_id=person.telegram_id,
                                   actor=person.display_name)
            offer = ticket["urgency"] == "info" and ticket["status"] in lifecycle.ACTIVE
            await self.outbox.say(tx, chat_id, person.lang, "committee_reply_sent", ticket=ticket, offer=offer,
                                  buttons=[[(f"close_n:{ticket['id']}", buttons.CLOSE_ANSWERED.data(ticket["id"]))]]
                                  if offer else None)
        self.outbox.kick()

    async def close(self, person: Person, chat_id: int, number: int, reason: str | None) -> None:
        """/close N [REASON]."""
        async with self.db.transaction() as tx:
            ticket = await self._committee_ticket(tx, person, chat_id, number)
            if ticket is None:
                return
            if ticket["status"] not in lifecycle.ACTIVE:
                await self.outbox.say(tx, chat_id, person.lang, "close_finished", ticket=ticket)
            elif await self._close(tx, person, ticket, reason or None, answered=False):
                await self.outbox.say(tx, chat_id, person.lang, "close_done", ticket=ticket, reason=reason,
                                      answered=False)
            else:  # it finished between the read and the write
                await self.outbox.say(tx, chat_id, person.lang, "close_finished", ticket=await repo.get(tx, number))
        self.outbox.kick()

    async def close_answered(self, person: Person, ticket_id: int, chat_id: int, message_id: int | None) -> Answer:
        """"✅ Close #N" under "sent to the resident": the info question was answered."""
        async with self.db.transaction() as tx:
            scope = await grid_scope(tx, person)
            ticket = await repo.get(tx, ticket_id)
            if scope is False:
                return Answer("toast_admins_only", alert=True)
            if ticket is None:
                return Answer("toast_unknown_ticket", alert=True)
            if scope is not None and ticket["grid"] not in scope:
                return Answer("toast_not_allowed", alert=True)
            # offered under the answer to a question: a ticket raised since (more words, 🚨, /triage)
            # is no answered question any more, and is closed with /close N if at all
            if ticket["urgency"] != "info" and ticket["status"] in lifecycle.ACTIVE:
                return Answer("toast_close_raised", {"ticket": ticket}, alert=True)
            if ticket["status"] not in lifecycle.ACTIVE or not await self._close(tx, person, ticket, None,
                                                                               answered=True):
                return await self.stale(tx, ticket_id)
            if message_id is not None:
                await self.outbox.edit(tx, chat_id, person.lang, "close_done", lane=Lane.REPLY, purpose="reply",
                                       message_id=message_id, ticket=ticket, reason=None, answered=True)
        self.outbox.kick()
        return Answer("toast_closed", {"ticket": ticket})

    async def _close(self, tx: Tx, person: Person, ticket: Ticket, reason: str | None, answered: bool) -> bool:
        """The move, its event, the alerts withdrawn, the resident and the claimant told. A relay
        under way ends by the ticket's status (Relays.pass_on), so its writer hears why."""
        now = self.clock.now()
        move = lifecycle.MOVES["close"]
        if not await repo.change(tx, ticket["id"], move.sources, {"status": move.target, "closed_at": now}, now):
            return False
        await repo.add_event(tx, ticket["id"], move.event, now, person.telegram_id, person.display_name,
                             reason[:1000] if reason else None)
        closed = await repo.get(tx, ticket["id"])
        assert closed is not None
        await self.alerts.close(tx, closed, "alert_closed_by_committee")
        # the reports linked to it (bot/services/duplicates.py) close with it now, with the reason
        await self.alerts.tell(tx, "closed_by_committee", closed, reason=reason)
        await self.outbox.post(tx, closed["reporter_chat_id"], closed["lang"], "closed_for_resident",
                               lane=lane_of(closed), purpose="update", ticket_id=closed["id"], ticket=closed,
                               reason=reason, answered=answered)
        chat = ticket["claimant_telegram_id"] if ticket["claimed_by"] is not None else None
        if chat:  # the one who holds it (or did the work, when it was resolved)
            await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "closed_for_volunteer",
                                   lane=lane_of(closed), purpose="update", ticket_id=closed["id"], ticket=closed,
                                   reason=reason, was=ticket["status"])
        return True
