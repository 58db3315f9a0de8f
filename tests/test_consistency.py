"""Repository-wide consistency rules (X001-X010), each with a failing and a passing fixture."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mlperf_repo_tools.consistency import content_key
from mlperf_repo_tools.engine import lint_paths

TS = "2024-04-11.12-32-53.909290"
VERSION_ALIAS = "mlperf-inference--v4.0--edge--closed-power--image-classification--offline"
ALL_ALIAS = "mlperf-inference--all--edge--closed-power--image-classification--offline"


def perf_row(uid: str, platform: str = "box_a", result: float = 2400.0) -> dict[str, Any]:
    location = f"closed/Acme/results/{platform}/resnet/Offline"
    git_url = "https://github.com/mlcommons/inference_results_v4.0"
    return {
        "Accuracy": 76.1, "Accuracy_div_100": 0.761, "Availability": "available",
        "Division": "closed", "Location": location, "MlperfModel": "resnet", "Model": "resnet",
        "Organization": "Acme", "Platform": platform, "Result": result,
        "Result_Units": "Samples/s", "Scenario": "Offline", "SystemName": "Acme Box",
        "SystemType": "edge", "Units": "Samples/s", "accelerator_model_name": "NPU",
        "accelerators_per_node": 1, "compliance": 1, "errors": 0, "framework": "RT 1.0",
        "git_url": git_url, "has_power": True, "host_processor_core_count": 8,
        "host_processor_model_name": "CPU", "host_processors_per_node": 1, "inferred": 0,
        "notes": "", "number_of_nodes": 1, "operating_system": "Linux", "uid": uid,
        "url": f"{git_url}/tree/master/{location}", "version": "v4.0",
    }


def power_row(uid: str, platform: str = "box_a", watts: float = 30.0) -> dict[str, Any]:
    row = perf_row(uid, platform)
    row.update({"Result": None, "Result_Power": watts, "Result_Units": "Watts",
                "Units": "Watts"})
    return row


def merged_row(uid: str, platform: str = "box_a") -> dict[str, Any]:
    row = perf_row(uid, platform)
    row.update({"Result_Power": 30.0, "Result_Power_Units": "Watts",
                "Inference_per_Joule": 2400.0 / 30.0})
    return row


def write_repo(root: Path, experiments: dict[str, list[dict[str, Any]] | None]) -> Path:
    (root / "cmr.yaml").write_text("alias: test@results\nuid: 0123456789abcdef\n")
    for number, (alias, rows) in enumerate(experiments.items()):
        folder = root / "experiment" / alias
        folder.mkdir(parents=True)
        parts = alias.split("--")
        tags = ["mlperf", *parts, "inference", "power"]
        meta = {"alias": alias, "automation_alias": "experiment",
                "automation_uid": "a0a2d123ef064bcb", "tags": tags,
                "uid": f"{number + 1:016x}"}
        (folder / "_cm.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if rows is not None:
            (folder / TS).mkdir()
            text = json.dumps(rows, indent=2, sort_keys=True) + "\n"
            (folder / TS / "cm-result.json").write_text(text)
    return root


def x_findings(root: Path, *paths: Path) -> list[tuple[str, str, str]]:
    result = lint_paths(list(paths) or [root], select=["X"])
    return [(f.code, f.location.path, f.message) for f in result.findings]


def codes(root: Path, *paths: Path) -> list[str]:
    return [code for code, _, _ in x_findings(root, *paths)]


def both(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]] | None]:
    """A per-version experiment and its aggregate holding copies of the same rows."""
    return {VERSION_ALIAS: rows, ALL_ALIAS: copy.deepcopy(rows)}


def test_clean_pairs_have_no_finding(tmp_path: Path) -> None:
    write_repo(tmp_path, both([merged_row("a" * 16), merged_row("b" * 16, "box_b")]))
    assert codes(tmp_path) == []


def test_split_power_row_is_reported_as_split(tmp_path: Path) -> None:
    write_repo(tmp_path, both([perf_row("a" * 16), power_row("b" * 16)]))
    found = x_findings(tmp_path)
    assert [c for c, _, _ in found] == ["X002", "X002"]
    assert all("mergeable" in message for _, _, message in found)


def test_power_without_performance(tmp_path: Path) -> None:
    write_repo(tmp_path, both([power_row("b" * 16)]))
    assert codes(tmp_path) == ["X001", "X001"]


def test_power_flag_without_power(tmp_path: Path) -> None:
    write_repo(tmp_path, both([perf_row("a" * 16)]))
    assert codes(tmp_path) == ["X003", "X003"]


def test_power_without_flag(tmp_path: Path) -> None:
    row = merged_row("a" * 16)
    row["has_power"] = False
    write_repo(tmp_path, both([row]))
    assert codes(tmp_path) == ["X004", "X004"]


def test_identity_conflict_names_the_differing_key(tmp_path: Path) -> None:
    write_repo(tmp_path, both([merged_row("a" * 16), {**merged_row("c" * 16), "Result": 1.0}]))
    found = [f for f in x_findings(tmp_path) if f[0] == "X005"]
    assert len(found) == 2
    assert all(message.endswith("differ in Result") for _, _, message in found)


def test_duplicate_except_uid(tmp_path: Path) -> None:
    write_repo(tmp_path, {VERSION_ALIAS: [merged_row("a" * 16)],
                          ALL_ALIAS: [merged_row("a" * 16), merged_row("c" * 16)]})
    found = x_findings(tmp_path)
    assert ("X006", f"experiment/{ALL_ALIAS}/{TS}/cm-result.json",
            f"row 1 equals row 0 except its uid ({'c' * 16} vs {'a' * 16})") in found
    assert "X005" not in [c for c, _, _ in found]


def test_uid_reuse_across_three_files(tmp_path: Path) -> None:
    other = VERSION_ALIAS.replace("closed-power", "open-power")
    reused = "d" * 16
    row_b = merged_row(reused, "box_b")
    row_b["Division"] = "open"
    row_b["Location"] = row_b["Location"].replace("closed/", "open/")
    row_b["url"] = row_b["git_url"] + "/tree/master/" + row_b["Location"]
    write_repo(tmp_path, {VERSION_ALIAS: [merged_row(reused)], ALL_ALIAS: [merged_row(reused)],
                          other: [row_b]})
    reuse = [f for f in x_findings(tmp_path) if f[0] == "X007"]
    assert len(reuse) == 1 and reused in reuse[0][2]


def test_uid_shared_by_aggregate_and_version_is_fine(tmp_path: Path) -> None:
    write_repo(tmp_path, both([merged_row("d" * 16)]))
    assert "X007" not in codes(tmp_path)


def test_same_result_under_two_uids(tmp_path: Path) -> None:
    write_repo(tmp_path, {VERSION_ALIAS: [merged_row("a" * 16)],
                          ALL_ALIAS: [merged_row("e" * 16)]})
    found = codes(tmp_path)
    assert "X008" in found


def test_aggregate_mismatch_names_the_key(tmp_path: Path) -> None:
    aggregate = merged_row("a" * 16)
    version = merged_row("a" * 16)
    del version["Inference_per_Joule"]
    write_repo(tmp_path, {VERSION_ALIAS: [version], ALL_ALIAS: [aggregate]})
    found = [f for f in x_findings(tmp_path) if f[0] == "X009"]
    assert found == [("X009", f"experiment/{ALL_ALIAS}/{TS}/cm-result.json",
                      "aggregate row differs from its per-version twin in Inference_per_Joule")]


def test_aggregate_missing_twin_both_ways(tmp_path: Path) -> None:
    write_repo(tmp_path, {VERSION_ALIAS: [merged_row("a" * 16), merged_row("b" * 16, "box_b")],
                          ALL_ALIAS: [merged_row("a" * 16), merged_row("f" * 16, "box_f")]})
    found = [(p.split("/")[1], m) for c, p, m in x_findings(tmp_path) if c == "X010"]
    assert (ALL_ALIAS, "aggregate row has no per-version twin with its uid") in found
    assert (VERSION_ALIAS, f"per-version row is missing from the aggregate {ALL_ALIAS}") in found


def test_aggregate_without_result_file(tmp_path: Path) -> None:
    write_repo(tmp_path, {VERSION_ALIAS: [merged_row("a" * 16)], ALL_ALIAS: None})
    found = [m for c, _, m in x_findings(tmp_path) if c == "X010"]
    assert found == [f"no row of this file has its aggregate twin: the aggregate "
                     f"{ALL_ALIAS} has no result file"]


def test_incremental_run_reports_only_findings_involving_given_files(tmp_path: Path) -> None:
    other = VERSION_ALIAS.replace("offline", "server").replace("closed-power", "closed")
    write_repo(tmp_path, {**both([perf_row("a" * 16), power_row("b" * 16)]),
                          other: [power_row("c" * 16)]})
    given = tmp_path / "experiment" / VERSION_ALIAS / TS / "cm-result.json"
    found = x_findings(tmp_path, given)
    assert found and all(path == f"experiment/{VERSION_ALIAS}/{TS}/cm-result.json"
                         for _, path, _ in found)
    everything = codes(tmp_path)
    assert "X001" in everything and "X001" not in [c for c, _, _ in found]
    whole = lint_paths([given], select=["X"], whole_repository=True)
    assert sorted(f.code for f in whole.findings) == sorted(everything)


def stream_power_row(uid: str, scenario: str, energy: float, inferred: int) -> dict[str, Any]:
    row = perf_row(uid)
    location = f"closed/Acme/results/box_a/resnet/{scenario}"
    row.update({"Scenario": scenario, "Location": location, "Result": 0.5,
                "Result_Units": "Latency (ms)", "Units": "Latency (ms)", "inferred": inferred,
                "url": row["git_url"] + "/tree/master/" + location, "Result_Power": energy,
                "Result_Power_Units": "millijoules"})
    return row


def stream_repo(root: Path, multistream_energy: float) -> None:
    single = "mlperf-inference--v4.0--edge--closed-power--image-classification--singlestream"
    multi = "mlperf-inference--v4.0--edge--closed-power--image-classification--multistream"
    write_repo(root, {
        single: [stream_power_row("1" * 16, "SingleStream", 155.142, 0)],
        multi: [stream_power_row("2" * 16, "MultiStream", multistream_energy, 1)]})


def test_inferred_multistream_energy_must_be_eight_times(tmp_path: Path) -> None:
    stream_repo(tmp_path, 1200.0)
    assert "X011" in codes(tmp_path)


def test_inferred_multistream_energy_eight_times_passes(tmp_path: Path) -> None:
    stream_repo(tmp_path, 8 * 155.142)
    assert "X011" not in codes(tmp_path)


def offline_inferred_repo(root: Path, offline_result: float) -> None:
    single = "mlperf-inference--v4.0--edge--closed-power--image-classification--singlestream"
    offline = {**merged_row("3" * 16), "inferred": 1, "Result": offline_result}
    write_repo(root, {single: [stream_power_row("1" * 16, "SingleStream", 155.142, 0)],
                      VERSION_ALIAS: [offline]})


def test_inferred_offline_efficiency_far_from_source(tmp_path: Path) -> None:
    offline_inferred_repo(tmp_path, 30.0 * 1000 / 155.142 * 2)  # twice the source's perf/W
    assert "X012" in codes(tmp_path)


def test_inferred_offline_efficiency_close_to_source(tmp_path: Path) -> None:
    offline_inferred_repo(tmp_path, 30.0 * 1000 / 155.142 * 1.05)
    assert "X012" not in codes(tmp_path)


def outlier_repo(root: Path, odd_power: float) -> None:
    rows = [merged_row(f"{i:016x}", f"box_{i}") for i in range(6)]
    rows[5]["Result_Power"] = odd_power
    rows[5]["Inference_per_Joule"] = rows[5]["Result"] / odd_power
    write_repo(root, both(rows))


def test_perf_per_watt_outlier(tmp_path: Path) -> None:
    outlier_repo(tmp_path, 0.03)  # 1000x the perf/W of the other five
    found = [m for c, _, m in x_findings(tmp_path) if c == "X013"]
    assert len(found) == 1 and "8e+04 inferences/J" in found[0]


def test_perf_per_watt_within_range(tmp_path: Path) -> None:
    outlier_repo(tmp_path, 3.0)  # 10x: unusual, not an outlier
    assert "X013" not in codes(tmp_path)


# -- content keys: what "the same row" means for duplicates, uid reuse and pairing ----------

@pytest.mark.parametrize(("left", "right"), [
    ({"a": 1, "b": "x"}, {"b": "x", "a": 1}),  # key order does not matter
    ({"a": [1, {"y": 2, "z": 3}]}, {"a": [1, {"z": 3, "y": 2}]}),  # nor in nested objects
    ({"uid": "u1", "a": 1}, {"uid": "u2", "a": 1}),  # the excluded key
])
def test_content_key_equal(left: dict, right: dict) -> None:
    assert content_key(left, "uid") == content_key(right, "uid")


@pytest.mark.parametrize(("left", "right"), [
    ({"a": 1}, {"a": 1.0}),
    ({"a": 1}, {"a": True}),
    ({"a": 0}, {"a": False}),
    ({"a": "1"}, {"a": 1}),
    ({"a": None}, {}),
    ({"a": 1}, {"b": 1}),
    ({"a": [1]}, {"a": [1.0]}),
    ({"a": "x", "b": "y"}, {"a": "y", "b": "x"}),
    ({"a": 0.0}, {"a": -0.0}),  # JSON text tells a zero's sign apart
    ({"a": [0.0]}, {"a": [-0.0]}),
])
def test_content_key_different(left: dict, right: dict) -> None:
    assert content_key(left) != content_key(right)
    assert content_key(left, "uid") != content_key(right, "uid")


def test_content_key_keeps_a_key_named_empty() -> None:
    """No key is left out unless one is named: "" is a key like any other."""
    assert content_key({"uid": "a", "": 1}) != content_key({"uid": "a", "": 2})
    assert content_key({"uid": "a", "": 1}, "uid") != content_key({"uid": "b", "": 2}, "uid")


def test_content_key_rows_with_nan_are_equal() -> None:
    """Each NaN read is its own object, and NaN != NaN; as JSON text, two NaNs are the same."""
    nan = float("nan")
    left, right = {"a": nan, "b": 1.5}, {"b": 1.5, "a": float("nan")}
    assert content_key(left) == content_key(right)
    assert content_key(left) != content_key({"a": 1.5, "b": 1.5})


def test_rows_with_nan_are_duplicates_not_conflicts(tmp_path: Path) -> None:
    """NaN is a finding of its own (F004); it must not also turn a copy into a conflict."""
    nan_row = {**merged_row("a" * 16), "Accuracy": float("nan")}
    twin = {**nan_row, "uid": "c" * 16}
    write_repo(tmp_path, both([nan_row, copy.deepcopy(nan_row), twin]))
    found = [f.code for f in lint_paths([tmp_path], select=["X005", "X006", "R012"]).findings]
    assert sorted(found) == ["R012", "R012", "X006", "X006"]
