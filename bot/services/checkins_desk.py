"""The check-ins desk: who is at risk today (/elderly, for admins and grid leaders), the family's
daily "all well today" (/allwell, sent by the scheduler tick), and a resident's request for other
check-in times, decided by an admin.

The pure rules (today's state, the streak, the order by risk, pages, when all is well) are in
bot/core/checkins.py; the SQL in storage/checkins.py. Button data is never trusted: every press
is checked again against who pressed it and what the database says.
"""

from __future__ import annotations

from datetime import date, timedelta
from bot.clock import local_time
from bot.core import checkins as rules
from bot.delivery import Button, Lane, buttons, fit
from bot.services.base import Answer, Service
from bot.services.checkins import Checkins
from bot.services.people import Person
from storage import Tx, checkins as repo, outbox as outbox_repo, residents as residents_repo, teams as teams_repo

WINDOW_DAYS = 30       # misses are counted over this many days
STREAK_DAYS = 90       # the streak is counted back this far at most
ALL = "*"              # the page button of a list of every grid
ON = ("on", "yes", "开", "开启", "打开", "订阅")
OFF = ("off", "no", "关", "关闭", "取消", "退订")


ALLWELL_PAGE = 500  # opt-ins looked at per transaction

class CheckinDesk(Service):
    def __init__(self, checkins: Checkins) -> None:
        super().__init__(checkins.kit)
        self.checkins = checkins
        self.tz = checkins.tz

    def _today(self) -> date:
        return date.fromisoformat(rules.local_day(self.clock.now(), self.tz))

    # -- /elderly ----------------------------------------------------------------------------------

    async def _grids(self, tx: Tx, person: Person, grid: str | None) -> list[str] | None | bool:
        """The grids this person may see: None for all (an admin without GRID), a list, or False."""
        if person.is_admin:
            return None if grid is None else [grid]
        led = await teams_repo.leader_grids(tx, person.volunteer["id"]) if person.volunteer else []
        if not led or (grid is not None and grid not in led):
            return False
        return [grid] if grid is not None else led

    async def _standings(self, tx: Tx, grids: list[str] | None) -> list[rules.Standing]:
        now = self.clock.now()
        today = self._today()
        since = (today - timedelta(days=WINDOW_DAYS - 1)).isoformat()
        rows: dict[int, list[rules.DayRow]] = {}
        for row in await repo.desk_checkins(tx, (today - timedelta(days=STREAK_DAYS)).isoformat(), grids):
            rows.setdefault(row["resident_id"], []).append(
                rules.DayRow(row["day"], row["state"], bool(row["missed"]), row["answered_at"]))
        people = []
        for plan in await repo.desk_plans(tx, grids):
            line = rules.standing(plan["resident_id"], plan["name"] or f"#{plan['resident_id']}", plan["grid"],
                                  rows.get(plan["resident_id"], []), today.isoformat(), since,
                                  bool(plan["paused_until"] and plan["paused_until"] > now))
            people.append(line if plan["last_answer"] is None else
                          rules.Standing(**{**line.__dict__, "last_answer": plan["last_answer"]}))
        return rules.by_risk(people)

    async def _page(self, tx: Tx, person: Person, grid: str | None, grids: list[str] | None,
                    page: int) -> tuple[str, list[list[Button]]]:
        """One page of the list: at most PAGE_SIZE people, and as many as fit one message."""
        people = await self._standings(tx, grids)

        def render(start: int, end: int, page: int, pages: int) -> str:
            return self.outbox.renderer.html(
                person.lang, "elderly", what="list", grids=grids, total=len(people), page=page, pages=pages,
                start=start, window=WINDOW_DAYS,
                people=[{**s.__dict__, "last": local_time(s.last_answer, self.tz) if s.last_answer else None}
                        for s in people[start:end]])

        bounds = fit.paginate(len(people), lambda start, end: fit.size(render(start, end, 999, 999)) <= fit.LIMIT,
                              rules.PAGE_SIZE)
        page = min(max(page, 0), len(bounds) - 1)
        key = grid or ALL
        row: list[Button] = []
        if page > 0:
            row.append(("elderly_prev", buttons.ELDERLY_PAGE.data(page - 1, key)))
        if page < len(bounds) - 1:
            row.append(("elderly_next", buttons.ELDERLY_PAGE.data(page + 1, key)))
        return render(*bounds[page], page, len(bounds)), [row] if row else []

    async def elderly(self, person: Person, chat_id: int, grid: str | None) -> None:
        """/elderly [GRID]: everyone on a plan, most at risk first, in pages of 20."""
        async with self.db.transaction() as tx:
            grids = await self._grids(tx, person, grid)
            if grids is False:
                await self.outbox.say(tx, chat_id, person.lang, "elderly", what="not_allowed")
            else:
                assert grids is not True
                text, keyboard = await self._page(tx, person, grid, grids, 0)
                await self.outbox.say(tx, chat_id, person.lang, "elderly_page", text=text, buttons=keyboard or None)
        self.outbox.kick()

    async def elderly_page(self, person: Person, chat_id: int, message_id: int | None, page: int,
                           grid: str) -> Answer | None:
        """◀ ▶ on the list: the page is shown again, if this person may still see it."""
        async with self.db.transaction() as tx:
            wanted = None if grid == ALL else grid
            grids = await self._grids(tx, person, wanted)
            if grids is False:
                return Answer("toast_elderly_not_allowed", alert=True)
            assert grids is not True
            if message_id is None:
                return Answer("toast_stale_button")
            text, keyboard = await self._page(tx, person, wanted, grids, page)
            await self.outbox.edit(tx, chat_id, person.lang, "elderly_page", lane=Lane.REPLY, purpose="elderly",
                                   message_id=message_id, buttons=keyboard or None, text=text)
        self.outbox.kick()
        return None

    # -- /allwell ------------------------------------------------------------------------------------

    async def allwell(self, person: Person, chat_id: int, word: str | None) -> None:
        """/allwell on|off (开|关): a family contact opts in to a daily "all well today"."""
        choice = None if word is None else True if word.lower() in ON else False if word.lower() in OFF else "bad"
        async with self.db.transaction() as tx:
            relatives = await residents_repo.by_emergency_contact(tx, person.telegram_id)
            if choice == "bad":
                await self.outbox.say(tx, chat_id, person.lang, "allwell", what="usage")
            elif not relatives:
                await self.outbox.say(tx, chat_id, person.lang, "allwell", what="not_family")
            else:
                if choice is not None:
                    for resident in relatives:
                        await repo.set_allwell(tx, resident["id"], person.telegram_id, choice, self.clock.now())
                chosen = await repo.allwell_of(tx, person.telegram_id)
                plans = {r["id"]: await repo.plan(tx, r["id"]) is not None for r in relatives}
                await self.outbox.say(tx, chat_id, person.lang, "allwell",
                                      what="status" if choice is None else "on" if choice else "off",
                                      relatives=[{"name": r["name"] or "-", "on": r["id"] in chosen,
                                                  "plan": plans[r["id"]]} for r in relatives])
        self.outbox.kick()

    async def tick(self) -> int:
        """Families who opted in hear "all well today" once the day's last check-in was answered
        (once a day: the opt-in's last_sent_day and the message's dedupe key). Quiet hours hold it
        to the morning, and then yesterday's goes first, saying which day it was."""
        now = self.clock.now()
        today = self._today()
        sent = 0
        for day in rules.allwell_days(now, self.tz, self.checkins.quiet):
            sent += await self._allwell_for(day, late=day < today,
                                            opted_before=rules.day_start(day + timedelta(days=1), self.tz))
        if sent:
            self.outbox.kick()
        return sent

    async def _allwell_for(self, day: date, late: bool, opted_before: float) -> int:
        """Queue `day`'s "all well" to every opt-in (made before the day ended) it is due for."""
        sent, after = 0, (0, 0)
        while True:  # in pages, so that opt-ins not due yet never hide the ones further on
            async with self.db.transaction() as tx:
                rows = await repo.allwell_waiting(tx, day.isoformat(), ALLWELL_PAGE, after)
                slots = await repo.day_slots(tx, [row["resident_id"] for row in rows], day.isoformat())
                for row in rows:
                    if row["created_at"] >= opted_before:
                        continue  # opted in today: yesterday's news is not theirs to get
                    if not rules.all_well(self.checkins.plan_of(row), day, slots.get(row["resident_id"], {})):
                        continue
                    chat = row["telegram_id"]
                    await self.outbox.post(tx, chat, await self.lang_of(tx, chat), "allwell_today",
                                           lane=Lane.CHECKIN, purpose="allwell", who=row["name"], late=late,
                                           dedupe=f"allwell:{row['resident_id']}:{day}:{chat}", day=day.isoformat())
                    await repo.allwell_sent(tx, row["resident_id"], chat, day.isoformat())
                    sent += 1
            if len(rows) < ALLWELL_PAGE:
                return sent
            after = (rows[-1]["resident_id"], rows[-1]["telegram_id"])

    # -- a resident asks for other times ----------------------------------------------------------------

    async def request_times(self, person: Person, chat_id: int, text: str) -> None:
        """/checkin 08:30 (or several) from a resident: the admins decide, each in their language."""
        async with self.db.transaction() as tx:
            resident = person.resident
            times = rules.parse_times(text)
            plan = await repo.plan(tx, resident["id"]) if resident else None
            what = ("not_resident" if resident is None else "bad_times" if times is None
                    else "quiet" if rules.in_quiet(rules.Plan(times), self.checkins.quiet)
                    else "no_plan" if plan is None else None)
            if what or resident is None or plan is None or times is None:
                await self.outbox.say(tx, chat_id, person.lang, "checkin_request", what=what, value=text,
                                      quiet=self.settings.checkin_quiet_hours)
                self.outbox.kick()
                return
            wanted = rules.format_times(times)
            request_id = await repo.create_request(tx, resident["id"], wanted, self.clock.now())
            keyboard: list[list[Button]] = [[("checkin_request_ok", buttons.CHECKIN_REQUEST_OK.data(request_id)),
                                             ("checkin_request_no", buttons.CHECKIN_REQUEST_NO.data(request_id))]]
            for admin_id in sorted(self.settings.admin_ids):
                await self.outbox.post(tx, admin_id, await self.lang_of(tx, admin_id), "checkin_request_admin",
                                       lane=Lane.UPDATE, purpose="checkin_request", buttons=keyboard,
                                       dedupe=f"ckreq:{request_id}:{admin_id}", resident=resident,
                                       old=plan["times"], new=wanted, decided=None, by=None)
            await self.outbox.say(tx, chat_id, person.lang, "checkin_request", what="asked", new=wanted)
        self.outbox.kick()

    async def decide(self, person: Person, request_id: int, approve: bool) -> Answer:
        """Approve / Decline on a request (admins only; a request is decided once)."""
        now = self.clock.now()
        async with self.db.transaction() as tx:
            if not person.is_admin:
                return Answer("toast_admins_only", alert=True)
            asked = await repo.request(tx, request_id)
            if asked is None:
                return Answer("toast_invalid", alert=True)
            status = "approved" if approve else "declined"
            if not await repo.decide_request(tx, request_id, status, person.telegram_id, now):
                return Answer("toast_checkin_request_stale", {"status": asked["status"]}, alert=True)
            resident = await residents_repo.by_id(tx, asked["resident_id"])
            assert resident is not None
            plan = await repo.plan(tx, resident["id"])
            if approve:
                times = rules.parse_times(asked["times"]) or ()
                current = self.checkins.plan_of(plan) if plan else rules.Plan(times)
                changed = rules.Plan(times, current.days, current.grace, current.paused_until)
                following = rules.next_slot(changed, now, self.tz)
                await repo.upsert_plan(tx, resident["id"], asked["times"], rules.format_days(changed.days),
                                       changed.grace, following.at if following else None, person.telegram_id, now)
            kept = asked["times"] if approve else (plan or {}).get("times", "-")
            if resident["telegram_id"]:
                await self.outbox.post(tx, resident["telegram_id"], await self.lang_of(tx, resident["telegram_id"]),
                                       "checkin_request", lane=Lane.UPDATE, purpose="checkin_request",
                                       what=status, new=asked["times"], times=kept)
            for row in await outbox_repo.by_dedupe_prefix(tx, f"ckreq:{request_id}:"):
                if row["status"] == "pending":
                    await outbox_repo.cancel(tx, row["id"])
                elif row["status"] == "sent" and row["message_id"]:
                    await self.outbox.edit(tx, row["chat_id"], await self.lang_of(tx, row["chat_id"]),
                                           "checkin_request_admin", lane=Lane.UPDATE, purpose="checkin_request",
                                           ref_id=row["id"], resident=resident, old=(plan or {}).get("times", "-"), new=asked["times"], decided=status,
                                           by=person.display_name)
        self.outbox.kick()
        return Answer("toast_checkin_request_done", {"status": status})
