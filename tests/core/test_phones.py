"""Phone numbers by the book, and what a given number may link (bot/core/phones.py, identity.py)."""

from __future__ import annotations

import pytest

from bot.core import Stored, is_region, normalize_phone, renumber, split_contact
from bot.core.identity import Claim, Holder, Outcome, merged, phone_claim


@pytest.mark.parametrize("raw", ["010-6512 3456", "+86 10 6512 3456", "(010) 65123456", "0086 10 6512 3456",
                                 "010 6512 3456", "８６１０６５１２３４５６"])
def test_one_landline_written_every_way_is_one_key(raw):
    assert normalize_phone(raw) == "+861065123456"


@pytest.mark.parametrize("raw", ["13800001111", "138-0000-1111", "+86 138 0000 1111", "8613800001111",
                                 "008613800001111", "138 0000 1111 "])
def test_a_mobile_written_every_way_is_one_key(raw):
    assert normalize_phone(raw) == "+8613800001111"


@pytest.mark.parametrize("raw", ["123456", "", "   ", None, "hello", "1380000111", "+86 123", "00000000000"])
def test_what_is_not_a_valid_number_is_refused(raw):
    assert normalize_phone(raw) is None


def test_the_region_reads_a_number_without_its_country_code():
    assert normalize_phone("020 7946 0018", "GB") == "+442079460018"
    assert normalize_phone("020 7946 0018", "CN") != "+442079460018"
    assert is_region("CN") and is_region("HK") and not is_region("XX")


def test_the_region_is_a_setting_checked_at_start():
    from bot.config import ConfigError, load_settings

    assert load_settings(telegram_bot_token="1:T", phone_region="hk").phone_region == "HK"
    assert load_settings(telegram_bot_token="1:T").phone_region == "CN"
    with pytest.raises(ConfigError, match="PHONE_REGION"):
        load_settings(telegram_bot_token="1:T", phone_region="XX")


def test_a_telegram_contact_is_international_even_without_its_plus():
    # a US number shared from Telegram looks like a Chinese mobile to the region-only reading
    assert normalize_phone("16502530000", "CN") == "+8616502530000"
    assert normalize_phone("16502530000", "CN", international=True) == "+16502530000"
    assert normalize_phone("8613800001111", "CN", international=True) == "+8613800001111"
    # a client that sent the national form still works
    assert normalize_phone("13800001111", "CN", international=True) == "+8613800001111"


@pytest.mark.parametrize("text, expected", [
    ("Li Ming 13900002222", ("Li Ming", "+8613900002222")),
    ("李明13900002222", ("李明", "+8613900002222")),
    ("女儿 +86 139-0000-2222", ("女儿", "+8613900002222")),
    ("王强，电话：010-65123456", ("王强，电话", "+861065123456")),
    ("Li Ming 123456", ("Li Ming 123456", None)),
    ("none", ("none", None)),
])
def test_split_contact(text, expected):
    assert split_contact(text) == expected


def test_renumber_converts_and_reports_clashes_and_invalid_numbers():
    plan = renumber([
        Stored(1, "01065123456"),                 # the import's form
        Stored(2, "861065123456", linked=True),   # the same line from a contact, linked to Telegram
        Stored(3, "13800001111"),
        Stored(4, "123456"),
        Stored(5, "+8613900002222"),              # already converted
    ])
    assert plan.changes == {2: "+861065123456", 3: "+8613800001111"}
    assert [(c.phone, c.kept, c.other, c.other_phone) for c in plan.clashes] == [
        ("+861065123456", 2, 1, "01065123456")]
    assert [row.id for row in plan.invalid] == [4]


def test_renumber_keeps_the_oldest_when_none_is_linked_and_never_moves_a_converted_one():
    plan = renumber([Stored(7, "13800001111"), Stored(3, "138 0000 1111"), Stored(9, "+8613800001111")])
    assert plan.changes == {}
    assert sorted((c.kept, c.other) for c in plan.clashes) == [(9, 3), (9, 7)]
    plan = renumber([Stored(7, "13800001111"), Stored(3, "138 0000 1111")])
    assert plan.changes == {3: "+8613800001111"} and [(c.kept, c.other) for c in plan.clashes] == [(3, 7)]


ME, OTHER = 5100, 5001


@pytest.mark.parametrize("claim, holder, outcome", [
    (Claim.TYPED, None, Outcome.STORE),                                       # nobody has it
    (Claim.PROVEN, None, Outcome.STORE),
    (Claim.TYPED, Holder(10, ME, "typed"), Outcome.STORE),                    # their own, again
    (Claim.TYPED, Holder(1, None, "import"), Outcome.PENDING),                # an imported record: never linked
    (Claim.CARD, Holder(1, None, "import"), Outcome.PENDING),                 # somebody's card is no proof
    (Claim.PROVEN, Holder(1, None, "import"), Outcome.LINK),                  # Telegram's proof
    (Claim.TYPED, Holder(2, OTHER, "contact"), Outcome.PENDING),              # never tells it is taken
    (Claim.PROVEN, Holder(2, OTHER, "contact"), Outcome.REFUSED),             # proof against proof
    (Claim.PROVEN, Holder(2, OTHER, "import"), Outcome.REFUSED),              # proof against the committee
    (Claim.PROVEN, Holder(2, OTHER, "typed"), Outcome.TAKE_BACK),             # proof against a typed claim
    (Claim.TYPED, Holder(2, OTHER, "typed"), Outcome.PENDING),
])
def test_what_a_given_number_does(claim, holder, outcome):
    assert phone_claim(ME, 10, claim, holder) is outcome


def test_the_committees_record_keeps_what_it_knows_when_merged():
    record = {"name": "Zhao Min", "building": "7", "unit": "1", "room": "707", "grid": "G2", "phone": "+8613800002222",
              "birth_year": 1940, "emergency_contact_name": "Zhao Jun", "emergency_contact_phone": None}
    own = {"name": "Min", "building": "9", "unit": "3", "room": "303", "grid": "G1", "phone": None,
           "birth_year": None, "emergency_contact_name": "Li", "emergency_contact_phone": "+8613900002222"}
    assert merged(record, own) == {"emergency_contact_phone": "+8613900002222"}
    bare = {"name": "Zhao Min", "building": None, "unit": None, "room": None, "grid": None, "phone": None}
    assert merged(bare, {**own, "phone": "+8613800005555", "phone_source": "contact"}) == {
        "building": "9", "unit": "3", "room": "303", "grid": "G1", "phone": "+8613800005555",
        "phone_source": "contact", "emergency_contact_name": "Li", "emergency_contact_phone": "+8613900002222"}
