"""Places and names in people's words: "7号楼", "building 12", "my mother in 3-1-502", "我姓王，王秀兰".

Pure: text in, clean values out. A building, unit or room is stored as its number or name
without its label ("5号楼" -> "5", "Building 12" -> "12"); templates add the label once, in
the reader's language. Building names are compared in this clean form everywhere (imports,
registration, tickets), so "7号楼", "7栋" and "building 7" are the same building.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9}
_CN_NUMBER = "[零〇一二两三四五六七八九十百]+"
_ID = rf"(?:\d{{1,4}}|[a-z]\d{{0,3}}|{_CN_NUMBER})"  # 12, B, b2, 十二

# Chinese: 7号楼, 7栋, 7幢, B座, 十二号楼; 2单元, 2门; 301室, 301号, 301房
_ZH_BUILDING = re.compile(rf"({_ID})\s*(?:号楼|号樓|栋|棟|幢|座|号院)")  # not 楼 alone: 5楼 is a floor
_ZH_UNIT = re.compile(rf"({_ID})\s*(?:单元|單元|门洞|号门)")
_ZH_ROOM = re.compile(r"(\d{2,5})\s*(?:室|号房|房间|房|户|号(?!楼|院|门))")
_ZH_ROOM_AFTER_UNIT = re.compile(r"(?:单元|單元)\s*(\d{3,5})(?!\d)")
# English: building 12, bldg 7, block B, blk 3; unit 2, entrance 1; room 302, flat 302, apt 5b
_EN_BUILDING = re.compile(r"\b(?:building|bldg|bld|block|blk|tower)\.?\s*(?:no\.?|number|#)?\s*([a-z]?\d{1,4}|[a-z])\b")
_EN_UNIT = re.compile(r"\b(?:unit|entrance|stairwell)\s*(?:no\.?|#)?\s*([a-z]?\d{1,2}|[a-z])\b")
_EN_ROOM = re.compile(r"\b(?:room|flat|apt|apartment|rm|no\.)\s*(?:no\.?|#)?\s*(\d{1,5}[a-z]?)\b")
# 3-1-502 (building-unit-room) and 3-502 / 3栋502 (building-room); not part of a longer number
_TRIPLE = re.compile(r"(?<![\d-])(\d{1,3})\s*[-－—/]\s*(\d{1,2})\s*[-－—/]\s*(\d{2,5})(?![\d-])")
_PAIR = re.compile(r"(?<![\d-])(\d{1,3})\s*[-－—]\s*(\d{3,4})(?![\d-])")

# Words for a place that is not a flat: "东门保安亭旁边", "next to the supermarket".
PLACE_WORDS = (
    "门口", "楼下", "楼上", "楼道", "楼梯", "小区", "院里", "大门", "东门", "西门", "南门", "北门", "旁边", "对面",
    "附近", "车库", "停车场", "广场", "花园", "公园", "超市", "路口", "路", "街", "巷", "弄", "胡同", "号院", "保安亭",
    "岗亭", "垃圾站", "菜市场", "幼儿园", "学校", "医院", "卫生站", "居委会", "社区", "地下室", "天台", "楼顶",
    " gate", "near ", "next to", "opposite", "outside", "behind", "in front of", "road", "street", " lane",
    "park", "garage", "car park", "parking", "entrance", "lobby", "corner", "supermarket", "market", "courtyard",
    "basement", "rooftop", "stairwell", "playground", "school", "clinic",
)


@dataclass(frozen=True)
class Address:
    """A place named in a message; any part may be missing."""

    building: str | None = None
    unit: str | None = None
    room: str | None = None

    def __bool__(self) -> bool:
        return bool(self.building or self.unit or self.room)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


def _cn_number(word: str) -> str:
    """十二 -> 12, 七 -> 7, 二十 -> 20; anything else unchanged."""
    if not word or any(ch not in _CN_DIGITS and ch not in "十百" for ch in word):
        return word
    if "百" in word:
        return word
    if "十" in word:
        tens, _, ones = word.partition("十")
        return str((_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0))
    return "".join(str(_CN_DIGITS[ch]) for ch in word)


def _clean_id(word: str | None) -> str | None:
    if not word:
        return None
    word = _cn_number(word.strip())
    word = word.lstrip("0") or word if word.isdigit() else word
    return word.upper() if word.isalpha() or (word[:1].isalpha() and word[1:].isdigit()) else word


def find_address(text: str) -> Address:
    """The building, unit and room a message names (empty Address if none)."""
    folded = _fold(text)
    triple = _TRIPLE.search(folded)
    if triple:
        return Address(*(_clean_id(g) for g in triple.groups()))
    building = _ZH_BUILDING.search(folded) or _EN_BUILDING.search(folded)
    unit = _ZH_UNIT.search(folded) or _EN_UNIT.search(folded)
    room = _ZH_ROOM_AFTER_UNIT.search(folded) or _ZH_ROOM.search(folded) or _EN_ROOM.search(folded)
    if building and not room:
        # 3栋502: a number straight after the building is the flat
        rest = re.match(r"\s*(\d{3,5})(?!\d)", folded[building.end():])
        room_value = rest.group(1) if rest else None
    else:
        room_value = room.group(1) if room else None
    if not (building or unit or room_value):
        pair = _PAIR.search(folded)
        if pair:
            return Address(_clean_id(pair.group(1)), None, _clean_id(pair.group(2)))
    return Address(
        _clean_id(building.group(1)) if building else None,
        _clean_id(unit.group(1)) if unit else None,
        _clean_id(room_value),
    )


def names_a_place(text: str) -> bool:
    """Does this read like an answer to "where are you?": a flat, or a landmark."""
    folded = " " + _fold(text) + " "
    return bool(find_address(text)) or any(word in folded for word in PLACE_WORDS)


def _strip_labels(text: str, labels: str) -> str:
    """"2单元单元" -> "2": a label typed by the person and again by habit."""
    return re.sub(rf"(?:\s*(?:{labels}))+$", "", text).strip()


def _bare_id(text: str, prefixes: str, labels: str) -> str | None:
    """An answer without its leading word ("unit 2", "第2") and trailing labels ("2单元")."""
    bare = re.sub(rf"^(?:{prefixes})\s*", "", _fold(text).strip())
    bare = _strip_labels(bare, labels)
    return _clean_id(bare) if bare else None


def clean_building(text: str | None) -> str | None:
    """What a person typed for "which building?" -> the building's number or name."""
    if text is None or not text.strip():
        return None
    return find_address(text).building or _bare_id(text, r"building|bldg|block|blk|no\.?|#|第",
                                                   r"号楼|號樓|号|栋|棟|幢|座|楼")


