"""Issue #15, finding 13: one phone, one key.

Numbers are read by the book (libphonenumber, the committee's default region) and kept in E.164,
so the committee's spreadsheet and Telegram's shared contact name the same person the same way;
what is not a phone number is refused; numbers stored before are converted, and the clashes this
reveals are kept and shown to the admins, never dropped.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources

import pytest

from tests.conftest import Frontdesk, on_postgres
from tests.e2e.test_identity_is_proven import _import, _to_phone_question


async def test_a_number_written_two_ways_is_one_key(frontdesk, emulator, tmp_path):
    """`010-6512 3456` in the import and `+86 10 6512 3456` from Telegram are the same line."""
    await _import(frontdesk, tmp_path, "Wang Fang,010-6512 3456,,4,1,101,G1,zh,1,1941,,,\n")
    assert await frontdesk.value("SELECT phone FROM residents") == "+861065123456"
    wang = emulator.user(5006, "Wang", "zh")
    await _to_phone_question(wang, "zh")
    wang.share_contact("+86 10 6512 3456")
    linked = await wang.next_message("找到您的登记信息")
    assert "Wang Fang" in linked.text
    rows = await frontdesk.rows("SELECT telegram_id, phone FROM residents")
    assert rows == [{"telegram_id": 5006, "phone": "+861065123456"}]


@pytest.mark.parametrize("lang, refusal", [("en", "not a phone number"), ("zh", "不是电话号码")])
async def test_a_number_that_is_not_a_phone_number_is_refused(frontdesk, emulator, lang, refusal):
    resident = emulator.user(5001, "Li", lang)
    await _to_phone_question(resident, lang)
    resident.send("123456")
    said = await resident.next_message(None)
    assert refusal in said.text
    asked = await resident.next_message(None)                     # the same question again
    assert ("Share my phone number" if lang == "en" else "分享我的手机号") in asked.text
    resident.send("138 0000 1111")
    await resident.next_message(None)                              # the name question: taken
    assert "+8613800001111" in await frontdesk.value("SELECT step_data FROM users WHERE telegram_id = 5001")


async def test_an_import_refuses_a_number_that_is_not_a_phone_number(frontdesk, tmp_path):
    from bot.services import import_residents

    path = tmp_path / "residents.csv"
    path.write_text("name,phone,building\nZhou,123456,5\nQian,(010) 6512-3456,5\n", encoding="utf-8")
    report = await import_residents(frontdesk.db, path, frontdesk.clock)
    assert [(e.line, e.reason) for e in report.errors] == [(2, "bad_phone")]
    assert await frontdesk.rows("SELECT name, phone FROM residents") == [{"name": "Qian", "phone": "+861065123456"}]


def _database_before_007(path) -> None:
    """A database as migrations 001-006 left it, with numbers stored the old way."""
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    scripts = sorted(e for e in resources.files("storage.migrations").iterdir() if e.name.endswith(".sql"))
    for entry in scripts:
        version = int(entry.name.split("_", 1)[0])
        if version >= 7:
            continue
        conn.executescript(entry.read_text(encoding="utf-8"))
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, entry.name))
    now = time.time()
    residents = [
        (1, "Wang Fang", "01065123456", None, "import", "13911112222"),  # the import's form
        (2, "Wang Fang", "861065123456", 5006, "bot", None),             # the same line, from a contact
        (3, "Li Xiuying", "13800001111", 5001, "bot", "8613900002222"),
        (4, "Zhou", "123456", None, "import", None),                     # accepted once, no phone at all
        (5, "Sun Li", "8613800003333", None, "import", None),
    ]
    conn.executemany("INSERT INTO residents (id, name, phone, telegram_id, source, emergency_contact_phone, "
                     "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     [(*row, now, now) for row in residents])
    conn.executemany("INSERT INTO volunteers (id, telegram_id, name, phone, created_at, updated_at) "
                     "VALUES (?, ?, ?, ?, ?, ?)",
                     [(1, 7001, "Zhang", "137-0000-2222", now, now), (2, 7002, "Liu", "+86 137 0000 2222", now, now)])
    conn.commit()
    conn.close()


@pytest.mark.skipif(on_postgres, reason="an SQLite file as an older version left it, made by hand")
async def test_stored_numbers_are_migrated_and_clashes_are_shown_to_admins(emulator, admin, tmp_path):
    db_path = tmp_path / "frontdesk.db"
    _database_before_007(db_path)
    from bot.clock import FakeClock

    desk = Frontdesk(emulator, db_path, FakeClock())
    await desk.start()
    try:
        rows = {r["id"]: r for r in await desk.rows("SELECT * FROM residents ORDER BY id")}
        assert len(rows) == 5                                                   # nothing dropped
        assert rows[2]["phone"] == "+861065123456"             # linked to Telegram: keeps the number
        assert rows[1]["phone"] == "01065123456"               # the clash: kept as it was, and reported
        assert rows[3]["phone"] == "+8613800001111" and rows[3]["emergency_contact_phone"] == "+8613900002222"
        assert rows[1]["emergency_contact_phone"] == "+8613911112222"
        assert rows[4]["phone"] == "123456"                    # not a number: kept, and reported
        assert rows[5]["phone"] == "+8613800003333"
        volunteers = {r["id"]: r["phone"] for r in await desk.rows("SELECT id, phone FROM volunteers")}
        assert volunteers == {1: "+8613700002222", 2: "+86 137 0000 2222"}
        # the admins are told, and /links shows what needs a look until it is fixed
        notice = await admin.next_message("/links")
        assert "2" in notice.text
        admin.send("/links")
        listing = await admin.next_message("01065123456")
        assert "Wang Fang" in listing.text and "+861065123456" in listing.text
        assert "123456" in listing.text and "Zhou" in listing.text
        assert "Liu" in listing.text and "Zhang" in listing.text
        # the two Wang Fang rows are one person: merged into the one linked to Telegram
        wang = await desk.value("SELECT id FROM phone_report WHERE who = 'resident' AND kind = 'clash'")
        admin.send(f"/links merge {wang}")
        await admin.next_message(f"№{wang}")
        rows = await desk.rows("SELECT * FROM residents WHERE name = 'Wang Fang'")
        assert len(rows) == 1 and rows[0]["id"] == 2 and rows[0]["telegram_id"] == 5006
        assert rows[0]["emergency_contact_phone"] == "+8613911112222"       # what only the other row knew
        # two volunteers on one line stay apart on purpose
        liu = await desk.value("SELECT id FROM phone_report WHERE who = 'volunteer'")
        admin.send(f"/links merge {liu}")
        await admin.next_message(f"№{liu}")
        assert await desk.value("SELECT count(*) FROM volunteers") == 2
        admin.send(f"/links keep {liu}")
        await admin.next_message(f"№{liu}")
        admin.send("/links")
        left = await admin.next_message("要核对")
        assert "Zhou" in left.text and "Wang Fang" not in left.text and "Liu" not in left.text
        # a restart does not convert or announce twice
        await desk.restart()
        await desk.drain()
        assert await desk.value("SELECT phone FROM residents WHERE id = 2") == "+861065123456"
        assert await desk.value("SELECT count(*) FROM outbox WHERE purpose = 'phone_report' AND chat_id = ?",
                                (admin.id,)) == 1
    finally:
        await desk.stop()
