"""Each reader in their own language: `/ticket N` names its events, triage reasons and
corrections in the admin's language, never in the codes the program stores."""

from __future__ import annotations

import re
from pathlib import Path

from bot.config import LANGUAGES
from bot.core import CATEGORIES, URGENCIES, classify
from bot.core.lifecycle import CANCELLED, CLAIMED, CLOSED, EVENT_OF, OPEN, RESOLVED  # the module under test
from bot.delivery import Renderer, reason_parts
from tests.conftest import staffed_grid
from tests.core.test_triage import BEYOND_DEV, RED_FLAGS_EN, RED_FLAGS_ZH

# What the database holds and a Chinese admin must never read.
CODES = ("created", "alerted", "claimed", "resolved", "confirmed", "rated", "commented", "triage", "round",
         "routine", "urgent", "water", "info", "vulnerable", "no problem named", "->", "/")


async def _a_ticket_with_a_history(emulator, admin):
    """#1 claimed, corrected by the admin, fixed and rated; #2 a question (information)."""
    zhang, resident = await staffed_grid(emulator, admin)
    resident.send("My 85 year old mother lives alone and the tap is dripping")
    await resident.next_message("#1")
    alert = await zhang.next_message("#1")
    zhang.press(alert, "claim:1")
    details = await zhang.next_message("is yours now")
    admin.send("/triage 1 routine")
    await admin.next_message("已记录")
    zhang.press(details, details.button("resolve:"))
    fixed = await resident.next_message("Is it fixed?")
    resident.press(fixed, fixed.button("fixed:"))
    resident.press(await resident.next_message("rate"), "rate:1:4")
    await resident.next_message("Skip")
    resident.send("Quick and kind, thank you")
    await resident.next_message("noted")
    resident.send("What time does the office open on Saturday?")  # thanks alone are no ticket (issue #7)
    await resident.next_message("#2")


async def test_an_admin_reads_a_ticket_in_their_own_language(frontdesk, emulator, admin):
    await _a_ticket_with_a_history(emulator, admin)

    admin.send("/ticket 1")
    zh = (await admin.next_message("记录")).text
    for code in CODES:
        assert code not in zh.lower(), code
    for words in ("#1 一般 · 用水 · 已完成",
                  "分诊依据：尽快处理 · 用水：drip*；需特别关照：lives alone、alone、year old、age 65+",
                  "提交 · Li Xiuying · 尽快处理 · 用水：drip*",
                  "已通知 · 第1轮：Zhang", "接单 · Zhang", "更正分诊 · Wang · 尽快处理 · 用水 → 一般 · 用水",
                  "已处理 · Zhang", "居民确认已解决 · Li Xiuying", "评分 · Li Xiuying · ⭐⭐⭐⭐",
                  "评价留言 · Li Xiuying · Quick and kind, thank you"):
        assert words in zh, words
    admin.send("/ticket 2")
    zh = (await admin.next_message("#2")).text
    assert "分诊依据：咨询/留言 · 没有提到需要处理的问题" in zh
    assert "no problem named" not in zh and "info" not in zh

    admin.send("/tickets")
    listing = (await admin.next_message("未完成的求助")).text
    assert "#2 咨询/留言 · 办事咨询 · 网格 G1 · 等待志愿者" in listing and "info" not in listing

    # The same admin switches to English: the same ticket, in English words.
    admin.send("/language")
    admin.press(await admin.next_message("choose a language"), "lang:en")
    await admin.next_message("English")
    admin.send("/ticket 1")
    en = (await admin.next_message("History")).text
    for words in ("#1 routine · water · done",
                  "Triage: urgent · water: drip*; raised for someone vulnerable: lives alone, alone, year old, age 65+",
                  "created · Li Xiuying · urgent · water: drip*", "alerted · round 1: Zhang", "claimed · Zhang",
                  "triage corrected · Wang · urgent · water → routine · water", "resolved · Zhang",
                  "confirmed fixed · Li Xiuying", "rated · Li Xiuying · ⭐⭐⭐⭐"):
        assert words in en, words
    assert "->" not in en and "triage_corrected" not in en and "urgent/water" not in en
    admin.send("/ticket 2")
    assert "Triage: information · no problem named" in (await admin.next_message("#2")).text


# -- the names tables and the renderer, without Telegram ------------------------------------------

def _history(renderer: Renderer, lang: str, events: list[tuple[str, str | None]], reasons: list[str]) -> str:
    ticket = {"id": 7, "urgency": "urgent", "category": "water", "status": "open", "grid": "G1", "building": None,
              "reporter_name": "Li", "location": None, "text": "水管爆了", "rating": None, "rating_comment": None}
    return renderer.text(lang, "admin_ticket", ticket=ticket, resident=None, reasons=reasons, created="09:00",
                         events=[{"kind": k, "detail": d, "actor": None, "when": "09:00"} for k, d in events])