def clean_unit(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return _bare_id(text, r"unit|entrance|no\.?|#|第", r"单元|單元|门|號|号")


def clean_room(text: str | None) -> str | None:
    if text is None or not text.strip():
        return None
    return _bare_id(text, r"room|flat|apt|apartment|rm|no\.?|#", r"室|号房|房间|房|户|號|号")


_NAME_PREFIX = re.compile(
    r"^(?:我的名字是|我的名字叫|名字是|名字叫|我叫做|我叫|我是|本人是|本人|叫我|姓名是|姓名[:：]?|"
    r"my name is|my name's|name is|name[:：]|i am|i'm|im|this is|it's|call me)\s*",
    re.IGNORECASE,
)
_NAME_FILLER = re.compile(
    r"^(?:登记好了|登记|好的|好了|好|嗯|你好|您好|谢谢|ok|okay|hi|hello|hey|thanks|yes|sure)$", re.IGNORECASE
)
_SURNAME_ONLY = re.compile(r"^(?:我)?姓(.{1,2})$")


def clean_name(text: str) -> str:
    """"登记好了，我姓王，王秀兰！" -> "王秀兰"; "My name is Tom Lee." -> "Tom Lee"."""
    parts = [p.strip() for p in re.split(r"[，,。.!！?？;；、~～\n]+", unicodedata.normalize("NFKC", text))]
    surname = None
    names = []
    for part in parts:
        part = _NAME_PREFIX.sub("", part).strip().strip("'\"“”「」")
        if not part or _NAME_FILLER.match(part):
            continue
        only = _SURNAME_ONLY.match(part)
        if only:
            surname = only.group(1)
            continue
        names.append(part)
    if names:
        return names[-1][:40]
    return surname or ""  # only greetings and filler: not a name
