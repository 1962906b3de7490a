"""Admins in their own words: Chinese sub-command words (/team 一队 网格 G1,G2, /keyword 删除 X),
and buildings mapped to grids from the chat (/building 7 G2), the residents following."""

from __future__ import annotations

import pytest

from handlers.admin import SUBCOMMANDS, subcommand
from tests.conftest import make_team, register


async def test_team_grids_in_chinese(frontdesk, emulator, admin):
    admin.send("/team 一队 网格 G1,G2")
    done = await admin.next_message("一队")
    assert "G1, G2" in done.text
    admin.send("/team 二队 网格G3、G4")                       # typed without a space, with a Chinese list mark
    assert "G3, G4" in (await admin.next_message("二队")).text
    rows = await frontdesk.rows("SELECT t.name, g.grid FROM team_grids g JOIN teams t ON t.id = g.team_id ORDER BY 2")
    assert [(r["name"], r["grid"]) for r in rows] == [("一队", "G1"), ("一队", "G2"), ("二队", "G3"), ("二队", "G4")]
    admin.send("/team 一队 成员")                              # not a sub-command: the usage, in both forms
    usage = await admin.next_message("用法")
    assert "网格" in usage.text and "grids" in usage.text


async def test_keyword_sub_commands_in_chinese(frontdesk, emulator, admin):
    admin.send("/keyword 添加 沼气池 尽快处理 燃气")
    assert "沼气池" in (await admin.next_message("已添加")).text
    admin.send("/keyword 列表")
    assert "沼气池 → 尽快处理 · 燃气" in (await admin.next_message("本社区添加的关键词")).text
    admin.send("/keyword 删除 沼气池")
    await admin.next_message("已删除「沼气池」")
    admin.send("/keyword add 化粪池 一般 环境卫生")
    await admin.next_message("已添加")
    admin.send("/keyword 移除 化粪池")
    await admin.next_message("已删除「化粪池」")
    assert await frontdesk.value("SELECT COUNT(*) FROM keywords") == 0
    admin.send("/keyword 查查")
    usage = await admin.next_message("用法")
    assert "删除" in usage.text and "remove" in usage.text


async def test_building_moves_to_a_grid_with_its_residents(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident, building="7")
    neighbour = emulator.user(5002, "Chen", "en")
    await register(neighbour, name="Chen Hua", building="8", phone="13800002222")
    zhang = emulator.user(7001, "Zhang", "en")
    await make_team(admin, [zhang], team="east", grids="G2")
    admin.send("/building 7 G2")
    done = await admin.next_message("G2")
    assert "7号楼 → 网格 G2" in done.text and "1 位居民" in done.text and "east" in done.text
    grids = {r["name"]: r["grid"] for r in await frontdesk.rows("SELECT name, grid FROM residents")}
    assert grids == {"Li Xiuying": "G2", "Chen Hua": "G1"}
    assert await frontdesk.value("SELECT grid FROM buildings WHERE name = '7'") == "G2"

    resident.send("The lift in my building is stuck between floors")    # the G2 team hears of it now
    await resident.next_message("#1")
    await zhang.next_message("#1")
    assert await frontdesk.value("SELECT grid FROM tickets WHERE id = 1") == "G2"

    admin.send("/building")
    listing = await admin.next_message("楼栋和网格")
    assert "7号楼 · 网格 G2 · 1 位居民" in listing.text and "8号楼 · 网格 未设（按 G1） · 1 位居民" in listing.text


async def test_building_in_the_words_people_write(frontdesk, emulator, admin):
    admin.send("/building 12号楼 G3")
    assert "12号楼" in (await admin.next_message("G3")).text
    admin.send("/building Building 14、15栋 网格 G4")               # several at once, a filler word
    await admin.next_message("G4")
    rows = await frontdesk.rows("SELECT name, grid FROM buildings ORDER BY name")
    assert [(r["name"], r["grid"]) for r in rows] == [("12", "G3"), ("14", "G4"), ("15", "G4")]
    admin.send("/building 7")
    assert "/building" in (await admin.next_message("用法")).text
    admin.send("/building 号楼 G2")
    assert "号楼" in (await admin.next_message("用法")).text
    admin.send("/building 7 G$2")
    assert "G$2" in (await admin.next_message("用法")).text
    volunteer = emulator.user(7001, "Zhang", "en")
    volunteer.send("/building 7 G2")
    await volunteer.next_message("Only committee staff")
    assert await frontdesk.value("SELECT COUNT(*) FROM buildings") == 3


@pytest.mark.parametrize("word, meaning", [
    ("grids", "grids"), ("网格", "grids"), ("GRID", "grids"), ("add", "add"), ("添加", "add"), ("增加", "add"),
    ("remove", "remove"), ("delete", "remove"), ("删除", "remove"), ("移除", "remove"), ("list", "list"),
    ("列表", "list"), ("查看", "list"), ("沼气池", None), ("", None),
])
def test_one_table_of_sub_command_words(word, meaning):
    assert subcommand(word) == meaning
    assert all(isinstance(words, tuple) for words in SUBCOMMANDS.values())


async def test_a_team_name_with_spaces_gets_its_grids(frontdesk, emulator, admin):
    admin.send("/invite north team")
    await admin.next_message("/join")
    admin.send("/team north team grids G5")
    assert "north team" in (await admin.next_message("G5")).text
    rows = await frontdesk.rows("SELECT t.name, g.grid FROM team_grids g JOIN teams t ON t.id = g.team_id")
    assert [(r["name"], r["grid"]) for r in rows] == [("north team", "G5")]
