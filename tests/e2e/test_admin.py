"""Admins: team set-up, the ticket list and a ticket's history."""

from __future__ import annotations

from tests.conftest import make_team, register, staffed_grid


async def test_tickets_list_most_urgent_first_and_history(frontdesk, emulator, admin):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    resident.send("Gas smell in the kitchen, very strong")
    await resident.next_message("#2")
    alert = await zhang.next_message("#2")
    zhang.press(alert, "claim:2")
    await zhang.next_message("is yours now")
    admin.send("/tickets")
    listing = await admin.next_message("未完成的求助")
    assert listing.text.index("#2") < listing.text.index("#1")
    admin.send("/ticket 2")
    detail = await admin.next_message("记录")
    for word in ("提交", "已通知 · 第1轮：Zhang", "接单 · Zhang", "13800001111", "分诊依据"):
        assert word in detail.text, word
    admin.send("/ticket abc")
    assert "/ticket" in (await admin.next_message("用法")).text
    admin.send("/ticket 99")
    assert "#99" in (await admin.next_message("#99")).text


async def test_team_listing_and_bad_grids(frontdesk, emulator, admin):
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang], team="east", grids="G3,G4")
    admin.send("/team")
    listing = await admin.next_message("east")
    assert "G3,G4" in listing.text and "1" in listing.text
    admin.send("/team east grids G$5")
    assert "G$5" in (await admin.next_message()).text


async def test_nobody_on_duty_goes_to_the_admins(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident, building="9")
    resident.send("No heating in the flat and it is 12 degrees inside, I am 88")
    await resident.next_message("#1")
    alert = await admin.next_message("#1")
    assert "没有值班志愿者" in alert.text


async def test_set_admin_group_only_in_a_group(frontdesk, emulator, admin):
    admin.send("/set_admin_group")
    assert "群" in (await admin.next_message()).text
