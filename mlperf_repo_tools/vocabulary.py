"""Per-round vocabularies (models, tasks, scenarios, units), read from data files.

A new MLPerf round is an edit of ``schemas/vocabulary/<family>.json``, not a code change.
"""

from __future__ import annotations

import difflib
import json
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


@cache
def load_vocabularies() -> dict[str, Vocabulary]:
    folder = schemas_dir() / "vocabulary"
    result = {}
    for family in FAMILIES:
        with (folder / f"{family}.json").open(encoding="utf-8") as handle:
            result[family] = Vocabulary(family, json.load(handle))
    return result


def did_you_mean(value: str, choices: list[str]) -> str:
    """A ' (did you mean 'x'?)' suffix when a close choice exists, else ''."""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""
