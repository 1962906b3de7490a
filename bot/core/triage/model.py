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
from functools import lru_cache
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


@dataclass(frozen=True)
class Opinion:
    urgency: dict[str, float]       # probability of each urgency
    category: str                   # the most likely category
    category_p: float

    @property
    def at_least_urgent(self) -> float:
        return self.urgency.get("urgent", 0.0) + self.urgency.get("emergency", 0.0)


@dataclass(frozen=True)
class Model:
    urgency: Head
    category: Head
    raise_to_emergency: float       # P(emergency) from which the model raises a verdict to emergency
    ask_from: float                 # P(emergency) from which the desk asks "is someone in danger?"
    raise_to_urgent: float          # P(urgent or worse) from which routine/info becomes urgent

    def opinion(self, text: str) -> Opinion:
        feats = features(text)
        urgency = self.urgency.probabilities(feats)
        categories = self.category.probabilities(feats)
        best = max(categories, key=categories.__getitem__)
        return Opinion(urgency, best, categories[best])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Model":
        def head(raw: dict[str, Any]) -> Head:
            return Head(tuple(raw["classes"]), tuple(raw["bias"]),
                        {name: tuple(row) for name, row in raw["weights"].items()})

        t = data["thresholds"]
        return cls(head(data["urgency"]), head(data["category"]), t["raise_to_emergency"], t["ask_from"],
                   t["raise_to_urgent"])


MODEL_FILE = "model.json"
OVERRULE = 0.9  # the model's confidence needed to raise a verdict the engine reached on recognised words
# Below this the model has too little to go on ("在吗", a name, "help"): the engine and the desk's
# question decide alone.
MIN_HAN, MIN_WORDS = 8, 5
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def long_enough(text: str) -> bool:
    han, latin = normalize(text[:2000])
    chinese = _CHINESE.findall(_PLACE.sub("", han))
    return len(chinese) >= MIN_HAN or len(_PLACE.sub(" ", latin).split()) >= MIN_WORDS


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


def second_opinion(verdict: "Triage", model: Model | None, text: str) -> "Triage":
    """The engine's verdict, raised where the model is confident it is worse, and marked
    `unsure` where the two disagree about danger. A red flag is never lowered."""
    if model is None or verdict.urgency == "emergency" or not long_enough(text):
        return verdict
    opinion = model.opinion(text)
    p = opinion.urgency.get("emergency", 0.0)
    # Where the engine recognised the problem, the model must be much surer to overrule it; a
    # serious disagreement about danger becomes a question for the resident ("is someone in danger?").
    named = verdict.names_a_problem or verdict.urgency == "info"  # info: the engine read a question or "it's over"
    to_emergency = model.raise_to_emergency if not named else max(model.raise_to_emergency, OVERRULE)
    to_urgent = model.raise_to_urgent if not named else max(model.raise_to_urgent, OVERRULE)
    category = verdict.category if named else opinion.category
    if p >= to_emergency:
        return replace(verdict, urgency="emergency", category=category,
                       reasons=(f"emergency/{category}: model {p:.2f}",) + verdict.reasons, unsure=False)
    unsure = verdict.unsure or p >= (model.ask_from if not named else model.raise_to_emergency)
    if RANK[verdict.urgency] < RANK["urgent"] and opinion.at_least_urgent >= to_urgent:
        return replace(verdict, urgency="urgent", category=category, unsure=unsure,
                       reasons=(f"urgent/{category}: model {opinion.at_least_urgent:.2f}",) + verdict.reasons)
    return replace(verdict, unsure=unsure) if unsure != verdict.unsure else verdict
