"""The committee's spreadsheets: re-import updates, a bad row is named and the rest load."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.services import import_residents, import_volunteers
from storage import Database

HEADER = ("name,phone,telegram_id,building,unit,room,grid,language,lives_alone,birth_year,"
          "emergency_contact_name,emergency_contact_phone,emergency_contact_telegram_id\n")


async def test_residents_import_and_reimport(tmp_path):
    db = await Database(str(tmp_path / "db.sqlite")).open()
    path = tmp_path / "residents.csv"
    path.write_text(HEADER
                    + "王秀兰,13800001111,,5,2,302,G1,zh,是,1938,王强,13900001111,\n"
                    + "Bad Row,not-a-phone,,5,2,303,G1,zh,,,,,\n"
                    + "John Smith,+86 138 0000 2222,42,7,1,101,G2,en,no,1950,,,\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert (report.created, report.updated) == (2, 0)
    assert len(report.errors) == 1 and report.errors[0][0] == 3 and "phone" in report.errors[0][1]
    path.write_text(HEADER + "王秀兰,138 0000 1111,,5,2,305,G1,zh,1,1938,,,\n", encoding="utf-8")
    report = await import_residents(db, path, FakeClock())
    assert (report.created, report.updated, report.errors) == (0, 1, [])
    async with db.transaction() as tx:
        rows = [dict(r) for r in await tx.all("SELECT * FROM residents ORDER BY id")]
        grid = await tx.value("SELECT grid FROM buildings WHERE name = '7'")
    assert len(rows) == 2 and rows[0]["room"] == "305" and rows[0]["lives_alone"] == 1
    assert rows[1]["telegram_id"] == 42 and rows[1]["language"] == "en" and grid == "G2"
    await db.close()


async def test_volunteers_import(tmp_path):
    db = await Database(str(tmp_path / "db.sqlite")).open()
    path = tmp_path / "volunteers.csv"
    path.write_text("name,phone,telegram_id,team,role,grids,language\n"
                    "Zhang Wei,13700001111,7001,north,leader,G1;G2,zh\n"
                    "Liu Yang,13700002222,7002,north,member,G1,en\n"
                    "Nobody,,,north,captain,G1,zh\n", encoding="utf-8")
    report = await import_volunteers(db, path, FakeClock())
    assert report.created == 2 and len(report.errors) == 1 and report.errors[0][0] == 4
    async with db.transaction() as tx:
        grids = [r[0] for r in await tx.all("SELECT grid FROM team_grids ORDER BY grid")]
        roles = [r[0] for r in await tx.all("SELECT role FROM memberships ORDER BY volunteer_id")]
    assert grids == ["G1", "G2"] and roles == ["leader", "member"]
    await db.close()


async def test_residents_import_enrols_checkins(tmp_path):
    """A `checkin_times` (平安打卡时间) column enrols the row in daily check-ins; empty: no plan; a bad
    time is a named error; the first question's timer is worked out by the next tick."""
    db = await Database(str(tmp_path / "db.sqlite")).open()
    path = tmp_path / "residents.csv"
    path.write_text("姓名,电话,楼号,是否独居,出生年份,平安打卡时间\n"
                    "王秀兰,13800001111,5,是,1938,09:00;18:00\n"
                    "李大爷,13800002222,5,是,1940,\n"
                    "赵奶奶,13800003333,6,是,1936,9点半\n"
                    "钱阿姨,13800004444,6,是,1945,早上\n", encoding="gb18030")
    report = await import_residents(db, path, FakeClock())
    assert report.created == 3 and [p.reason for p in report.errors] == ["bad_checkin_times"]
    async with db.transaction() as tx:
        plans = [dict(r) for r in await tx.all(
            "SELECT r.name, p.times, p.days, p.next_due_at FROM checkin_plans p JOIN residents r ON r.id = p.resident_id "
            "ORDER BY r.id")]
    assert [(p["name"], p["times"], p["days"], p["next_due_at"]) for p in plans] == [
        ("王秀兰", "09:00,18:00", "0123456", None), ("赵奶奶", "09:30", "0123456", None)]
    await db.close()
