"""Derived metrics, computed exactly as the repository's own scripts did.

These formulas reproduce every correct stored value of the real repository bit for bit, so a
stored value is either equal to its recomputation or wrong. The fixer uses the same functions.

- Inference_per_Joule: Offline, Server, Interactive (power in Watts): Result / Result_Power;
  SingleStream (energy per query): 1000 / Result_Power in millijoules;
  MultiStream (8 samples per query): 8000 / Result_Power in millijoules.
- Accuracy_div_100: round(Accuracy / 100, 5), or round(Accuracy, 5) for models whose first
  accuracy metric is already a fraction (3d-unet's DICE score, rgat, pointpainting).
"""

from __future__ import annotations

import math
import re
from typing import Any

from mlperf_repo_tools.vocabulary import ENERGY_UNIT_SCALE, POWER_UNITS, Vocabulary

THROUGHPUT_SCENARIOS = frozenset({"Offline", "Server", "Interactive"})
SAMPLES_PER_QUERY = {"SingleStream": 1, "MultiStream": 8}


# The v4.1+ summaries write the first accuracy metric as 'KEY: value' text.
_ACCURACY_TEXT = re.compile(r"^[A-Za-z0-9_.-]+: ")


def is_accuracy_text(value: Any) -> bool:
    return isinstance(value, str) and _ACCURACY_TEXT.match(value) is not None


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def power_unit(row: dict[str, Any]) -> str | None:
    """The unit of Result_Power: its own key on a merged row, the row's unit on a power row."""
    for key in ("Result_Power_Units", "Units", "Result_Units"):
        unit = row.get(key)
        if key == "Result_Power_Units" and isinstance(unit, str):
            return unit
        if isinstance(unit, str) and unit in POWER_UNITS:
            return str(unit)
    return None


def inference_per_joule(row: dict[str, Any]) -> float | None:
    """The exact Inference_per_Joule of a row, or None when its inputs are not all there."""
    power = row.get("Result_Power")
    if not isinstance(power, (int, float)) or not is_number(power) or power <= 0:
        return None
    unit = power_unit(row)
    scenario = row.get("Scenario")
    if not isinstance(scenario, str):
        return None
    try:
        if scenario in THROUGHPUT_SCENARIOS:
            result = row.get("Result")
            if unit != "Watts" or not isinstance(result, (int, float)) or not is_number(result):
                return None
            value = float(result / power)
        elif scenario in SAMPLES_PER_QUERY and unit in ENERGY_UNIT_SCALE:
            value = SAMPLES_PER_QUERY[scenario] * ENERGY_UNIT_SCALE[unit] / power
        else:
            return None
    except (OverflowError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) else None  # JSON has no infinity to write


def accuracy_fraction(row: dict[str, Any], vocab: Vocabulary | None) -> float | None:
    """The exact Accuracy_div_100 of an inference row, or None when it cannot be derived."""
    accuracy = row.get("Accuracy")
    if vocab is None or not isinstance(accuracy, (int, float)) or not is_number(accuracy):
        return None
    model = vocab.model(str(row.get("MlperfModel")))
    if model is None:
        return None
    try:
        if model.get("accuracy") == "fraction":
            value = round(float(accuracy), 5)
        else:
            value = round(accuracy / 100, 5)
    except OverflowError:
        return None
    return value if math.isfinite(value) else None
