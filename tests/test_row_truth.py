"""Cross-field truth within a row (R016-R018) and plausibility warnings (R019, R020)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from test_consistency import VERSION_ALIAS, merged_row, write_repo

from mlperf_repo_tools.engine import lint_paths

RULES = ["R016", "R017", "R018", "R019", "R020"]


def found(tmp_path: Path, row: dict[str, Any], alias: str = VERSION_ALIAS) -> list[str]:
    write_repo(tmp_path, {alias: [row]})
    return [f"{f.code} {f.location.pointer}" for f in lint_paths([tmp_path], RULES).findings]


def test_valid_row_has_no_finding(tmp_path: Path) -> None:
    assert found(tmp_path, merged_row("a" * 16)) == []


@pytest.mark.parametrize(("change", "expected"), [
    ({"Organization": "Other"}, "R016 /0/Organization"),
    ({"Platform": "box_z"}, "R016 /0/Platform"),
    ({"Model": "resnet50"}, "R016 /0/Model"),
    ({"MlperfModel": "llama2-70b-99"}, "R017 /0/MlperfModel"),  # not an edge benchmark
    ({"inferred": 1, "SystemType": "datacenter"}, "R018 /0/inferred"),
    ({"Accuracy": 0.12, "Accuracy_div_100": 0.0012}, "R019 /0/Accuracy"),
    ({"SystemName": "Acme Box (4x NPU)", "accelerators_per_node": 1},
     "R020 /0/accelerators_per_node"),
])
def test_each_rule_fails(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    row = {**merged_row("a" * 16), **change}
    assert expected in found(tmp_path, row)


def test_closed_datacenter_resnet_singlestream_is_not_a_suite_scenario(tmp_path: Path) -> None:
    alias = VERSION_ALIAS.replace("edge", "datacenter")
    row = {**merged_row("a" * 16), "SystemType": "datacenter", "Scenario": "SingleStream"}
    row["Location"] = row["Location"].replace("Offline", "SingleStream")
    assert "R017 /0/Scenario" in found(tmp_path, row, alias)


@pytest.mark.parametrize("change", [
    {"inferred": 1, "Scenario": "MultiStream"},  # edge may infer MultiStream
    {"SystemName": "Acme Box (2x Xeon)", "accelerators_per_node": 0},  # CPU-only names count CPUs
    {"SystemName": "Dell R750xa (4x NPU)", "accelerators_per_node": 4},
    {"SystemType": "datacenter,edge"},  # both suites: edge scenarios allowed
])
def test_each_rule_passes(tmp_path: Path, change: dict[str, Any]) -> None:
    row = {**merged_row("a" * 16), **change}
    assert [f for f in found(tmp_path, row) if not f.startswith(("R016", "R010"))] == []
