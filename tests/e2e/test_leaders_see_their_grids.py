"""Issue #9, roles: a grid leader (membership role 'leader') sees /tickets and /ticket N for the
grids their teams cover, and only those; anyone else gets the admins-only answer."""

from __future__ import annotations

from tests.conftest import make_team, register


async def make_leader(frontdesk, telegram_id: int) -> None:
    async with frontdesk.db.transaction() as tx:
        await tx.execute("UPDATE memberships SET role = 'leader' WHERE volunteer_id = "
                         "(SELECT id FROM volunteers WHERE telegram_id = ?)", (telegram_id,))


async def two_grids(emulator, admin):
    """Zhang and Liu on north (G1), Wang on south (G2); #1 from G1, #2 from G2."""
    zhang, liu = emulator.user(7001, "Zhang Wei", "en"), emulator.user(7002, "Liu Yang", "en")
    wang = emulator.user(7003, "Wang Fang", "zh")
    await make_team(admin, [zhang, liu], "north", "G1")
    await make_team(admin, [wang], "south", "G2")
    admin.send("/building 7 G2")
    await admin.next_message("G2")
    li = emulator.user(5001, "Li", "en")
    await register(li)                                           # building 5: G1
    chen = emulator.user(5002, "Chen", "en")
    await register(chen, name="Chen Jing", building="7", phone="13800002222")
    li.send("The light in our corridor is out")
    await zhang.next_message("#1")
    chen.send("The lift in building 7 has been broken for two days")
    await wang.next_message("#2")
    return zhang, liu, wang, li, chen


async def test_a_leader_sees_the_tickets_of_their_grids_only(frontdesk, emulator, admin):
    zhang, liu, wang, li, chen = await two_grids(emulator, admin)
    await make_leader(frontdesk, zhang.id)

    zhang.send("/tickets")
    listing = await zhang.next_message("Open requests")
    assert "in grid G1" in listing.text and "#1 " in listing.text and "#2 " not in listing.text
    assert "corridor" in listing.text and "lift" not in listing.text

    zhang.send("/ticket 1")                                      # the whole history, with the resident's details
    detail = await zhang.next_message("History")
    assert "#1 " in detail.text and "+8613800001111" in detail.text and "alerted" in detail.text

    zhang.send("/ticket 2")                                      # another grid's: kindly, not theirs
    refused = await zhang.next_message("#2")
    assert "not in your grid (G1)" in refused.text and "13800002222" not in refused.text and "lift" not in refused.text
    zhang.send("/ticket 99")
    await zhang.next_message("no request #99")
    zhang.send("/ticket one")
    await zhang.next_message("Usage: /ticket N")

    admin.send("/tickets")                                       # the committee still sees everything
    everything = await admin.next_message("未完成的求助")
    assert "#1 " in everything.text and "#2 " in everything.text and "网格 G1、" not in everything.text


async def test_a_leader_in_chinese_and_a_leader_of_two_teams(frontdesk, emulator, admin):
    zhang, liu, wang, li, chen = await two_grids(emulator, admin)
    await make_leader(frontdesk, wang.id)
    wang.send("/tickets")
    listing = await wang.next_message("未完成的求助")
    assert "网格 G2" in listing.text and "#2 " in listing.text and "#1 " not in listing.text
    wang.send("/ticket 1")
    refused = await wang.next_message("不在您负责的网格")
    assert "G2" in refused.text
    # a leader of both teams sees both grids
    async with frontdesk.db.transaction() as tx:
        await tx.execute("INSERT INTO memberships (team_id, volunteer_id, role, joined_at) "
                         "SELECT t.id, v.id, 'leader', 0 FROM teams t, volunteers v "
                         "WHERE t.name = 'north' AND v.telegram_id = ?", (wang.id,))
    wang.send("/tickets")
    both = await wang.next_message("未完成的求助")
    assert "#1 " in both.text and "#2 " in both.text


async def test_members_residents_and_former_leaders_are_refused(frontdesk, emulator, admin):
    zhang, liu, wang, li, chen = await two_grids(emulator, admin)
    await make_leader(frontdesk, zhang.id)
    for who in (liu, li):                                        # a member, a resident
        who.send("/tickets")
        await who.next_message("Only committee staff")
        who.send("/ticket 1")
        await who.next_message("Only committee staff")
        who.send("/ticket")                                      # refused before being told how to ask
        await who.next_message("Only committee staff")
    zhang.send("/tickets")
    listing = await zhang.next_message("Open requests")
    forged = liu.press(listing, "page:tickets:0:")               # a member turning the leader's pages
    assert "Only committee staff" in (await liu.answer_to(forged))["text"]
    async with frontdesk.db.transaction() as tx:                 # the team let Zhang go
        await tx.execute("UPDATE memberships SET active = 0 WHERE volunteer_id = "
                         "(SELECT id FROM volunteers WHERE telegram_id = ?)", (zhang.id,))
    zhang.send("/ticket 1")
    await zhang.next_message("Only committee staff")
    stale = zhang.press(listing, "page:tickets:0:")
    assert "Only committee staff" in (await zhang.answer_to(stale))["text"]
