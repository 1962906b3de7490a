"""A learned second opinion: logistic regression over character and word n-grams.

Trained offline by `frontdesk triage train` (scikit-learn, bot/devtools/triage_train.py) on the
labelled data kept in the repository; shipped as plain weights (model.json) and read here in
pure Python, so start-up needs no scikit-learn and no download. The model can only **raise**
the lexicon engine's verdict (see `second_opinion`), never lower it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.core.triage.lexicon import RANK
from bot.core.triage.normalize import normalize

if TYPE_CHECKING:
    from bot.core.triage.engine import Triage



# Where something is says nothing about how bad it is: numbers and address words are not features
# (otherwise "5号楼2单元301", an answer to "where are you?", reads like the emergencies that named it).
_PLACE = re.compile(r"\d+|号楼|单元|号|室|栋|楼|层|building|block|unit|flat|room|floor|apt")


def features(text: str) -> dict[str, float]:
    """Binary n-grams, L2-normalised: Chinese characters 1-3, English words 1-2 and the
    letters 3-5 inside them (so "breathin" and "breathing" share most of their features)."""
    han, latin = normalize(text[:2000])
    han, latin = _PLACE.sub("", han), " ".join(_PLACE.sub(" ", latin).split())
    grams: set[str] = set()
    for n in (1, 2, 3):
        grams.update("h" + han[i:i + n] for i in range(len(han) - n + 1))
    words = latin.split()
    grams.update("w" + w for w in words)
    grams.update("b" + a + " " + b for a, b in zip(words, words[1:]))
    for word in words:
        padded = f" {word} "
        for n in (3, 4, 5):
            grams.update("c" + padded[i:i + n] for i in range(len(padded) - n + 1))
    if not grams:
        return {}
    weight = 1.0 / math.sqrt(len(grams))
    return {g: weight for g in grams}


@dataclass(frozen=True)
class Head:
    """One multinomial logistic regression: classes, bias and per-feature weights."""

    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]

    def probabilities(self, feats: dict[str, float]) -> dict[str, float]:
        scores = list(self.bias)
        for name, value in feats.items():
            row = self.weights.get(name)
            if row is not None:
                for k, w in enumerate(row):
                    scores[k] += w * value
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}


class Opinion:
    """The model's reading of one text: the urgency at once, the category only when it is asked
    for (it is needed only when the model raises a verdict, so most messages never pay for it)."""

    def __init__(self, model: "Model", feats: dict[str, float]) -> None:
        self.urgency = model.urgency.probabilities(feats)
        self._model, self._feats = model, feats

    @property
    def at_least_urgent(self) -> float:
        return self.urgency.get("urgent", 0.0) + self.urgency.get("emergency", 0.0)

    @cached_property
    def _categories(self) -> dict[str, float]:
        return self._model.category.probabilities(self._feats)

    @property
    def category(self) -> str:
        return max(self._categories, key=self._categories.__getitem__)

    @property
    def category_p(self) -> float:
        return self._categories[self.category]


@dataclass(frozen=True)
class Model:
    urgency: Head
    category: Head
    # The bars (probabilities) at which the model acts; see THRESHOLDS in triage_train for how they
    # were chosen. Where the engine recognised the problem, or the text is short, it must be surer.
    raise_to_emergency: float       # P(emergency) to raise what the engine could not read
    ask_from: float                 # P(emergency) to ask "is someone hurt or in danger right now?"
    raise_to_urgent: float          # P(urgent or worse) to raise routine/info to urgent
    overrule: float = 0.5           # P(emergency) to raise a routine problem it knows, or a short text
    overrule_urgent: float = 0.9    # P(emergency) to raise an urgent problem it knows
    overrule_to_urgent: float = 0.9  # P(urgent or worse) to raise a routine problem it knows
    ask_when_named: float = 0.3     # P(emergency) to ask about a problem it knows, or a short text

    def opinion(self, text: str) -> Opinion:
        return Opinion(self, features(text))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Model":
        def head(raw: dict[str, Any]) -> Head:
            return Head(tuple(raw["classes"]), tuple(raw["bias"]),
                        {name: tuple(row) for name, row in raw["weights"].items()})

        return cls(head(data["urgency"]), head(data["category"]), **data["thresholds"])


MODEL_FILE = "model.json"
CATEGORY_SURE = 0.6  # the model's confidence in its category to rename a routine reading it raised
SHORT = 2.0  # under 16 Chinese characters or 10 words: a few features ("I'm on my way"), a higher bar
# Below this the model has too little to go on ("在吗", a name, "help"): the engine and the desk's
# question decide alone.
MIN_HAN, MIN_WORDS = 8, 5
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def length(text: str) -> float:
    """How much the model has to go on, in units of the shortest text it may judge (1.0)."""
    han, latin = normalize(text[:2000])
    chinese = _CHINESE.findall(_PLACE.sub("", han))
    return max(len(chinese) / MIN_HAN, len(_PLACE.sub(" ", latin).split()) / MIN_WORDS)


def long_enough(text: str) -> bool:
    return length(text) >= 1.0


def load_model(path: Path | None = None) -> Model | None:
    """The shipped model, or None when there is none (the engine then works alone)."""
    if path is None:
        entry = resources.files("bot.core.triage").joinpath(MODEL_FILE)
        if not entry.is_file():
            return None
        return Model.from_json(json.loads(entry.read_text(encoding="utf-8")))
    return Model.from_json(json.loads(path.read_text(encoding="utf-8"))) if path.exists() else None


@lru_cache(maxsize=1)
def default_model() -> Model | None:
    return load_model()


def _said_over(verdict: "Triage") -> bool:
    return any(reason.startswith("danger over") for reason in verdict.reasons)


def second_opinion(verdict: "Triage", model: Model | None, text: str) -> "Triage":
    """The engine's verdict, raised where the model is confident it is worse, and marked
    `unsure` where the two disagree about danger. A red flag is never lowered."""
    size = length(text) if model is not None and verdict.urgency != "emergency" else 0.0
    if size < 1.0:
        return verdict
    opinion = model.opinion(text)
    p = opinion.urgency.get("emergency", 0.0)
    # Where the engine recognised the problem, or the text is short, the model must be surer to
    # overrule it; a disagreement about danger becomes a question ("is someone in danger?").
    named = verdict.names_a_problem or verdict.urgency == "info"  # info: the engine read a question or "it's over"
    careful = named or size < SHORT
    to_emergency = max(model.raise_to_emergency, model.overrule) if careful else model.raise_to_emergency
    if (verdict.urgency == "urgent" and verdict.names_a_problem) or _said_over(verdict):
        # ...and surer still to overrule a named urgent problem, or the sender's own "it's out":
        # a bag of words cannot read "the fire is out"; a doubt becomes the question instead
        to_emergency = max(to_emergency, model.overrule_urgent)
    to_urgent = max(model.raise_to_urgent, model.overrule_to_urgent) if named else model.raise_to_urgent
    ask = model.ask_when_named if careful else model.ask_from
    if p >= to_emergency:
        category = verdict.category if named else opinion.category
        # Raised past a routine reading ("washing" when he collapsed in the shower): the model's own
        # category, when it is sure of it, names the danger better than the word that was routine.
        if RANK[verdict.urgency] < RANK["urgent"] and opinion.category_p >= CATEGORY_SURE:
            category = opinion.category
        return replace(verdict, urgency="emergency", category=category,
                       reasons=(f"emergency/{category}: model {p:.2f}",) + verdict.reasons, unsure=False)
    unsure = verdict.unsure or p >= ask
    if RANK[verdict.urgency] < RANK["urgent"] and opinion.at_least_urgent >= to_urgent:
        category = verdict.category if named else opinion.category
        if verdict.urgency == "info" and opinion.category_p >= CATEGORY_SURE:
            # an info reading's category is a topic's, or "admin" for none: the need the model
            # sees (groceries for a housebound grandmother) names who must act
            category = opinion.category
        return replace(verdict, urgency="urgent", category=category, unsure=unsure,
                       reasons=(f"urgent/{category}: model {opinion.at_least_urgent:.2f}",) + verdict.reasons)
    return replace(verdict, unsure=unsure) if unsure != verdict.unsure else verdict
