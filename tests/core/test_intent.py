"""Pure: places and names in people's words, and what a message means for the conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.core import Address, classify, clean_building, clean_name, clean_room, clean_unit, find_address, names_a_place
from bot.core.intent import Move, OpenTicket, decide, fits, kinds_of, read  # the module under test

DATA = Path(__file__).parents[1] / "data"


@pytest.mark.parametrize("text,address", [
    ("7号楼", Address("7")),
    ("my mother in 3-1-502 has no water", Address("3", "1", "502")),
    ("The lift in building 12 is stuck", Address("12")),
    ("5号楼2单元301", Address("5", "2", "301")),
    ("3栋502漏水了", Address("3", None, "502")),
    ("七号楼楼道灯坏了", Address("7")),
    ("B座3单元", Address("B", "3")),
    ("Building 3 unit 1 flat 201", Address("3", "1", "201")),
    ("在五楼", Address()),                        # a floor, not a building
    ("电话 138-0000-2222", Address()),            # a phone number is not a flat
    ("I fell 3 times this week", Address()),
])
def test_find_address(text, address):
    assert find_address(text) == address


@pytest.mark.parametrize("typed,building,unit,room", [
    ("5号楼号楼", "5", None, None), ("Building 12", "12", None, None), ("building Building 12", "12", None, None),
    ("七号楼", "7", None, None), ("B座", "B", None, None), ("2单元单元", None, "2", None), ("unit 2", None, "2", None),
    ("302室", None, None, "302"), ("room 302", None, None, "302"),
])
def test_clean_values(typed, building, unit, room):
    if building:
        assert clean_building(typed) == building
    if unit:
        assert clean_unit(typed) == unit
    if room:
        assert clean_room(typed) == room


@pytest.mark.parametrize("typed,name", [
    ("登记好了，我姓王，王秀兰！", "王秀兰"), ("My name is Tom Lee.", "Tom Lee"), ("我叫李建国", "李建国"),
    ("Li Xiuying", "Li Xiuying"), ("我姓王", "王"), ("你好", ""),
])
def test_clean_name(typed, name):
    assert clean_name(typed) == name


def test_places_that_are_not_flats():
    assert names_a_place("东门保安亭旁边") and names_a_place("next to the supermarket at the north gate")
    assert not names_a_place("我爸摔倒了起不来")


def test_intent_words():
    assert kinds_of("水来了，不用来了") >= {"cancel", "fixed"}
    assert "thanks" in kinds_of("好了好了，谢谢小张")
    assert kinds_of("你好") == {"greeting"}
    assert "more" in kinds_of("The smoke is getting worse")


WATER = OpenTicket(1, "claimed", "water")


def _decide(text, step=None, question=None, ticket=WATER, holding=False):
    return decide(read(text, classify(text)), step, question, ticket, holding)


def test_red_flags_are_never_an_answer():
    for step, question in (("ticket_address", None), ("rating_comment", None), ("profile", "name"),
                           ("profile", "phone"), ("language", None)):
        assert not fits(step, question, read("我爸摔倒了起不来", classify("我爸摔倒了起不来")))
        assert _decide("我爸摔倒了起不来", step, question) is Move.NEW
    assert _decide("I fell in the bathroom and can't get up", "rating_comment", ticket=None) is Move.NEW
    assert _decide("My father fell and can't get up", holding=True) is Move.NEW


def test_the_reported_breaks():
    assert _decide("The smoke is getting worse", "ticket_address",
                   ticket=OpenTicket(1, "open", "fire")) is Move.UPDATE
    assert _decide("快点来人啊！", "ticket_address", ticket=OpenTicket(1, "open", "fire")) is Move.UPDATE
    assert _decide("5号楼2单元301", "ticket_address") is Move.ANSWER
    assert _decide("好了好了，谢谢小张", ticket=OpenTicket(1, "resolved", "water")) is Move.CONFIRM
    assert _decide("水来了，不用来了") is Move.ASK_CANCEL
    assert _decide("取消") is Move.ASK_CANCEL
    assert _decide("我马上到，五分钟", ticket=None, holding=True) is Move.RELAY
    assert _decide("你好", ticket=None) is Move.GREETING
    for noted in ("收到", "好的，知道了", "明白了", "OK got it", "ok", "Noted.", "收到啦～", "好的好的", "ok ok"):  # the answer to a notice
        assert _decide(noted, ticket=None) is Move.NOTED, noted
    for more in ("没收到", "不明白", "收到了吗？", "not ok", "收到通知但是我家停电了", "知道了，5号楼电梯又坏了",
                 "收到快递了吗", "ok but when"):
        assert _decide(more, ticket=None) is not Move.NOTED, more
    assert _decide("还是不行，还在漏", ticket=OpenTicket(1, "resolved", "water")) is Move.NOT_FIXED
    assert _decide("楼道灯坏了") is Move.NEW                  # another problem: another ticket
    assert _decide("Quick and kind, thank you", "rating_comment", ticket=None) is Move.ANSWER
    assert _decide("登记好了，我姓王，王秀兰！", "profile", "name", ticket=None) is Move.ANSWER


EXPECTED = {"cancel": {Move.ASK_CANCEL}, "thanks": {Move.THANKS, Move.ASK_CANCEL}, "update": {Move.UPDATE},
            "greeting": {Move.GREETING}, "address": {Move.ANSWER}, "name": {Move.ANSWER}, "problem": {Move.NEW}}
OPEN = {"water": "厨房水管漏水", "light": "楼道灯坏了", "lift": "电梯坏了", "heating": "暖气不热"}


def _score(path: Path) -> tuple[int, int]:
    right = total = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        step, question = {"address": ("ticket_address", None), "name": ("profile", "name")}.get(row["intent"],
                                                                                               (None, None))
        ticket = OpenTicket(1, "claimed", classify(OPEN[row.get("open", "water")]).category)
        right += _decide(row["text"], step, question, ticket) in EXPECTED[row["intent"]]
        total += 1
    return right, total


@pytest.mark.parametrize("name,floor", [
    # written blind from the words; the rules were then tuned on it (first blind score 153/200)
    ("conversation_blind.jsonl", 0.95),
    # written blind afterwards and scored once before any change: 133/140
    ("conversation_heldout.jsonl", 0.93),
])
def test_labelled_conversation_sets(name, floor):
    right, total = _score(DATA / name)
    assert right / total >= floor, f"{right}/{total}"


@pytest.mark.parametrize("text,blank", [
    ("   ", True), ("\u200b\u200b", True), ("\u3000", True), ("\u3164", True), ("\u2800", True),
    ("\ufeff\u2060\u200d", True), ("\u0301", True), ("", True),
    (".", False), ("🆘", False), ("😊", False), ("a", False), ("é", False), ("好", False),
])
def test_blank_is_nothing_visible(text, blank):
    """Issue #15: a message that shows nothing is blank; a dot or an emoji is something said."""
    from bot.core.intent import is_blank
    assert is_blank(text) is blank
