"""The pure core: functions of their inputs and a time. No Telegram, no database, no clock of its own.

triage (words to urgency and category), intent (what a message means for the conversation),
address (places and names in people's words), lifecycle (the ticket state machine), roster
(who is on duty), escalation (the chain of steps while nobody claims), ratelimit (Telegram's flood
limits), phones (numbers by the book, E.164), identity (what a given phone number may link), throttle
(one person's flood), followup (after the claim: the claimant's ack reminder and the way back to the pool), periods
(the spans of time an admin names: 7d, 30d, month), stats (/stats and the weekly report: the summary's
numbers, comments without personal details, the weekly schedule), duplicates (is a new request a
building's problem already reported).
"""

from bot.core import checkins, duplicates, escalation, followup, identity, intent, lifecycle, periods, throttle
from bot.core import stats
from bot.core.address import Address, clean_building, clean_name, clean_room, clean_unit, find_address, names_a_place
from bot.core.phones import DEFAULT_REGION, Stored, is_region, normalize_phone, renumber, split_contact
from bot.core.ratelimit import FloodControl, Limits, SlidingWindow
from bot.core.roster import Member, can_act_for_grid, not_off, on_duty
from bot.core.triage import (
    CATEGORIES, DANGER_FLOOR, RANK, URGENCIES, Engine, Entry, Lexicon, Triage, classify, default_engine, detect_language, load_lexicon
)

__all__ = [
    "CATEGORIES", "DANGER_FLOOR", "DEFAULT_REGION", "RANK", "URGENCIES", "Address", "Engine", "Entry", "FloodControl", "Lexicon",
    "Limits", "Member", "checkins", "duplicates", "escalation", "followup",
    "SlidingWindow", "Stored", "Triage", "can_act_for_grid", "classify", "clean_building", "clean_name", "clean_room",
    "clean_unit", "default_engine", "detect_language", "find_address", "identity", "intent", "is_region",
    "lifecycle", "load_lexicon", "periods", "names_a_place", "normalize_phone", "not_off", "on_duty", "renumber", "split_contact", "throttle",
    "stats",
]
