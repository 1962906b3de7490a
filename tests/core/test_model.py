"""The learned second opinion: it reads weights in pure Python, it can only raise, and
`frontdesk triage train` reproduces a model from labelled files."""

from __future__ import annotations

import io
import json
import time

from bot.core import Engine, Triage, load_lexicon
from bot.core.triage.model import Head, Model, default_model, features, load_model, long_enough, second_opinion


def _model(p_emergency_bias: float) -> Model:
    """A toy model whose opinion is set by its biases alone."""
    urgency = Head(("emergency", "info", "routine", "urgent"), (p_emergency_bias, 0.0, 0.0, 0.0), {})
    category = Head(("medical", "admin"), (1.0, 0.0), {})
    return Model(urgency, category, raise_to_emergency=0.2, ask_from=0.1, raise_to_urgent=0.6, overrule=0.5,
                 ask_when_named=0.3)


LONG = "我家老人一直不太对劲，我也说不上来哪里不对"


def test_addresses_are_not_features():
    assert features("5号楼2单元301") == {}
    assert features("building 12 unit 3 flat 402") == {}


def test_the_model_only_raises_and_never_lowers_a_red_flag():
    red = Triage("emergency", "fire", ("emergency/fire: 着火",))
    assert second_opinion(red, _model(-9.0), LONG) is red
    routine = Triage("routine", "admin", ("routine: nothing recognised, a person will read it",))
    raised = second_opinion(routine, _model(9.0), LONG)
    assert raised.urgency == "emergency" and raised.category == "medical"
    assert second_opinion(routine, _model(-9.0), LONG).urgency in ("routine", "urgent")


def test_a_verdict_on_recognised_words_needs_much_more_to_overrule():
    named = Triage("urgent", "lift", ("urgent/lift: lift+shaky",))
    maybe = _model(0.5)  # P(emergency) about 0.45: enough for words the engine did not know, not to overrule
    assert second_opinion(named, maybe, LONG).urgency == "urgent"
    assert second_opinion(named, maybe, LONG).unsure
    unknown = Triage("routine", "admin", ("routine: nothing recognised, a person will read it",))
    assert second_opinion(unknown, maybe, LONG).urgency == "emergency"
    fair = _model(1.6)  # about 0.62: enough to overrule a routine word, not an urgent problem it knows
    routine = Triage("routine", "lift", ("routine/lift: lift+broken",))
    assert second_opinion(routine, fair, LONG).urgency == "emergency"
    assert second_opinion(named, fair, LONG).urgency == "urgent"
    assert second_opinion(named, _model(4.0), LONG).urgency == "emergency"  # about 0.95


def test_a_raise_past_a_routine_word_takes_the_model_s_category_when_it_is_sure():
    washing = Triage("routine", "care", ("routine/care: 洗澡",))
    raised = second_opinion(washing, _model(1.6), LONG)
    assert raised.urgency == "emergency" and raised.category == "medical"


def test_short_messages_are_left_to_the_engine():
    assert not long_enough("在吗") and not long_enough("Li Xiuying") and not long_enough("5号楼2单元301")
    unknown = Triage("routine", "admin", ("routine: nothing recognised, a person will read it",))
    assert second_opinion(unknown, _model(9.0), "在吗") is unknown


def test_the_shipped_model_loads_offline_and_fast():
    started = time.perf_counter()
    model = load_model(None)
    engine = Engine(load_lexicon(), model)
    engine.classify("warm up")
    assert model is not None and time.perf_counter() - started < 1.0
    assert default_model() is not None and 0 < model.ask_from < model.raise_to_emergency < 1


def test_training_is_reproducible(tmp_path):
    from bot.devtools.triage_train import train

    rows = [{"text": t, "lang": "en", "urgency": u, "category": c} for t, u, c in [
        ("my father collapsed and is not breathing", "emergency", "medical"),
        ("she collapsed in the kitchen not breathing", "emergency", "medical"),
        ("fire and thick smoke in the stairwell", "emergency", "fire"),
        ("smoke and fire coming from the flat", "emergency", "fire"),
        ("the corridor light is broken again", "routine", "infrastructure"),
        ("corridor light broken on floor three", "routine", "infrastructure"),
        ("no water in the flat since this morning", "urgent", "water"),
        ("no water at home since this morning", "urgent", "water"),
        ("what time does the office open", "info", "admin"),
        ("when does the office open tomorrow", "info", "admin"),
    ]]
    data = tmp_path / "tiny.jsonl"
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    train([data], io.StringIO(), first, folds=1)
    train([data], io.StringIO(), second, folds=1)
    assert first.read_text() == second.read_text()
    model = load_model(first)
    assert model is not None
    assert model.opinion("my mother collapsed and is not breathing").urgency["emergency"] > 0.25


def test_a_short_text_needs_the_bar_of_a_known_problem():
    unknown = Triage("routine", "admin", ("routine: nothing recognised, a person will read it",))
    fair = _model(0.5)  # about 0.35: raises a long text nobody could read, not five words
    assert second_opinion(unknown, fair, "I am on my way now").urgency == "routine"
    assert second_opinion(unknown, fair, LONG).urgency == "emergency"


def test_the_sender_s_own_it_is_over_is_asked_about_not_overruled():
    over = Triage("info", "fire", ("info/fire: over", "danger over: fire is out"))
    doubt = _model(1.6)  # about 0.62: would raise a plain info reading
    verdict = second_opinion(over, doubt, LONG)
    assert verdict.urgency == "info" and verdict.unsure  # the desk asks "is someone in danger?"
    assert second_opinion(over, _model(4.0), LONG).urgency == "emergency"  # sure enough still raises


def test_an_info_reading_raised_to_urgent_takes_the_need_the_model_sees():
    info = Triage("info", "admin", ("info: no problem named",))
    urgent = Model(Head(("emergency", "info", "routine", "urgent"), (0.0, 0.0, 0.0, 4.0), {}),
                   Head(("medical", "admin"), (1.0, 0.0), {}), raise_to_emergency=0.2, ask_from=0.1,
                   raise_to_urgent=0.6, overrule=0.5, ask_when_named=0.3)
    raised = second_opinion(info, urgent, LONG)  # P(urgent) about 0.95, P(emergency) under 0.02
    assert raised.urgency == "urgent" and raised.category == "medical"  # the stub model's category