def test_every_event_kind_the_code_writes_has_a_name_in_both_languages():
    root = Path(__file__).resolve().parents[2]
    written = {kind for path in (root / "bot").rglob("*.py")
               for kind in re.findall(r'add_event\(\s*tx,[^,]+,\s*"(\w+)"', path.read_text(encoding="utf-8"))}
    assert {"created", "alerted", "triage_corrected", "undeliverable"} <= written  # the scan finds them
    kinds = written | set(EVENT_OF.values()) | {"update", "cancelled", "auto_closed", "relayed", "thanks"}
    renderer = Renderer()
    for lang in LANGUAGES:
        names = renderer.words(lang)
        assert kinds <= set(names.E), (lang, kinds - set(names.E))
        assert set(URGENCIES) <= set(names.U) and set(CATEGORIES) <= set(names.C), lang
        assert {OPEN, CLAIMED, RESOLVED, CLOSED, CANCELLED} <= set(names.S), lang


def test_every_reason_the_engine_gives_is_understood():
    renderer = Renderer()
    texts = RED_FLAGS_ZH + RED_FLAGS_EN + [row[0] for row in BEYOND_DEV] + [
        "谢谢你们", "xqzv blorp", "请问怎么办理老年证", "明天停水吗？", "今天下午要交材料"]
    reasons = {reason for text in texts for reason in classify(text).reasons}
    assert len({reason.split(":")[0] for reason in reasons}) > 8  # many kinds of reason, not one
    for lang in LANGUAGES:
        labels = renderer.words(lang).R
        assert [r for r in reasons if reason_parts(r, labels) is None] == [], lang


def test_reasons_in_each_language_and_unknown_ones_as_written():
    renderer = Renderer()
    reasons = ["emergency/gas: gas+smell", "urgent: unrecognised, danger words: 着火, 冒烟", "info/fire: past event",
               "urgent: needed today: 今天", "info: a question about how to", "negated: 着火", "danger over: 灭了",
               "not urgent: 不着急", "routine: nothing recognised, a person will read it"]
    zh = _history(renderer, "zh", [], reasons)
    assert ("分诊依据：紧急 · 燃气：燃气+气味；尽快处理 · 没认出问题，但有危险字眼：着火、冒烟；咨询/留言 · 火情：已经过去的事；"
            "尽快处理 · 今天就要：今天；咨询/留言 · 询问怎么办；排除：着火；危险已过：灭了；本人说不急：不着急；"
            "一般 · 没认出问题，由工作人员阅读") in zh
    en = _history(renderer, "en", [], reasons)
    assert ("Triage: EMERGENCY · gas: gas + a smell; urgent · not recognised, but words of danger: 着火, 冒烟; "
            "information · fire: a past event; urgent · needed today: 今天; information · a question about how to; "
            "ruled out: 着火; danger over: 灭了; sender says not urgent: 不着急; "
            "routine · nothing recognised, a person will read it") in en
    # What this reader does not know is shown as the engine wrote it, never a crash.
    for odd in ("wibble: x", "soon/water: drip", "urgent: banana", "plain words"):
        assert f"分诊依据：{odd}\n" in _history(renderer, "zh", [], [odd]), odd
    assert "尽快处理 · 燃气：gas+banana" in _history(renderer, "zh", [], ["urgent/gas: gas+banana"])
    assert "分诊依据：无" in _history(renderer, "zh", [], [])


def test_event_details_in_each_language_old_rows_and_unknown_kinds():
    renderer = Renderer()
    events = [("alerted", "round 2: Zhang, Li"), ("alerted", "round 3: -"),
              ("triage_corrected", "routine/water -> urgent/water"), ("attachment", "photo"), ("rated", "5"),
              ("undeliverable", "alert to 7001: unreachable"), ("edited", "round 1: my own words -> here"),
              ("mystery", "a/b -> c/d"), ("triage_corrected", "soon/water -> urgent/water"), ("claimed", None)]
    zh = _history(renderer, "zh", events, [])
    for line in ("09:00 已通知 · 第2轮：Zhang、Li\n", "09:00 已通知 · 第3轮：无人值班\n",
                 "09:00 更正分诊 · 一般 · 用水 → 尽快处理 · 用水\n", "09:00 附件 · 照片\n", "09:00 评分 · ⭐⭐⭐⭐⭐\n",
                 "09:00 消息未送达 · 求助通知（发给 7001）联系不上\n", "09:00 修改了原话 · round 1: my own words -> here\n",
                 "09:00 mystery · a/b -> c/d\n", "09:00 更正分诊 · soon/water -> urgent/water\n", "09:00 接单\n"):
        assert line in zh + "\n", line
    en = _history(renderer, "en", events, [])
    for line in ("alerted · round 2: Zhang, Li\n", "alerted · round 3: nobody on duty\n",
                 "triage corrected · routine · water → urgent · water\n", "attachment · photo\n",
                 "not delivered · alert to 7001: unreachable\n", "mystery · a/b -> c/d\n"):
        assert line in en + "\n", line
