"""Issue #15, finding 6: long replies failed. /status, /mytickets, /tickets, /ticket N, the claim
details and every other list went over Telegram's 4,096 characters (many tickets, a long name or
text) and the send failed: the person got nothing. Lists now come in pages with ⬅️ ➡️; one long
document (a ticket's history, the claim details) comes in several messages."""

from __future__ import annotations

from bot.devtools.emulator import ChatUser, Emulator, Sent
from storage import residents as residents_repo, tickets as tickets_repo
from tests.conftest import make_team, register, staffed_grid

LONG = "The water from every tap on our floor is brown and smells of rust, since this morning. " * 45
LONG_NAME = "Zhang Wei-Ming of the north gate volunteers, building 12 stairwell B " * 3


async def _tickets(frontdesk, count: int, reporter: int, claimed_by: int | None = None) -> None:
    """`count` open (or held) requests with long words, as months of use leave them."""
    async with frontdesk.db.transaction() as tx:
        for i in range(1, count + 1):
            await tickets_repo.create(tx, {
                "status": "claimed" if claimed_by else "open", "urgency": "routine", "category": "water",
                "lang": "en", "text": f"request {i:03d}: {LONG}", "grid": "G1", "reporter_chat_id": reporter,
                "claimed_by": claimed_by}, frontdesk.clock.now())


async def _browse(emulator: Emulator, person: ChatUser, first: Sent, limit: int = 40) -> list[str]:
    """Every page of a list: the first, then ➡️ until there is none. Each page is what the
    person read (the message is edited in place)."""
    pages = [first.text]
    for _ in range(limit):
        forward = [data for label, data in first.buttons if label == "➡️"]
        if not forward:
            return pages
        before = first.text
        person.press(first, forward[0])
        await emulator.wait_for(lambda: first.text != before, 5, "the next page")
        pages.append(first.text)
    raise AssertionError("the pages never end")


def _numbers(texts: list[str], count: int, word: str = "#") -> set[int]:
    return {i for i in range(1, count + 1) if any(f"{word}{i} " in text or f"{word}{i}\n" in text for text in texts)}


async def test_status_with_many_requests_comes_in_pages_that_fit(frontdesk, emulator):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    await _tickets(frontdesk, 60, reporter=5001)
    resident.send("/status")
    first = await resident.next_message("open requests")
    pages = await _browse(emulator, resident, first)
    assert len(pages) > 1 and all(len(page) <= 4096 for page in pages)
    assert _numbers(pages, 60) == set(range(1, 61))   # every request is on a page


async def test_mytickets_with_many_held_requests_comes_in_pages(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    volunteer_id = await frontdesk.value("SELECT id FROM volunteers WHERE telegram_id = 7001")
    await _tickets(frontdesk, 60, reporter=5001, claimed_by=volunteer_id)
    zhang.send("/mytickets")
    first = await zhang.next_message("You are handling")
    pages = await _browse(emulator, zhang, first)
    assert len(pages) > 1 and _numbers(pages, 60) == set(range(1, 61))


async def test_admin_ticket_list_with_long_names_shows_every_ticket_in_pages(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang])
    await frontdesk.rows("UPDATE volunteers SET name = ? WHERE telegram_id = 7001", (LONG_NAME,))
    volunteer_id = await frontdesk.value("SELECT id FROM volunteers WHERE telegram_id = 7001")
    await _tickets(frontdesk, 70, reporter=5001, claimed_by=volunteer_id)
    admin.send("/tickets")
    first = await admin.next_message("未完成的求助")
    pages = await _browse(emulator, admin, first)
    assert len(pages) > 1 and _numbers(pages, 70) == set(range(1, 71))   # not only the first 30


async def test_a_ticket_with_a_long_history_comes_whole_in_several_messages(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("Water is dripping from the ceiling in my kitchen")
    await resident.next_message("#1")
    async with frontdesk.db.transaction() as tx:
        for i in range(300):
            await tickets_repo.add_event(tx, 1, "update", frontdesk.clock.now(), 5001, "Li Xiuying",
                                         f"update {i:03d}: it is still dripping and the bucket is full again")
    admin.send("/ticket 1")
    await admin.next_message("记录")
    await emulator.wait_for(lambda: any("update 299" in m.text for m in admin.messages()), 5, "the last part")
    parts = [m.text for m in admin.messages() if "update " in m.text or "记录" in m.text]
    assert len(parts) > 1 and all(len(part) <= 4096 for part in parts)
    assert all(any(f"update {i:03d}" in part for part in parts) for i in range(300))   # nothing left out


async def test_claim_details_with_a_long_name_and_text_arrive_whole(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    await frontdesk.rows("UPDATE residents SET name = ? WHERE telegram_id = 5001", (LONG_NAME * 10,))  # imported
    resident.send(LONG[:3900])
    await resident.next_message("#1")
    async with frontdesk.db.transaction() as tx:
        for i in range(3):
            await tickets_repo.add_event(tx, 1, "update", frontdesk.clock.now(), 5001, "Li", f"more {i}: " + LONG[:900])
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    await zhang.next_message("is yours now")
    last = await emulator.wait_for(lambda: next((m for m in zhang.messages() if m.buttons and "resolve:1" in
                                                 [d for _, d in m.buttons]), None), 5, "Resolved / Release")
    details = [m.text for m in zhang.messages() if m.message_id >= alert.message_id + 1]
    assert all(len(text) <= 4096 for text in details)
    assert any("13800001111" in text for text in details) and any("Release" in label for label, _ in last.buttons)


async def test_team_and_building_lists_come_in_pages(frontdesk, emulator, admin):
    async with frontdesk.db.transaction() as tx:
        for i in range(150):
            await tx.execute("INSERT INTO teams (name, created_at) VALUES (?, 0)",
                             (f"team {i:03d} of the north-east quarter volunteers",))
            await residents_repo.set_building_grid(tx, str(1000 + i), f"G{i % 9}")
    admin.send("/team")
    teams = await _browse(emulator, admin, await admin.next_message("team 000"))
    assert len(teams) > 1 and all(any(f"team {i:03d}" in page for page in teams) for i in range(150))
    admin.send("/building")
    buildings = await _browse(emulator, admin, await admin.next_message("1000"))
    assert len(buildings) > 1 and all(any(str(1000 + i) in page for page in buildings) for i in range(150))


async def test_keyword_and_missing_checkin_lists_come_in_pages(frontdesk, emulator, admin):
    async with frontdesk.db.transaction() as tx:
        for i in range(200):
            await tx.execute("INSERT INTO keywords (lang, term, urgency, category, added_at) VALUES "
                             "('en', ?, 'routine', 'water', 0)", (f"north gate pipe noise {i:03d}",))
            await residents_repo.create(tx, {"name": f"Resident {i:03d} of the old quarter", "phone": f"1380000{i:04d}",
                                             "building": str(i % 30), "grid": "G1", "lives_alone": 1,
                                             "birth_year": 1935, "source": "import"}, frontdesk.clock.now())
    admin.send("/keyword list")
    keywords = await _browse(emulator, admin, await admin.next_message("noise 000"))
    assert all(any(f"noise {i:03d}" in page for page in keywords) for i in range(200))
    admin.send("/checkin missing")
    missing = await _browse(emulator, admin, await admin.next_message("Resident 000"))
    assert len(missing) > 1 and all(any(f"Resident {i:03d}" in page for page in missing) for i in range(200))
