"""Check-ins for elderly people who live alone: plans, the day's questions and their ladder,
answers, visits, time away, and the alarm that a missed check-in raises.

Every timer is a column (checkin_plans.next_due_at, checkins.next_action_at), advanced by the
scheduler tick (`tick`), so a restart resumes the day where it was: the question's outbox row
has a dedupe key and the check-in row is unique per resident and slot, so nobody is asked twice
and no alarm is lost. The pure rules (which slot is due, the ladder, quiet hours, words for
times and dates) are bot/core/checkins.py. A missed check-in becomes an ordinary ticket through
intake (source "checkin", category care); the family hears of it through the NOTICES table.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.core import checkins as rules, lifecycle, normalize_phone
from bot.delivery import Button, Lane, buttons
from bot.services.alerts import Alerts
from bot.services.followup import urgency_raised
from bot.services.base import Answer, Service
from bot.services.intake import Intake
from bot.services.kit import Kit
from bot.services.people import Person
from storage import (
    Tx, checkins as repo, outbox as outbox_repo, residents as residents_repo, tickets as tickets_repo, users as users_repo
)

BATCH = 500            # plans looked at per transaction while a wave is generated
CATCH_UP = 12 * 3600   # a question that was due this long ago (the bot was down) is still asked
STILL_OPEN = (lifecycle.OPEN, lifecycle.CLAIMED)
MISSING_LIMIT = 2000    # residents /checkin missing can page through
MISSING_PER_PAGE = 20

Resident = dict[str, Any]


def question_buttons(checkin_id: int) -> list[list[Button]]:
    """Two big buttons, one per row."""
    return [[("checkin_ok", buttons.CHECKIN_OK.data(checkin_id))],
            [("checkin_help", buttons.CHECKIN_HELP.data(checkin_id))]]


class Checkins(Service):
    def __init__(self, kit: Kit, alerts: Alerts, intake: Intake) -> None:
        super().__init__(kit)
        self.alerts = alerts
        self.intake = intake
        self.tz = kit.settings.timezone
        self.quiet = rules.Quiet.parse(kit.settings.checkin_quiet_hours)

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def plan_of(row: dict[str, Any]) -> rules.Plan:
        times = rules.parse_times(row["times"]) or ()
        return rules.Plan(times, rules.days_from_column(row["days"]), int(row["grace_seconds"]), row["paused_until"])

    def _today(self) -> date:
        return date.fromisoformat(rules.local_day(self.clock.now(), self.tz))

    async def find(self, tx: Tx, who: str) -> list[Resident]:
        """A resident by Telegram id, phone or name (a name may match several)."""
        who = who.strip()
        if who.isdigit() and not (len(who) == 11 and who.startswith("1")):
            found = await residents_repo.by_telegram_id(tx, int(who))
            if found:
                return [found]
        phone = normalize_phone(who, self.settings.phone_region) if any(c.isdigit() for c in who) else None
        if phone:
            found = await residents_repo.by_phone(tx, phone)
            return [found] if found else []
        return await residents_repo.by_name(tx, who)

    async def _one(self, tx: Tx, person: Person, chat_id: int, who: str) -> Resident | None:
        found = await self.find(tx, who)
        if not found:
            await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="unknown", who=who)
        elif len(found) > 1:  # the ones it could be, with their flats: privately

            async def candidates(chat: int) -> int | None:
                return await self.outbox.say(tx, chat, person.lang, "checkin_admin", what="ambiguous", who=who,
                                             found=found)

            await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, candidates, person.first_name)
        return found[0] if len(found) == 1 else None

    async def _view(self, tx: Tx, resident: Resident) -> dict[str, Any]:
        plan = await repo.plan(tx, resident["id"])
        if plan is None:
            return {"resident": resident, "plan": None}
        today = self._today()
        return {
            "resident": resident, "plan": plan, "times": plan["times"],
            "days": sorted(rules.days_from_column(plan["days"])),
            "grace": rules.format_duration(int(plan["grace_seconds"])),
            "away_until": rules.local_day(plan["paused_until"] - 1, self.tz)
            if plan["paused_until"] and plan["paused_until"] > self.clock.now() else None,
            "away_reason": plan["away_reason"], "next": self._wall(plan["next_due_at"]),
            "misses": await repo.misses_since(tx, resident["id"], date.fromordinal(today.toordinal() - 30).isoformat()),
        }

    def _wall(self, ts: float | None) -> str | None:
        from bot.clock import local_time
        return local_time(ts, self.tz) if ts else None

    # -- plans ------------------------------------------------------------------------------------

    async def enrol(self, person: Person, chat_id: int, who: str, times: str, days: str | None,
                    grace: str | None) -> None:
        """/checkin add WHO TIMES [DAYS] [grace 2h]: make or replace a plan (admins)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            parsed_times = rules.parse_times(times)
            parsed_days = rules.parse_days(days) if days else rules.EVERY_DAY
            parsed_grace = rules.parse_duration(grace) if grace else rules.DEFAULT_GRACE
            problem = ("bad_times" if parsed_times is None else "bad_days" if parsed_days is None
                       else "bad_grace" if parsed_grace is None or not rules.MIN_GRACE <= parsed_grace <= rules.MAX_GRACE
                       else None)
            if problem is None:
                assert parsed_times is not None and parsed_days is not None and parsed_grace is not None
                plan = rules.Plan(parsed_times, parsed_days, parsed_grace)
                if rules.in_quiet(plan, self.quiet):
                    problem = "quiet"
            if problem:
                await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what=problem,
                                      value=times if problem in ("bad_times", "quiet") else days if problem == "bad_days"
                                      else grace, quiet=self.settings.checkin_quiet_hours)
                self.outbox.kick()
                return
            resident = await self._one(tx, person, chat_id, who)
            if resident is None:
                self.outbox.kick()
                return
            slot = rules.next_slot(plan, now, self.tz)
            created = await repo.upsert_plan(tx, resident["id"], rules.format_times(plan.times),
                                             rules.format_days(plan.days), plan.grace, slot.at if slot else None,
                                             person.telegram_id, now)
            await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="enrolled" if created else "changed",
                                  **await self._view(tx, resident))
        self.outbox.kick()

    async def remove(self, person: Person, chat_id: int, who: str) -> None:
        async with self.db.transaction() as tx:
            resident = await self._one(tx, person, chat_id, who)
            if resident is not None:
                for checkin in await repo.open_for_resident(tx, resident["id"]):
                    if checkin["state"] not in rules.ALARM_STATES:  # an alarm already raised runs its course
                        await repo.change(tx, checkin["id"], (checkin["state"],),
                                          {"state": rules.AWAY, "next_action_at": None}, self.clock.now())
                        await self._settle(tx, checkin, None)
                removed = await repo.delete_plan(tx, resident["id"])
                await self.outbox.say(tx, chat_id, person.lang, "checkin_admin",
                                      what="removed" if removed else "no_plan", resident=resident)
        self.outbox.kick()

    async def show(self, person: Person, chat_id: int, who: str | None) -> None:
        """/checkin show WHO (admins), or /checkin: the resident's own plan."""
        async with self.db.transaction() as tx:
            if who is None:
                if person.resident is None:
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="not_resident")
                else:
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_plan", own=True,
                                          **await self._view(tx, person.resident))
            else:
                resident = await self._one(tx, person, chat_id, who)
                if resident is not None:
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_plan", own=False,
                                          **await self._view(tx, resident))
        self.outbox.kick()

    async def missing(self, person: Person, chat_id: int, page: int = 0, message_id: int | None = None) -> None:
        """Residents who live alone and are ELDERLY_AGE or older, with no plan: a list with their
        phones, so it goes to the admin's private chat, a page at a time."""
        async with self.db.transaction() as tx:
            born_by = self._today().year - self.settings.elderly_age
            found = await repo.residents_without_plan(tx, born_by, MISSING_LIMIT)

            async def listing(chat: int) -> int | None:
                return await self.outbox.paged(tx, chat, person.lang, "checkin_admin", found, listing="missing",
                                               name="found", page=page, message_id=message_id, most=MISSING_PER_PAGE,
                                               what="missing", age=self.settings.elderly_age)

            await self.outbox.privately(tx, chat_id, person.telegram_id, person.lang, listing, person.first_name)
        self.outbox.kick()

    async def away(self, person: Person, chat_id: int, who: str | None, until: str, reason: str | None) -> None:
        """/away [WHO] until DATE [reason]: the resident, their family contact or an admin pauses the
        plan until DATE (it resumes that day by itself)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if who and not person.is_admin:
                # a family contact names their own relative; nobody else learns who a name or phone is
                family = [r for r in await self.find(tx, who) if r["emergency_contact_telegram_id"] == person.telegram_id]
                resident = family[0] if len(family) == 1 else None
                if resident is None:
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="not_allowed",
                                          resident={"name": who})
            elif who:
                resident = await self._one(tx, person, chat_id, who)
            else:
                resident = person.resident
                if resident is None:
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="not_resident")
            if resident is None:
                self.outbox.kick()
                return
            allowed = person.is_admin or person.telegram_id in (
                resident["telegram_id"], resident["emergency_contact_telegram_id"])
            plan = await repo.plan(tx, resident["id"])
            day = rules.parse_date(until, self._today())
            what = ("not_allowed" if not allowed else "no_plan" if plan is None else "bad_date" if day is None
                    else "past_date" if day <= self._today() else None)
            if what:
                await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what=what, resident=resident,
                                      value=until)
                self.outbox.kick()
                return
            assert plan is not None and day is not None
            paused = rules.day_start(day, self.tz)
            for checkin in await repo.open_for_resident(tx, resident["id"]):
                if checkin["state"] not in rules.ALARM_STATES:
                    if await repo.change(tx, checkin["id"], (checkin["state"],),
                                         {"state": rules.AWAY, "next_action_at": None}, now):
                        await self._settle(tx, checkin, None)
            resumed = rules.next_slot(rules.Plan(self.plan_of(plan).times, self.plan_of(plan).days,
                                                 int(plan["grace_seconds"]), paused), now, self.tz)
            await repo.set_plan(tx, resident["id"], {"paused_until": paused, "away_reason": (reason or "")[:200] or None,
                                                     "next_due_at": resumed.at if resumed else None}, now)
            await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="away", resident=resident,
                                  until=day.isoformat(), reason=reason)
        self.outbox.kick()

    # -- answers ------------------------------------------------------------------------------------

    async def answer(self, person: Person, checkin_id: int, ok: bool) -> Answer:
        """😊 I'm fine / 🙋 I need help, pressed on a question or a reminder."""
        async with self.db.transaction() as tx:
            checkin = await repo.get(tx, checkin_id)
            if checkin is None:
                return Answer("toast_invalid", alert=True)
            resident = await residents_repo.by_id(tx, checkin["resident_id"])
            if resident is None or resident["telegram_id"] != person.telegram_id:
                return Answer("toast_checkin_not_yours", alert=True)  # family pressing a forwarded question
            if checkin["state"] in rules.FINAL and not (checkin["state"] == rules.ANSWERED and not ok):
                return Answer("toast_checkin_done")
            if ok:
                await self._fine(tx, person, checkin, "ok")
            else:
                await self._help(tx, person, resident, checkin)
        self.outbox.kick()
        return Answer("toast_checkin_ok" if ok else "toast_checkin_help")

    async def text_answer(self, person: Person, chat_id: int, text: str) -> bool:
        """A text while a check-in waits is its answer. True when that is all it was ("我很好");
        False when the conversation should still read it (a problem: "dizzy since morning" is
        triaged like any message, and becomes a request or adds to the alarm's ticket)."""
        if person.resident is None:
            return False
        async with self.db.transaction() as tx:
            waiting = await repo.open_for_resident(tx, person.resident["id"])
            if not waiting:
                return False
            checkin = waiting[0]
            await self.kit.vocabulary.refresh(tx)
            # "我很好" is all it says; a question ("请问怎么办理老年卡") also needs its own answer
            fine = self.kit.vocabulary.classify(text).urgency == "info" and not rules.asks(text)
            if fine:
                await self._fine(tx, person, checkin, "text", text)
            elif checkin["state"] in rules.ALARM_STATES:
                # they are there, but not well: the alarm's ticket stays, and the words join it
                await repo.change(tx, checkin["id"], rules.ALARM_STATES,
                                  {"state": rules.LATE, "answered_at": self.clock.now(), "answer": "text",
                                   "note": text[:500], "next_action_at": None}, self.clock.now())
                await self._settle(tx, checkin, None)
            else:
                await repo.change(tx, checkin["id"], (checkin["state"],),
                                  {"state": rules.ANSWERED, "answered_at": self.clock.now(), "answer": "text",
                                   "note": text[:500], "next_action_at": None}, self.clock.now())
                await self._settle(tx, checkin, None)
        self.outbox.kick()
        return fine

    async def sign_of_life(self, person: Person, how: str) -> None:
        """A voice note, a photo or a file from a resident whose check-in waits: they are there.
        The waiting question (and any alarm) ends; what they sent is handled as usual."""
        if person.resident is None:
            return
        async with self.db.transaction() as tx:
            waiting = await repo.open_for_resident(tx, person.resident["id"])
            if waiting:
                await self._fine(tx, person, waiting[0], how, thank=False)
        self.outbox.kick()

    async def _fine(self, tx: Tx, person: Person, checkin: dict[str, Any], how: str, text: str | None = None,
                    thank: bool = True) -> None:
        now = self.clock.now()
        alarm = checkin["state"] in rules.ALARM_STATES
        state = rules.LATE if alarm else rules.ANSWERED
        if not await repo.change(tx, checkin["id"], rules.OPEN_STATES,
                                 {"state": state, "answered_at": now, "answer": how, "answered_by": person.telegram_id,
                                  "note": (text or "")[:500] or None, "next_action_at": None}, now):
            return
        await self._settle(tx, checkin, "checkin_thanks" if thank else None, late=alarm)
        if how == "text":  # typed: an answer of its own below their words
            await self.outbox.say(tx, person.telegram_id, person.lang, "checkin_thanks", late=alarm)
        if alarm and checkin["ticket_id"]:
            await self._all_clear(tx, checkin["ticket_id"], "answered_late", person)
        # an earlier alarm of the same resident (missed this morning, answered tonight) ends as well
        for other in await repo.open_for_resident(tx, checkin["resident_id"]):
            if other["id"] != checkin["id"] and other["state"] in rules.ALARM_STATES:
                if await repo.change(tx, other["id"], rules.ALARM_STATES,
                                     {"state": rules.LATE, "answered_at": now, "answer": how,
                                      "answered_by": person.telegram_id, "next_action_at": None}, now):
                    await self._settle(tx, other, None)
                    if other["ticket_id"]:
                        await self._all_clear(tx, other["ticket_id"], "answered_late", person)

    async def _help(self, tx: Tx, person: Person, resident: Resident, checkin: dict[str, Any]) -> None:
        now = self.clock.now()
        ticket_id = checkin["ticket_id"]
        if ticket_id is None:
            text = self.outbox.renderer.text(person.lang, "checkin_help_text")
            ticket = await self.intake.open_for(tx, resident, resident["telegram_id"], text, "urgent", "care",
                                                ("urgent/care: check-in: I need help",), "checkin")
            ticket_id = ticket["id"]
        await repo.change(tx, checkin["id"], rules.OPEN_STATES + (rules.ANSWERED,),
                          {"state": rules.HELP, "answered_at": now, "answer": "help", "ticket_id": ticket_id,
                           "answered_by": person.telegram_id, "next_action_at": None}, now)
        ticket = await tickets_repo.get(tx, ticket_id)
        await self._settle(tx, checkin, "checkin_help_asked", ticket=ticket)
        # "what is wrong?": the next words describe this ticket (Conversation, step "describe")
        await users_repo.set_step(tx, person.telegram_id, "describe", {"ticket_id": ticket_id}, now)

    async def _settle(self, tx: Tx, checkin: dict[str, Any], template: str | None, **context: Any) -> None:
        """The question and reminder are done: one not yet sent is never sent; one sent loses its
        buttons and says `template` (or is left alone when there is none)."""
        lang = None
        for outbox_id in (checkin["question_outbox_id"], checkin["reminder_outbox_id"]):
            row = await outbox_repo.get(tx, outbox_id) if outbox_id else None
            if row is None:
                continue
            if row["status"] == "pending":
                await outbox_repo.cancel(tx, outbox_id)
            elif row["status"] == "sent" and row["message_id"] and template:
                lang = lang or await self.lang_of(tx, row["chat_id"])
                await self.outbox.edit(tx, row["chat_id"], lang, template, lane=Lane.REPLY, purpose="checkin_answered",
                                       ref_id=outbox_id, **context)

    async def _all_clear(self, tx: Tx, ticket_id: int, event: str, person: Person | None, note: str | None = None) -> None:
        """The alarm's ticket ends (answered late, or a volunteer visited): its alerts say so, and
        the claimant and the family hear the all clear."""
        now = self.clock.now()
        ticket = await tickets_repo.get(tx, ticket_id)
        if ticket is None or ticket["status"] not in lifecycle.ACTIVE:
            return
        await tickets_repo.change(tx, ticket_id, lifecycle.ACTIVE, {"status": lifecycle.CLOSED, "closed_at": now}, now)
        await tickets_repo.add_event(tx, ticket_id, event, now, person.telegram_id if person else None,
                                     person.display_name if person else None, note)
        ticket = await tickets_repo.get(tx, ticket_id)
        assert ticket is not None
        by = person.display_name if person else None
        await self.alerts.close(tx, ticket, "checkin_alert_clear", how=event, by=by)
        await self.alerts.tell(tx, "checkin_all_clear", ticket, how=event, by=by, at=self._wall(now))

    # -- visits -------------------------------------------------------------------------------------

    async def visited(self, person: Person, chat_id: int, who: str, note: str | None) -> None:
        """/visited WHO [note]: a volunteer (or an admin) saw or phoned them: that day's check-in."""
        async with self.db.transaction() as tx:
            if not (person.is_admin or person.volunteer):
                await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="volunteers_only")
            else:
                resident = await self._one(tx, person, chat_id, who)
                if resident is not None:
                    await self._visit(tx, person, resident, note)
                    await self.outbox.say(tx, chat_id, person.lang, "checkin_admin", what="visited",
                                          resident=resident)
        self.outbox.kick()

    async def visited_button(self, person: Person, ticket_id: int) -> Answer:
        """The Visited button on a check-in ticket's alert."""
        async with self.db.transaction() as tx:
            if not (person.is_admin or person.volunteer):
                return Answer("toast_not_yours", alert=True)
            ticket = await tickets_repo.get(tx, ticket_id)
            if ticket is None or ticket["source"] != "checkin" or ticket["resident_id"] is None:
                return Answer("toast_unknown_ticket", alert=True)
            if ticket["status"] not in STILL_OPEN:
                return Answer("toast_stale", {"ticket": ticket}, alert=True)
            resident = await residents_repo.by_id(tx, ticket["resident_id"])
            assert resident is not None
            await self._visit(tx, person, resident, None)
            # the ticket pressed on ends too ("I need help" and late answers are final check-ins)
            await self._all_clear(tx, ticket_id, "visited", person)
        self.outbox.kick()
        return Answer("toast_checkin_visited")

    async def _visit(self, tx: Tx, person: Person, resident: Resident, note: str | None) -> None:
        now = self.clock.now()
        day = rules.local_day(now, self.tz)
        values = {"state": rules.VISITED, "answered_at": now, "answer": "visit", "answered_by": person.telegram_id,
                  "note": (note or "")[:500] or None, "next_action_at": None}
        for checkin in await repo.open_for_resident(tx, resident["id"]):
            if await repo.change(tx, checkin["id"], rules.OPEN_STATES, values, now):
                await self._settle(tx, checkin, "checkin_thanks", late=False, visited=True)
                if checkin["ticket_id"]:
                    await self._all_clear(tx, checkin["ticket_id"], "visited", person, note)
        checkin_id = await repo.create(tx, resident["id"], f"{day} visit {now:.0f}", day, rules.VISITED, now, now)
        if checkin_id:
            await repo.change(tx, checkin_id, (rules.VISITED,), values, now)

    # -- the tick ---------------------------------------------------------------------------------

    async def tick(self) -> int:
        """What is due by the clock: the day's questions (in batches), grace periods starting at
        delivery, reminders, tickets and emergencies. Returns how many steps were taken."""
        done = 0
        while True:
            made = await self._ask_due()
            done += made
            if made < BATCH:
                break
        done += await self._delivered()
        done += await self._advance()
        if done:
            self.outbox.kick()
        return done

    async def _ask_due(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            plans = await repo.due_plans(tx, now, BATCH)
            chats = [p["telegram_id"] for p in plans if p["telegram_id"]]
            unreachable = await outbox_repo.unreachable(tx, chats)
            for row in plans:
                plan = self.plan_of(row)
                following = rules.next_slot(plan, now, self.tz)
                if row["next_due_at"] is not None:
                    slot = rules.latest_slot(plan, now, self.tz, CATCH_UP)
                    if slot is not None and row["telegram_id"] and not await repo.done_on(tx, row["resident_id"],
                                                                                         slot.day):
                        await self._ask(tx, row, slot, row["telegram_id"] in unreachable)
                await repo.set_plan(tx, row["resident_id"], {
                    "next_due_at": following.at if following else now + 86400,
                    **({"paused_until": None, "away_reason": None}
                       if row["paused_until"] and row["paused_until"] <= now else {}),
                }, now)
        return len(plans)

    async def _ask(self, tx: Tx, plan: dict[str, Any], slot: rules.Slot, unreachable: bool) -> None:
        now = self.clock.now()
        chat = plan["telegram_id"]
        checkin_id = await repo.create(tx, plan["resident_id"], slot.key, slot.day, rules.ASKED, slot.at, now, chat)
        if checkin_id is None:
            return  # asked before (a replay after a restart)
        checkin = await repo.get(tx, checkin_id)
        assert checkin is not None
        if unreachable:  # blocked the bot: nobody can answer, so a volunteer goes at once
            await self._alarm(tx, checkin, "unreachable")
            return
        lang = await self.lang_of(tx, chat)
        outbox_id = await self.outbox.post(tx, chat, lang, "checkin_question", lane=Lane.CHECKIN, purpose="checkin",
                                           buttons=question_buttons(checkin_id), dedupe=f"checkin:{checkin_id}",
                                           who=plan["name"], slot=slot.key[-5:])
        await repo.change(tx, checkin_id, (rules.ASKED,), {"question_outbox_id": outbox_id}, now)

    async def _delivered(self) -> int:
        """The grace period starts when the question (or reminder) was delivered: its sent_at.
        One that could not be delivered (403) is a missed check-in at once."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            rows = await repo.undelivered(tx, BATCH)
            for row in rows:
                if row["sent_status"] == "sent":
                    state = rules.WAITING if row["state"] == rules.ASKED else rules.REMINDED
                    due = rules.after_delivery(state, row["sent_at"], int(row["grace_seconds"]), self.tz, self.quiet)
                    values = {"state": state, "next_action_at": due}
                    if row["state"] == rules.ASKED:
                        values["delivered_at"] = row["sent_at"]
                    await repo.change(tx, row["id"], (row["state"],), values, now)
                elif row["sent_status"] in ("unreachable", "failed"):
                    await self._alarm(tx, row, row["sent_status"])
                else:  # cancelled: answered meanwhile
                    await repo.change(tx, row["id"], (row["state"],), {"next_action_at": None, "state": rules.AWAY}, now)
        return len(rows)

    async def _advance(self) -> int:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            # an alarm whose ticket a volunteer or the resident closed the usual way is over:
            # no emergency at midnight, and a later "谢谢" is not taken for a check-in answer
            for checkin in await repo.alarms_of_finished_tickets(tx):
                await repo.change(tx, checkin["id"], rules.ALARM_STATES,
                                  {"state": rules.LATE, "answer": "ticket closed", "next_action_at": None}, now)
            rows = await repo.due_actions(tx, now, BATCH)
            for checkin in rows:
                step = rules.due_step(checkin["state"])
                if step.action == "remind":
                    await self._remind(tx, checkin)
                elif step.action == "ticket":
                    await self._alarm(tx, checkin, "no_answer")
                elif step.action == "emergency":
                    await self._emergency(tx, checkin)
                else:
                    await repo.change(tx, checkin["id"], (checkin["state"],), {"next_action_at": None}, now)
        return len(rows)

    async def _remind(self, tx: Tx, checkin: dict[str, Any]) -> None:
        now = self.clock.now()
        lang = await self.lang_of(tx, checkin["chat_id"])
        resident = await residents_repo.by_id(tx, checkin["resident_id"])
        outbox_id = await self.outbox.post(tx, checkin["chat_id"], lang, "checkin_reminder", lane=Lane.CHECKIN,
                                           purpose="checkin", buttons=question_buttons(checkin["id"]),
                                           dedupe=f"checkin_remind:{checkin['id']}", who=(resident or {}).get("name"),
                                           slot=checkin["slot"][-5:])
        await repo.change(tx, checkin["id"], (rules.WAITING,),
                          {"state": rules.REMINDED, "reminder_outbox_id": outbox_id, "next_action_at": None}, now)

    async def _alarm(self, tx: Tx, checkin: dict[str, Any], why: str) -> None:
        """No answer (or no way to ask): an urgent ticket for the grid's on-duty volunteers, an
        emergency when yesterday was missed too, and a notice to the family contact."""
        now = self.clock.now()
        resident = await residents_repo.by_id(tx, checkin["resident_id"])
        if resident is None:
            return
        urgency = rules.ticket_urgency(await repo.missed_on(tx, resident["id"], rules.previous_day(checkin["day"])))
        state = rules.EMERGENCY if urgency == "emergency" else rules.TICKET
        if not await repo.change(tx, checkin["id"], (checkin["state"],), {
                "state": state, "missed": 1, "next_action_at": None if state == rules.EMERGENCY
                else rules.end_of_day(now, self.tz)}, now):
            return
        await self._settle(tx, checkin, None)
        family = resident["emergency_contact_telegram_id"]
        lang = self.settings.default_language
        text = self.outbox.renderer.text(lang, "checkin_ticket_text", resident=resident, slot=checkin["slot"],
                                         why=why, family=bool(family), twice=urgency == "emergency",
                                         delivered=self._wall(checkin["delivered_at"]))
        ticket = await self.intake.open_for(tx, resident, checkin["chat_id"] or 0, text, urgency, "care",
                                            (f"{urgency}/care: missed check-in: {why}",), "checkin")
        await repo.change(tx, checkin["id"], (state,), {"ticket_id": ticket["id"]}, now)
        if family:
            members = [m.name for m in await self.alerts.on_call(tx, ticket["grid"], now)]
            await self.alerts.tell(tx, "checkin_missed", ticket, volunteers=members, why=why)
        else:
            await tickets_repo.add_event(tx, ticket["id"], "no_family", now, None, None,
                                         resident["emergency_contact_phone"] or "-")

    async def _emergency(self, tx: Tx, checkin: dict[str, Any]) -> None:
        """Still no answer by the end of the day the ticket was raised: an emergency."""
        now = self.clock.now()
        if not await repo.change(tx, checkin["id"], (rules.TICKET,),
                                 {"state": rules.EMERGENCY, "next_action_at": None}, now):
            return
        ticket = await tickets_repo.get(tx, checkin["ticket_id"]) if checkin["ticket_id"] else None
        if ticket is None or ticket["status"] not in STILL_OPEN or ticket["urgency"] == "emergency":
            return
        before = ticket
        await tickets_repo.update(tx, ticket["id"], {"urgency": "emergency"}, now)
        await tickets_repo.add_event(tx, ticket["id"], "raised", now, None, None,
                                     f"{ticket['urgency']}/{ticket['category']} -> emergency/{ticket['category']}")
        ticket = await tickets_repo.get(tx, ticket["id"])
        assert ticket is not None
        if ticket["status"] == lifecycle.OPEN:
            await self.alerts.alert(tx, ticket)
        else:
            # held: the claimant hears of it, and is reminded by the emergency's delay (followup)
            await urgency_raised(tx, self.settings, ticket, now)
            await self.alerts.tell(tx, "triage_corrected", ticket, before=before, missed_all_day=True)

    async def undeliverable(self, row: dict[str, Any], status: str) -> None:
        """The outbox hook: a question that bounced (403) is a missed check-in now, not at the tick."""
        if row.get("purpose") != "checkin":
            return
        async with self.db.transaction() as tx:
            checkin = await repo.by_question(tx, row["id"])
            if checkin is not None and checkin["state"] in (rules.ASKED, rules.REMINDED):
                await self._alarm(tx, checkin, "unreachable" if status == "unreachable" else "failed")
        self.outbox.kick()
