"""The committee's own spreadsheets, as Excel saves them on a Chinese PC: GBK, Chinese headers and
values, people without a phone, a title row above the header, the same person typed twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.clock import FakeClock
from bot.services import import_residents, import_volunteers
from storage import Database

ROSTER = (
    "社区居民花名册（2024年）,,,,,,,,,,,\n"               # a title row above the header, as clerks make them
    "序号,姓名,手机号,楼号,单元,房号,网格,是否独居,出生年份,紧急联系人,紧急联系人电话,备注\n"
    "1,王秀兰,13800001111,5号楼,2单元,302室,G1,是,1938年,王强,139 0000 1111,腿脚不便\n"
    "2,李建国,无,5号楼,1单元,101,G1,否,1942,,,没有手机\n"
    "3,张桂英,,7栋,1,201,G2,√,,,,\n"
    ",,,,,,,,,,,\n"                                     # Excel leaves empty rows at the end
)


@pytest.fixture
async def db(tmp_path: Path):
    """Closed even when a test fails (an open aiosqlite connection keeps the process alive)."""
    database = await Database(str(tmp_path / "db.sqlite")).open()
    yield database
    await database.close()


async def _rows(db: Database, sql: str) -> list[dict]:
    async with db.transaction() as tx:
        return [dict(r) for r in await tx.all(sql)]


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8", "utf-8-sig"])
async def test_a_chinese_roster_loads_in_every_encoding_excel_saves(db, tmp_path, encoding):
    path = tmp_path / "居民.csv"
    path.write_bytes(ROSTER.encode(encoding))
    report = await import_residents(db, path, FakeClock())
    assert report.errors == [] and (report.created, report.updated) == (3, 0)
    assert set(report.ignored_columns) == {"序号", "备注"}
    rows = await _rows(db, "SELECT * FROM residents ORDER BY id")
    wang, li, zhang = rows
    assert (wang["name"], wang["phone"], wang["building"], wang["unit"], wang["room"]) == (
        "王秀兰", "+8613800001111", "5", "2", "302")
    assert (wang["lives_alone"], wang["birth_year"], wang["emergency_contact_name"],
            wang["emergency_contact_phone"], wang["grid"]) == (1, 1938, "王强", "+8613900001111", "G1")
    assert (li["name"], li["phone"], li["telegram_id"], li["lives_alone"], li["room"]) == ("李建国", None, None, 0, "101")
    assert (zhang["phone"], zhang["building"], zhang["lives_alone"], zhang["grid"]) == (None, "7", 1, "G2")
    buildings = await _rows(db, "SELECT name, grid FROM buildings ORDER BY name")
    assert buildings == [{"name": "5", "grid": "G1"}, {"name": "7", "grid": "G2"}]


async def test_reimporting_the_roster_updates_everyone_even_without_a_phone(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_bytes(ROSTER.encode("gbk"))
    await import_residents(db, path, FakeClock())
    path.write_bytes(ROSTER.replace("1942", "1943").encode("gbk"))
    report = await import_residents(db, path, FakeClock())
    assert report.errors == [] and (report.created, report.updated) == (0, 3)
    rows = await _rows(db, "SELECT name, birth_year FROM residents ORDER BY id")
    assert [r["name"] for r in rows] == ["王秀兰", "李建国", "张桂英"] and rows[1]["birth_year"] == 1943


async def test_a_reimport_without_telegram_ids_keeps_the_accounts_residents_linked(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,telegram_id,楼号,网格\n王秀兰,13800001111,5001,5,G1\n", encoding="utf-8")
    await import_residents(db, path, FakeClock())
    path.write_text("姓名,电话,楼号,网格\n王秀兰,13800001111,5,G1\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert report.updated == 1
    assert (await _rows(db, "SELECT telegram_id FROM residents"))[0]["telegram_id"] == 5001


@pytest.mark.parametrize("word, alone", [
    ("是", 1), ("否", 0), ("有", 1), ("无", 0), ("对", 1), ("不", 0), ("Y", 1), ("n", 0), ("1", 1), ("0", 0),
    ("√", 1), ("×", 0), ("yes", 1), ("No", 0), ("独居", 1), ("", 0),
])
async def test_yes_and_no_in_the_words_clerks_type(db, tmp_path, word, alone):
    path = tmp_path / "residents.csv"
    path.write_text(f"姓名,电话,楼号,独居\n王秀兰,13800001111,5,{word}\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert report.errors == []
    assert (await _rows(db, "SELECT lives_alone FROM residents"))[0]["lives_alone"] == alone


async def test_language_words_and_an_unreadable_yes_no(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,联系电话,楼栋,语言,独居\n"
                    "甲,13800000001,1,中文,\n乙,13800000002,1,英文,\n丙,13800000003,1,汉语,\n"
                    "丁,13800000004,1,English,\n戊,13800000005,1,法语,\n己,13800000006,1,,也许\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    rows = await _rows(db, "SELECT name, language FROM residents ORDER BY id")
    assert [(r["name"], r["language"]) for r in rows] == [("甲", "zh"), ("乙", "en"), ("丙", "zh"), ("丁", "en")]
    assert [(e.line, e.reason) for e in report.errors] == [(6, "bad_language"), (7, "bad_yes_no")]
    assert report.errors[0].params["column"] == "语言" and report.errors[0].params["value"] == "法语"


@pytest.mark.parametrize("phone", ["", "无", "没有", "-", "/", "暂无"])
async def test_no_phone_in_any_of_its_spellings_is_no_phone(db, tmp_path, phone):
    path = tmp_path / "residents.csv"
    path.write_text(f"姓名,电话,楼号,单元,房号,紧急联系人电话\n李建国,{phone},5号楼,1,101,{phone}\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert report.errors == [] and report.created == 1
    row = (await _rows(db, "SELECT * FROM residents"))[0]
    assert row["phone"] is None and row["emergency_contact_phone"] is None and row["building"] == "5"


async def test_two_rows_with_one_phone_do_not_overwrite_each_other(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,TG,楼号,网格\n"
                    "王秀兰,13800001111,,5,G1\n"
                    "李建国,13900002222,42,5,G1\n"
                    "王秀英,138 0000 1111,,6,G1\n"          # a typo'd copy of line 2's phone
                    "张三,13700003333,42,6,G1\n"             # line 3's Telegram id
                    "李四,,,6,G1\n"
                    "李四,,,6,G1\n", encoding="utf-8")      # the same phoneless person twice
    report = await import_residents(db, path, FakeClock())
    assert report.created == 3
    assert [(e.line, e.reason, e.params["first_line"]) for e in report.errors] == [
        (4, "duplicate", 2), (5, "duplicate", 3), (7, "duplicate", 6)]
    assert [e.params["what"] for e in report.errors] == ["phone", "telegram_id", "person"]
    rows = await _rows(db, "SELECT name, phone FROM residents ORDER BY id")
    assert [r["name"] for r in rows] == ["王秀兰", "李建国", "李四"]
    report = await import_residents(db, path, FakeClock())    # the same file again: updates, same complaints
    assert (report.created, report.updated, len(report.errors)) == (0, 3, 3)


async def test_a_phone_that_belongs_to_someone_else_is_named_not_a_database_error(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,telegram_id,楼号\n王秀兰,13800001111,,5\n李建国,13900002222,42,5\n", encoding="utf-8")
    await import_residents(db, path, FakeClock())
    path.write_text("姓名,电话,telegram_id,楼号\n李建国,13800001111,42,5\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert [(e.line, e.reason, e.params.get("other")) for e in report.errors] == [(2, "phone_taken", "王秀兰")]


async def test_excel_number_damage_and_bad_values_are_named(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,楼号,出生年份\n"
                    "甲,1.38E+10,5,1938\n"              # Excel showed the phone in scientific notation
                    "乙,13800000002.0,5,1938.0\n"        # ...or as a float: that one is still readable
                    "丙,13800000003,5,今年\n"
                    ",13800000004,5,1940\n"
                    "丁,12ab,5,\n"
                    "戊,13800000006,号楼,\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert [(e.line, e.reason) for e in report.errors] == [
        (2, "scientific"), (4, "bad_year"), (5, "required"), (6, "bad_phone"), (7, "bad_building")]
    assert report.created == 1
    assert (await _rows(db, "SELECT phone, birth_year FROM residents"))[0] == {"phone": "+8613800000002",
                                                                             "birth_year": 1938}


async def test_a_grid_that_disagrees_with_an_earlier_row_of_the_same_building_is_flagged(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,楼号,网格\n甲,13800000001,5号楼,G1\n乙,13800000002,5,G2\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert report.errors == [] and report.created == 2
    assert [(w.line, w.reason, w.params["first_line"]) for w in report.warnings] == [(3, "grid_conflict", 2)]
    assert [r["grid"] for r in await _rows(db, "SELECT grid FROM residents")] == ["G1", "G1"]


VOLUNTEERS = ("姓名,手机号,TG,小队,职务,负责网格,语言\n"
              "张伟,13700001111,7001,一队,队长,G1、G2,中文\n"
              "刘洋,13700002222,7002,一队,队员,G1,英文\n"
              "张伟,13700001111,7001,二队,组长,G3,中文\n"       # one person in two teams: fine
              "刘阳,137 0000 2222,,一队,成员,G1,\n"           # line 3's phone again under another name
              "王芳,13700003333,7003,一队,副主任,G1,\n")


async def test_volunteers_with_chinese_headers_and_roles(db, tmp_path):
    path = tmp_path / "志愿者.csv"
    path.write_bytes(VOLUNTEERS.encode("gbk"))
    report = await import_volunteers(db, path, FakeClock())
    assert report.created == 2 and report.updated == 1
    assert [(e.line, e.reason) for e in report.errors] == [(5, "duplicate"), (6, "bad_role")]
    rows = await _rows(db, """SELECT v.name, t.name AS team, m.role FROM memberships m
                              JOIN volunteers v ON v.id = m.volunteer_id JOIN teams t ON t.id = m.team_id
                              ORDER BY v.id, t.name""")
    assert [(r["name"], r["team"], r["role"]) for r in rows] == [
        ("张伟", "一队", "leader"), ("张伟", "二队", "leader"), ("刘洋", "一队", "member")]
    grids = await _rows(db, "SELECT t.name, g.grid FROM team_grids g JOIN teams t ON t.id = g.team_id ORDER BY 1, 2")
    assert [(g["name"], g["grid"]) for g in grids] == [("一队", "G1"), ("一队", "G2"), ("二队", "G3")]
    languages = await _rows(db, "SELECT language FROM volunteers ORDER BY id")
    assert [r["language"] for r in languages] == ["zh", "en"]


# -- the report a clerk reads ------------------------------------------------------------------


def _cli(monkeypatch, tmp_path: Path, language: str, *argv: str) -> int:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FRONTDESK_DB", str(tmp_path / "frontdesk.db"))
    monkeypatch.setenv("DEFAULT_LANGUAGE", language)
    return main(["import", *argv])


BAD = "姓名,电话,楼号\n王秀兰,13800001111,5\n李建国,abc,5\n王秀英,13800001111,6\n"


def test_the_report_is_in_chinese_on_a_chinese_setup(monkeypatch, tmp_path, capsys):
    path = tmp_path / "居民.csv"
    path.write_bytes(BAD.encode("gbk"))
    assert _cli(monkeypatch, tmp_path, "zh", "residents", str(path)) == 1
    out = capsys.readouterr().out
    assert "新增 1" in out and "第 3 行" in out and "「电话」" in out and "abc" in out
    assert "第 4 行" in out and "第 2 行" in out and "跳过" in out
    assert "Traceback" not in out and "line" not in out


def test_the_report_is_in_english_on_an_english_setup(monkeypatch, tmp_path, capsys):
    path = tmp_path / "residents.csv"
    path.write_text(BAD, encoding="utf-8")
    assert _cli(monkeypatch, tmp_path, "en", "residents", str(path)) == 1
    out = capsys.readouterr().out
    assert "1 added" in out and "line 3" in out and "line 4" in out and "same phone as line 2" in out


def test_a_clean_file_reports_success_and_exits_0(monkeypatch, tmp_path, capsys):
    path = tmp_path / "volunteers.csv"
    path.write_bytes(VOLUNTEERS.splitlines(keepends=True)[0].encode("gbk")
                     + VOLUNTEERS.splitlines(keepends=True)[1].encode("gbk"))
    assert _cli(monkeypatch, tmp_path, "zh", "volunteers", str(path)) == 0
    out = capsys.readouterr().out
    assert "志愿者" in out and "新增 1" in out and "GBK" in out


@pytest.mark.parametrize("content, words", [
    (b"\xff\x80\x81 not text at all \x80", ("读不出", "UTF-8", "GBK")),
    (b"PK\x03\x04\x14\x00\x06\x00rest-of-a-zip", ("Excel", "CSV")),
    ("电话,楼号\n13800001111,5\n".encode("gbk"), ("姓名",)),
    (b"", ("空",)),
])
def test_a_file_that_cannot_load_is_one_clear_line(monkeypatch, tmp_path, capsys, content, words):
    path = tmp_path / "residents.csv"
    path.write_bytes(content)
    assert _cli(monkeypatch, tmp_path, "zh", "residents", str(path)) == 1
    captured = capsys.readouterr()
    lines = (captured.out + captured.err).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    for word in words:
        assert word in lines[0], (word, lines[0])


def test_a_missing_file_is_named_in_the_clerks_language(monkeypatch, tmp_path, capsys):
    assert _cli(monkeypatch, tmp_path, "zh", "residents", str(tmp_path / "nope.csv")) == 1
    err = capsys.readouterr().err
    assert "nope.csv" in err and "找不到" in err


async def test_every_problem_of_a_row_is_named_at_once(db, tmp_path):
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,楼号,独居,出生年份\n甲,12ab,5,也许,今年\n乙,13800000002,5,是,1940\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert [(e.line, e.reason) for e in report.errors] == [(2, "bad_phone"), (2, "bad_yes_no"), (2, "bad_year")]
    assert report.rejected == 1 and report.created == 1


async def test_excel_unicode_text_utf16_with_tabs_loads(db, tmp_path):
    path = tmp_path / "residents.txt"
    path.write_bytes("姓名\t电话\t楼号\t房号\n王秀兰\t13800001111\t5号楼\t302室\n".encode("utf-16"))
    report = await import_residents(db, path, FakeClock())
    assert report.errors == [] and report.encoding == "UTF-16"
    async with db.transaction() as tx:
        row = dict(await tx.one("SELECT name, building, room FROM residents"))
    assert row == {"name": "王秀兰", "building": "5", "room": "302"}


def test_import_shifts_from_the_command_line(monkeypatch, tmp_path, capsys):
    """`frontdesk import shifts`: volunteers first (the teams and their people), then the roster;
    a bad row is named by its line and the rest load."""
    people = tmp_path / "volunteers.csv"
    people.write_text("姓名,电话,队伍,网格\n张伟,13800002222,一队,G1\n李娜,13800003333,一队,G1\n", encoding="utf-8")
    assert _cli(monkeypatch, tmp_path, "zh", "volunteers", str(people)) == 0
    capsys.readouterr()
    roster = tmp_path / "shifts.csv"
    roster.write_text("team,days,start,end,volunteers\n一队,周一-周五,08:00,20:00,\"张伟,李娜\"\n"
                      "一队,周一-周五,20:00,20:00,张伟\n一队,daily,20:00,08:00,13800003333\n", encoding="utf-8")
    assert _cli(monkeypatch, tmp_path, "en", "shifts", str(roster)) == 1
    out = capsys.readouterr().out
    assert "Shifts (UTF-8): 2 added, 0 updated, 1 row not loaded" in out
    assert "line 3: the shift starts and ends at the same time: 20:00-20:00" in out
