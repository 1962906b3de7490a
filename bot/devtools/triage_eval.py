"""Measure the classifier on a labelled JSON Lines file (the format of ../shared/triage)."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from bot.core import CATEGORIES, URGENCIES, Engine, load_lexicon
from bot.core.triage.model import load_model


def _f1(labels: tuple[str, ...], pairs: list[tuple[str, str]]) -> tuple[dict[str, tuple[float, float, float]], float]:
    scores = {}
    for label in labels:
        tp = sum(1 for gold, pred in pairs if gold == label and pred == label)
        fp = sum(1 for gold, pred in pairs if gold != label and pred == label)
        fn = sum(1 for gold, pred in pairs if gold == label and pred != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        scores[label] = (precision, recall, f1)
    present = [label for label in labels if any(gold == label for gold, _ in pairs)]
    macro = sum(scores[label][2] for label in present) / len(present) if present else 0.0
    return scores, macro


def evaluate(path: Path, out: TextIO, engine: Engine | None = None) -> dict[str, float]:
    started = time.perf_counter()
    engine = engine or Engine(load_lexicon(), load_model())  # built here so start-up is measured, not cached
    engine.classify("warm up")
    startup = time.perf_counter() - started
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    results, latencies = [], []
    for row in rows:
        t0 = time.perf_counter()
        verdict = engine.classify(row["text"])
        latencies.append(time.perf_counter() - t0)
        results.append((row, verdict))

    urgency_pairs = [(row["urgency"], v.urgency) for row, v in results]
    scores, urgency_macro = _f1(URGENCIES, urgency_pairs)
    emergency_p, emergency_r, _ = scores["emergency"]
    actionable = [(row["category"], v.category) for row, v in results if row["urgency"] != "info"]
    all_categories = [(row["category"], v.category) for row, v in results]
    category_accuracy = sum(g == p for g, p in actionable) / len(actionable) if actionable else 0.0
    category_accuracy_all = sum(g == p for g, p in all_categories) / len(all_categories)
    _, category_macro = _f1(CATEGORIES, actionable)
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000

    w = out.write
    w(f"messages: {len(rows)}\n")
    w(f"emergency recall {emergency_r:.3f}  precision {emergency_p:.3f}\n")
    w(f"urgency macro-F1 {urgency_macro:.3f}  accuracy {sum(g == p for g, p in urgency_pairs) / len(rows):.3f}\n")
    for label in URGENCIES:
        p, r, f = scores[label]
        w(f"  {label:<10} P {p:.3f}  R {r:.3f}  F1 {f:.3f}\n")
    w("confusion (rows gold, columns predicted):\n")
    w("  " + " " * 10 + "".join(f"{label[:9]:>10}" for label in URGENCIES) + "\n")
    counts = Counter(urgency_pairs)
    for gold in URGENCIES:
        w(f"  {gold:<10}" + "".join(f"{counts[(gold, pred)]:>10}" for pred in URGENCIES) + "\n")
    w(f"category accuracy (actionable) {category_accuracy:.3f}  macro-F1 {category_macro:.3f}  "
      f"accuracy (all) {category_accuracy_all:.3f}\n")
    for lang in ("zh", "en"):
        sub = [(row, v) for row, v in results if row.get("lang") == lang]
        if not sub:
            continue
        _, macro = _f1(URGENCIES, [(row["urgency"], v.urgency) for row, v in sub])
        act = [(row, v) for row, v in sub if row["urgency"] != "info"]
        cat = sum(row["category"] == v.category for row, v in act) / len(act) if act else 0.0
        emg = [v.urgency == "emergency" for row, v in sub if row["urgency"] == "emergency"]
        w(f"  [{lang}] n={len(sub)}  urgency macro-F1 {macro:.3f}  category accuracy {cat:.3f}  "
          f"emergency recall {sum(emg) / len(emg) if emg else 1:.3f}\n")
    w(f"latency p50 {p50:.3f} ms  p99 {p99:.3f} ms  start-up {startup * 1000:.0f} ms\n")
    missed = [(row, v) for row, v in results if row["urgency"] == "emergency" and v.urgency != "emergency"]
    false_alarms = [(row, v) for row, v in results if row["urgency"] != "emergency" and v.urgency == "emergency"]
    w(f"missed emergencies: {len(missed)}\n")
    for row, v in missed:
        w(f"  - [{v.urgency}/{v.category}] {row['text']}\n")
    w(f"non-emergencies called emergency: {len(false_alarms)}\n")
    for row, v in false_alarms:
        w(f"  - [gold {row['urgency']}/{row['category']}] {row['text']}  <- {'; '.join(v.reasons[:2])}\n")
    return {
        "emergency_recall": emergency_r, "emergency_precision": emergency_p, "urgency_macro_f1": urgency_macro,
        "category_accuracy": category_accuracy, "p99_ms": p99, "startup_ms": startup * 1000,
    }
