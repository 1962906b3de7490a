"""💬 Message through the bot: the claimant and the resident of a ticket write to each other
without either seeing the other's phone number or Telegram account.

The claimant presses 💬 Message on their ticket's details: their next text goes to the resident
(quoted, "from the volunteer handling #N", with a 💬 Reply button). The resident answers with
that button, never with any plain message: a resident's plain text is always read by the
conversation, so a new emergency cannot be swallowed as a reply. Even after 💬 Reply, words that
read as an emergency are not passed on but go to the conversation (a request, or the ticket
raised, alerting everyone again: the claimant hears of it as an update).

The state is a row per writer (storage/relays.py, migration 022): it survives a restart, lasts
RELAY_SECONDS, carries one message, and is read as ended once the ticket is finished or has
another claimant. The events say who wrote to whom and when, not the words: it is a private
exchange between two people, and the committee can ask either of them.
"""

from __future__ import annotations

from bot.core import lifecycle, ticket_end as rules
from bot.delivery import buttons
from bot.services.base import Answer, Service, Ticket, lane_of
from bot.services.followup import heard_from_claimant
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.people import Person, first_name_of
from storage import Tx, relays as relays_repo, tickets as repo

CLAIMANT, RESIDENT = "claimant", "resident"


class Relays(Service):
    def __init__(self, kit: Kit, intake: Intake) -> None:
        super().__init__(kit)
        self.intake = intake

    @staticmethod
    def _holds(person: Person, ticket: Ticket) -> bool:
        """The claimant themselves (not any admin: the resident is told it is the volunteer)."""
        return person.volunteer is not None and ticket["claimed_by"] == person.volunteer["id"]

    def _theirs(self, side: str, person: Person, ticket: Ticket) -> bool:
        return self._holds(person, ticket) if side == CLAIMANT else ticket["reporter_chat_id"] == person.telegram_id

    async def start(self, person: Person, ticket_id: int, side: str) -> Answer:
        """💬 Message (the claimant) or 💬 Reply (the resident) pressed: the next text goes across."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            ticket = await repo.get(tx, ticket_id)
            if ticket is None:
                return Answer("toast_unknown_ticket", alert=True)
            if not self._theirs(side, person, ticket):
                return Answer("toast_not_yours", alert=True)
            if ticket["status"] != lifecycle.CLAIMED:  # finished, or nobody holds it any more
                return await self.stale(tx, ticket_id)
            await relays_repo.start(tx, person.telegram_id, ticket_id, side, now + rules.RELAY_SECONDS, now)
            await self.outbox.say(tx, person.telegram_id, person.lang, "relay_write_now", ticket=ticket,
                                  side=side, minutes=rules.RELAY_SECONDS // 60)
        self.outbox.kick()
        return Answer("toast_relay_write")

    async def pass_on(self, person: Person, chat_id: int, text: str) -> bool:
        """A private text: True when it went across (or was answered because it could not);
        False when the conversation should read it like any other text."""
        if chat_id != person.telegram_id:
            return False
        now = self.clock.now()
        async with self.db.transaction() as tx:
            relay = await relays_repo.get(tx, chat_id)
        if relay is None:
            return False
        emergency = False
        if relay["side"] == RESIDENT:
            emergency = (await self.intake.verdict(text)).urgency == "emergency"
        async with self.db.transaction() as tx:
            relay = await relays_repo.get(tx, chat_id)  # read again: a press may have changed it meanwhile
            if relay is None:
                return False
            ticket = await repo.get(tx, relay["ticket_id"])
            side = relay["side"]
            outcome = rules.relay_outcome(side, relay["expires_at"], now, ticket["status"] if ticket else None,
                                          ticket is not None and self._theirs(side, person, ticket), emergency)
            await relays_repo.end(tx, chat_id)  # one message per press, whatever became of it
            if outcome in (rules.EXPIRED, rules.EMERGENCY) or ticket is None:
                return False
            if outcome == rules.ENDED:
                if side == RESIDENT:
                    return False  # a resident's words are never dropped: the conversation reads them
                await self.outbox.say(tx, chat_id, person.lang, "relay_ended", ticket=ticket)
            elif len(text) > rules.RELAY_MAX:
                await self.outbox.say(tx, chat_id, person.lang, "relay_too_long", ticket=ticket,
                                      limit=rules.RELAY_MAX, length=len(text))
                # the window stays open for a shorter try
                await relays_repo.start(tx, chat_id, ticket["id"], side, relay["expires_at"], now)
            else:
                await self._send(tx, person, ticket, side, text, now)
        self.outbox.kick()
        return True

    async def _send(self, tx: Tx, person: Person, ticket: Ticket, side: str, text: str, now: float) -> None:
        if side == CLAIMANT:
            await self.outbox.post(tx, ticket["reporter_chat_id"], ticket["lang"], "relay_from_volunteer",
                                   lane=lane_of(ticket), purpose="update", ticket_id=ticket["id"], ticket=ticket,
                                   volunteer=first_name_of(ticket["claimant_name"]), text=text,
                                   buttons=[[("talk_back", buttons.TALK_BACK.data(ticket["id"]))]])
            await heard_from_claimant(tx, self.settings, ticket, now)  # a word from the claimant: no reminder yet
            kind = "relay_to_resident"
        else:
            chat = ticket["claimant_telegram_id"]
            await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "relay_from_resident",
                                   lane=lane_of(ticket), purpose="update", ticket_id=ticket["id"], ticket=ticket,
                                   text=text, buttons=[[("talk", buttons.TALK.data(ticket["id"]))]])
            kind = "relay_to_volunteer"
        # who wrote and when, not the words: see the module's docstring
        await repo.add_event(tx, ticket["id"], kind, now, person.telegram_id, person.display_name)
        await self.outbox.say(tx, person.telegram_id, person.lang, "relay_sent", ticket=ticket, side=side)
