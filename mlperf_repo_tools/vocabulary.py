"""Per-round vocabularies (models, tasks, scenarios, units), read from data files.

A new MLPerf round is an edit of ``schemas/vocabulary/<family>.json``, not a code change. A
results repository can also extend them before a release of the tool (``vocabulary`` in its
configuration): ``extend_vocabularies`` merges such extensions into the files' data.
"""

from __future__ import annotations

import copy
import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from mlperf_repo_tools.resources import schemas_dir

FAMILIES = ("inference", "tiny", "training")
POWER_UNITS = frozenset({"Watts", "millijoules", "Joules"})
# Joules (per query) per unit of energy-per-query results; Watts are joules per second.
ENERGY_UNIT_SCALE = {"millijoules": 1000.0, "Joules": 1.0}


@dataclass
class Vocabulary:
    family: str
    data: dict[str, Any]

    @property
    def prefix(self) -> str:
        return str(self.data["alias"]["prefix"])

    @property
    def alias_parts(self) -> list[str]:
        return list(self.data["alias"]["parts"])

    @property
    def version_pattern(self) -> str:
        return str(self.data["alias"]["version_pattern"])

    def round(self, version: str) -> dict[str, Any] | None:
        rounds: dict[str, Any] = self.data["rounds"]
        return rounds.get(version)

    def part_values(self, part: str) -> list[str]:
        """The allowed values of one alias part (other than the version)."""
        key = {"category": "categories", "division": "divisions", "task": "tasks",
               "scenario": "scenarios", "benchmark": "benchmarks"}[part]
        return list(self.data.get(key, []))

    def division(self, alias_division: str) -> dict[str, Any] | None:
        divisions: dict[str, Any] = self.data["divisions"]
        return divisions.get(alias_division)

    def model(self, name: str) -> dict[str, Any] | None:
        models: dict[str, Any] = self.data.get("models", {})
        return models.get(name)

    def family_tags(self, alias_division: str | None) -> list[str]:
        tags = [self.family]
        division = self.division(alias_division) if alias_division else None
        if division:
            tags.extend(division["tags"])
        return tags

    def expected_perf_unit(self, version: str, row: dict[str, Any]) -> str | None:
        scenario = row.get("Scenario")
        round_ = self.round(version)
        if round_ is None or not isinstance(scenario, str):
            return None
        for override in round_.get("unit_overrides", []):
            if row.get(override["lookup"]) in override["models"] and scenario in override["units"]:
                return str(override["units"][scenario])
        base = self.data.get("base_units", {}).get(scenario)
        return str(base) if base else None

    def power_units(self, version: str, scenario: str) -> list[str] | None:
        round_ = self.round(version)
        if round_ is None:
            return None
        units = round_.get("power_units", {}).get(scenario)
        return list(units) if units is not None else None


_extensions: dict[str, dict[str, Any]] = {}


@cache
def load_vocabularies() -> dict[str, Vocabulary]:
    result = {}
    for family, data in base_vocabularies().items():
        extension = _extensions.get(family)
        result[family] = Vocabulary(family, merge_vocabulary(data, extension)
                                    if extension else data)
    return result


@cache
def base_vocabularies() -> dict[str, dict[str, Any]]:
    """The vocabulary files as shipped, without any repository's extensions."""
    folder = schemas_dir() / "vocabulary"
    result = {}
    for family in FAMILIES:
        with (folder / f"{family}.json").open(encoding="utf-8") as handle:
            result[family] = json.load(handle)
    return result


def extend_vocabularies(extensions: Mapping[str, Mapping[str, Any]]) -> None:
    """Merge these per-family extensions into what ``load_vocabularies`` returns from now on
    (an empty mapping goes back to the shipped files). Callers validate them first."""
    unknown = set(extensions) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown vocabulary family {sorted(unknown)[0]!r}")
    _extensions.clear()
    _extensions.update({family: dict(ext) for family, ext in extensions.items()})
    load_vocabularies.cache_clear()


def merge_vocabulary(base: Mapping[str, Any], extension: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``extension`` merged in: mappings merge key by key, lists gain the new
    items (in order, without repeats), anything else is replaced."""
    result = copy.deepcopy(dict(base))
    for key, value in extension.items():
        old = result.get(key)
        if isinstance(old, dict) and isinstance(value, Mapping):
            result[key] = merge_vocabulary(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            result[key] = old + [v for v in value if v not in old]
        else:
            result[key] = copy.deepcopy(value)
    return result


def did_you_mean(value: str, choices: list[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close choice exists, else ''."""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
