"""The committee owns the triage: its own keywords, corrections of verdicts, and their export."""

from __future__ import annotations

import asyncio
import io
import json

from bot.cli import main
from bot.delivery import Renderer
from bot.services import export_corrections, parse_label, term_language
from tests.conftest import register, staffed_grid


async def test_keyword_added_from_the_chat_counts_at_once_and_survives_a_restart(frontdesk, emulator, admin):
    resident = emulator.user(5001, "Li", "en")
    await register(resident)
    resident.send("后院沼气池冒泡了")
    await resident.next_message("#1")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 1") == "routine"

    admin.send("/keyword add 沼气池 urgent gas")
    added = await admin.next_message("已添加")
    assert "沼气池" in added.text and "尽快处理" in added.text and "燃气" in added.text
    resident.send("后院沼气池冒泡了，味道很冲")
    await resident.next_message("#2")
    row = (await frontdesk.rows("SELECT urgency, category, triage_reasons FROM tickets WHERE id = 2"))[0]
    assert (row["urgency"], row["category"]) == ("urgent", "gas")
    assert "沼气池" in row["triage_reasons"]

    # English terms, several words, and the labels in Chinese too.
    admin.send("/keyword add Soakaway  Pit 一般 环境卫生")
    await admin.next_message("soakaway pit")
    admin.send("/keyword list")
    listing = await admin.next_message("本社区添加的关键词")
    assert "沼气池 → 尽快处理 · 燃气" in listing.text and "soakaway pit → 一般 · 环境卫生" in listing.text

    await frontdesk.restart()
    resident.send("The soakaway pit behind block 3 is full again")
    await resident.next_message("#3")
    assert await frontdesk.value("SELECT category FROM tickets WHERE id = 3") == "sanitation"

    admin.send("/keyword remove 沼气池")
    await admin.next_message("已删除")
    neighbour = emulator.user(5002, "Wu", "zh")  # Li's open tickets would take words they cannot place
    neighbour.send("后院沼气池冒泡了")
    await neighbour.next_message("#4")
    assert await frontdesk.value("SELECT urgency FROM tickets WHERE id = 4") == "routine"
    admin.send("/keyword remove 沼气池")
    await admin.next_message("没有「沼气池」")


async def test_keyword_refusals(frontdesk, emulator, admin):
    admin.send("/keyword add 着火 routine fire")          # would hide a red flag
    refusal = await admin.next_message("没有添加")
    assert "不能把紧急情况降级" in refusal.text
    admin.send("/keyword add 火 urgent fire")             # one character matches far too much
    await admin.next_message("至少 2 个字")
    admin.send("/keyword add 水管 soon water")            # not an urgency
    await admin.next_message("用法")
    admin.send("/keyword add 水管")
    await admin.next_message("用法")
    admin.send("/keyword frobnicate")
    await admin.next_message("用法")
    assert await frontdesk.value("SELECT COUNT(*) FROM keywords") == 0
    admin.send("/keyword add 着火演习 info fire")           # lowering a red flag inside a phrase is refused too
    await admin.next_message("没有添加")

    volunteer = emulator.user(7001, "Zhang", "en")
    volunteer.send("/keyword add soakaway urgent sanitation")
    await volunteer.next_message("Only committee staff")
    volunteer.send("/triage 1 emergency")
    await volunteer.next_message("Only committee staff")


async def test_correction_raises_realerts_tells_the_resident_and_is_exported(frontdesk, emulator, admin, tmp_path,
                                                                            monkeypatch):
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("The corridor light on my floor is out")
    await resident.next_message("#1")
    first = await zhang.next_message("#1")
    assert "routine" in first.text

    admin.send("/triage 1 emergency")
    done = await admin.next_message("已记录")
    assert "一般" in done.text and "紧急" in done.text and "再次通知" in done.text
    second = await zhang.next_message("#1")
    assert "EMERGENCY" in second.text and second.message_id != first.message_id
    warning = await resident.next_message("EMERGENCY")
    assert "120" in warning.text
    ticket = (await frontdesk.rows("SELECT urgency, category, alert_round FROM tickets WHERE id = 1"))[0]
    assert ticket == {"urgency": "emergency", "category": "infrastructure", "alert_round": 2}

    # Claimed, then lowered: the claimant hears of it, nobody is alerted again.
    zhang.press(second, "claim:1")
    await zhang.next_message("is yours now")
    admin.send("/triage #1 一般 用电")
    await admin.next_message("已记录")
    change = await zhang.next_message("is now")
    assert "routine · electricity" in change.text and "was EMERGENCY" in change.text
    admin.send("/triage 1 routine power")
    await admin.next_message("没有改动")
    await frontdesk.drain()
    alerts = await frontdesk.value("SELECT COUNT(*) FROM outbox WHERE chat_id = ? AND purpose = 'alert'", (7001,))
    assert alerts == 2

    events = await frontdesk.rows("SELECT detail FROM ticket_events WHERE ticket_id = 1 AND kind = 'triage_corrected'")
    assert [e["detail"] for e in events] == ["routine/infrastructure -> emergency/infrastructure",
                                             "emergency/infrastructure -> routine/power"]
    admin.send("/ticket 1")
    history = (await admin.next_message("记录")).text
    assert "更正分诊 · Wang · 一般 · 设施维修 → 紧急 · 设施维修" in history
    assert "更正分诊 · Wang · 紧急 · 设施维修 → 一般 · 用电" in history

    # The export: one labelled line per corrected ticket, with its last label, in the data set's format.
    out = io.StringIO()
    assert await export_corrections(frontdesk.db, out) == 1
    assert json.loads(out.getvalue()) == {"text": "The corridor light on my floor is out", "lang": "en",
                                          "urgency": "routine", "category": "power"}
    target = tmp_path / "corrections.jsonl"
    monkeypatch.setenv("FRONTDESK_DB", str(frontdesk.db_path))
    assert await asyncio.to_thread(main, ["triage", "corrections", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == out.getvalue()


async def test_correction_refusals(frontdesk, emulator, admin):
    admin.send("/triage 99 urgent")
    await admin.next_message("#99")
    for wrong in ("/triage", "/triage one urgent", "/triage 1", "/triage 1 banana", "/triage 1 urgent water extra"):
        admin.send(wrong)
        await admin.next_message("用法")
    assert await frontdesk.value("SELECT COUNT(*) FROM triage_corrections") == 0


def test_labels_by_name_or_by_their_words_in_either_language():
    renderer = Renderer()
    assert parse_label(["URGENT", "Water"], renderer).__dict__ == {"urgency": "urgent", "category": "water"}
    assert parse_label(["紧急", "火情"], renderer).__dict__ == {"urgency": "emergency", "category": "fire"}
    assert parse_label(["electricity"], renderer).__dict__ == {"urgency": None, "category": "power"}
    assert parse_label(["urgent", "urgent"], renderer) is None
    assert parse_label(["soon"], renderer) is None
    assert (term_language("沼气池"), term_language("soakaway"), term_language("火"), term_language("ab")) == (
        "zh", "en", None, None)
