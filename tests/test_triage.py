"""Triage: the red-flag suite (CI fails on any miss) and the guide's hard cases."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.triage import CATEGORIES, URGENCIES, Engine, Entry, classify, load_lexicon

RED_FLAGS_ZH = [
    "我奶奶摔倒了起不来",
    "老伴摔到了，爬不起来",  # homophone slip 摔到
    "我爸叫不醒了",
    "邻居倒在楼道里没反应",
    "我妈喘不上气，嘴唇发紫",
    "老公胸口疼得厉害，出冷汗",
    "爷爷突然说话不清，嘴歪了",
    "孩子手割破了流血不止",
    "孩子误服了农药",
    "厨房着火了！",
    "楼道里全是浓烟",
    "好像有煤气味",  # uncertainty does not lower it
    "家里有股没气味",  # homophone slip 没气/煤气
    "電梯壞了，我被困在裡面",  # traditional characters
    "插座冒火花还有焦糊味",
    "我家孩子不见了，找了半小时",
    "有人拿刀在楼下砍人",
    "救命",
    "独居的王奶奶三天没出门，敲门没人应",
    "卫生间漏水，水流到插座那边了",
    "ＧＡＳ味很大",  # full-width letters fold to ASCII
    "楼上有人在打老婆，一直喊救命",
]
RED_FLAGS_EN = [
    "my grandma fell and can't get up",
    "Dad collapsed and is not responding",
    "my husband is not breathing",
    "Mum has crushing chest pain",
    "her face is drooping and her speech is slurred",
    "lots of blood, he cut his arm badly",
    "my son swallowed a battery",
    "FIRE IN THE KITCHEN!!!",
    "smoke coming from the flat next door",
    "I think I smell gas in the hallway",
    "we are trapped in the lift",
    "sparks and a burning smell from the socket",
    "my 6 year old is missing, can't find him anywhere",
    "someone is breaking in to my flat right now",
    "help me please",
    "my neighbour hasn't answered the door for 3 days",
    "water flooding near the fuse box",
    "fell in the shower 🚿 cant get up 😭",
    "no gas smell now but it was strong an hour ago",
    "my mother took too many pills, overdose",
]


@pytest.mark.parametrize("text", RED_FLAGS_ZH + RED_FLAGS_EN)
def test_red_flag_is_an_emergency(text: str) -> None:
    verdict = classify(text)
    assert verdict.urgency == "emergency", (text, verdict)


@pytest.mark.parametrize(
    "text, urgency, category",
    [
        # negation and past lower only when the danger is clearly over or absent
        ("火已经灭了，但是楼道墙被熏黑了", "routine", "sanitation"),
        ("Not urgent, the light in the corridor is out", "routine", "infrastructure"),
        ("前天走丢的那个孩子已经找到了", "info", "security"),
        ("The gas supply is off since this morning. No smell.", "urgent", "gas"),
        # a vulnerable person raises the level
        ("家里停水了", "urgent", "water"),
        ("The heating is a bit weak", "routine", "heating"),
        ("The heating is a bit weak and my mother is 88", "urgent", "heating"),
        # on behalf of someone else counts the same
        ("My neighbour Granny Li hasn't opened her door for two days", "emergency", "care"),
        ("隔壁老人摔倒了起不来", "emergency", "medical"),
        # info
        ("谢谢你们的志愿者", "info", "admin"),
        ("我很好", "info", "care"),
        ("fine thanks", "info", "care"),
        ("What time does the office open on Monday?", "info", "admin"),
        # routine
        ("楼下有人乱停车，挡住了我的车位", "routine", "dispute"),
        ("There is a pothole near the gate", "routine", "infrastructure"),
    ],
)
def test_guide_hard_cases(text: str, urgency: str, category: str) -> None:
    verdict = classify(text)
    assert (verdict.urgency, verdict.category) == (urgency, category), (text, verdict)


def test_language_and_reasons() -> None:
    verdict = classify("我家水管爆了，水漫到客厅了")
    assert verdict.lang == "zh" and verdict.urgency == "urgent" and verdict.category == "water"
    assert verdict.reasons and "水管爆" in verdict.reasons[0]
    assert classify("Hi 你好, my kid's school wants a 居住证明 from the community").lang == "en"
    assert classify("").urgency in URGENCIES


def test_every_verdict_uses_known_labels() -> None:
    for text in RED_FLAGS_ZH + RED_FLAGS_EN + ["", "🙂", "a" * 4000, "？？？"]:
        verdict = classify(text)
        assert verdict.urgency in URGENCIES and verdict.category in CATEGORIES


def test_the_lexicon_is_data_a_committee_can_extend() -> None:
    base = load_lexicon()
    assert classify("小区后门的拴马桩倒了").urgency != "emergency"
    extended = Engine(base.with_entries([Entry("zh", "拴马桩倒了", "problem", "emergency", "infrastructure")]))
    verdict = extended.classify("小区后门的拴马桩倒了")
    assert (verdict.urgency, verdict.category) == ("emergency", "infrastructure")
    with pytest.raises(ValueError):
        Engine(base.with_entries([Entry("zh", "x", "problem", "panic", "infrastructure")]))


def test_it_is_fast() -> None:
    # a smoke check, not a benchmark (bench/ measures); generous so a busy CI never flakes
    texts = RED_FLAGS_ZH + RED_FLAGS_EN
    started = time.perf_counter()
    for _ in range(10):
        for text in texts:
            classify(text + " ")
    assert (time.perf_counter() - started) / (10 * len(texts)) < 0.02


def test_dev_set_targets_hold_if_present() -> None:
    """The shared dev set, when it sits beside the repository (as in CI)."""
    path = Path(__file__).resolve().parents[2] / "shared" / "triage" / "dev.jsonl"
    if not path.exists():
        pytest.skip("../shared/triage/dev.jsonl is not here")
    import io

    from bot.triage.evaluate import evaluate

    metrics = evaluate(path, io.StringIO())
    assert metrics["emergency_recall"] >= 0.98
    assert metrics["emergency_precision"] >= 0.80
