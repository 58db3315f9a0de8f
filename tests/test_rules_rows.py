"""Row rules R001-R015: for each code, failing rows located exactly (path, line, column, JSON
pointer) and passing rows that differ from them by the minimal fix.

R013 is not a registered rule (the registry skips from R012 to R014); R016-R020 are tested in
`test_row_truth.py`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from builders import (
    INFERENCE_ALIAS,
    INFERENCE_POWER_ALIAS,
    INFERENCE_V41_ALIAS,
    TINY_ALIAS,
    TRAINING_ALIAS,
    Anchor,
    anchor_position,
    dump,
    inference_row,
    lint,
    located,
    result_rel,
    tiny_row,
    training_row,
    with_aggregates,
    write_repo,
)

V41_LANGUAGE = "mlperf-inference--v4.1--edge--closed--language-processing--offline"
V40_LANGUAGE = "mlperf-inference--v4.0--edge--closed--language-processing--offline"
SEGMENTATION = "mlperf-inference--v4.0--edge--closed--image-segmentation--offline"
POWER_SS = "mlperf-inference--v4.0--edge--closed-power--image-classification--singlestream"
POWER_MS = "mlperf-inference--v4.0--edge--closed-power--image-classification--multistream"
NETWORK = "mlperf-inference--v4.0--edge--closed-network--image-classification--offline"
TINY_OPEN = "mlperf-tiny--v1.1--open--kws"
TRAINING_RECOMMENDATION = "mlperf-training--3.0--closed--recommendation"
PREPUBLICATION = "https://github.com/mlcommons/submissions_inference_v4.1"


def without(row: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in keys}


def located_row(model: str, scenario: str, version: str = "v4.0", division: str = "closed",
                **changes: Any) -> dict[str, Any]:
    """An inference row whose Location, url, Model and MlperfModel agree."""
    location = f"{division}/Zeta/results/zbox_1/{model}/{scenario}"
    git_url = f"https://github.com/mlcommons/inference_results_{version}"
    row = inference_row(version=version, MlperfModel=model, Model=model, Scenario=scenario,
                        Location=location, url=f"{git_url}/tree/master/{location}")
    if division == "network":
        row["Division"] = "network"
    row.update(changes)
    return row


def gptj_row(units: str, version: str = "v4.1") -> dict[str, Any]:
    return located_row("gptj-99", "Offline", version, Units=units, Result_Units=units)


def energy_row(scenario: str, unit: str = "millijoules", **changes: Any) -> dict[str, Any]:
    """A merged SingleStream or MultiStream power row: energy per query, latency result."""
    samples = {"SingleStream": 1000.0, "MultiStream": 8000.0}[scenario]
    row = located_row("resnet", scenario, has_power=True, Result=0.41, Units="Latency (ms)",
                      Result_Units="Latency (ms)", Result_Power=12.5, Result_Power_Units=unit,
                      Inference_per_Joule=samples / 12.5)
    row.update(changes)
    return row


def unet_row(**changes: Any) -> dict[str, Any]:
    return located_row("3d-unet-99", "Offline",
                       **{"Accuracy": 0.86112, "Accuracy_div_100": 0.86112, **changes})


def split_power_row() -> dict[str, Any]:
    row = without(inference_row(power=True), "Result_Power_Units", "Inference_per_Joule")
    row.update({"Result": None, "Result_Units": "Watts", "Units": "Watts"})
    return row


def network_row() -> dict[str, Any]:
    return located_row("resnet", "Offline", division="network")


POWER = inference_row(power=True)

# (id, code, alias, failing rows, passing rows, anchor in the result file, pointer, message)
FAILS: list[tuple[str, str, str, list[Any], list[Any], Anchor, str, str]] = [
    ("missing-required-key", "R001", INFERENCE_ALIAS,
     [without(inference_row(), "Scenario")], [inference_row()],
     ("row", 0), "/0", "'Scenario' is a required property"),
    ("inference-uid-shape", "R001", INFERENCE_ALIAS,
     [inference_row(uid="42")], [inference_row()],
     ("value", "uid"), "/0/uid", "'42' does not match"),
    ("tiny-uid-shape", "R001", TINY_ALIAS,
     [tiny_row(uid="2B3C4D5E6F708192")], [tiny_row()],
     ("value", "uid"), "/0/uid", "'2B3C4D5E6F708192' does not match"),
    ("training-version-with-v", "R001", TRAINING_ALIAS,
     [training_row(version="v3.0")], [training_row()],
     ("value", "version"), "/0/version", "'v3.0' does not match"),
    ("has-power-not-boolean", "R001", INFERENCE_ALIAS,
     [inference_row(has_power="false")], [inference_row()],
     ("value", "has_power"), "/0/has_power", "'false' is not of type 'boolean'"),
    ("core-count-text", "R002", INFERENCE_ALIAS,
     [inference_row(host_processor_core_count="4 (big); 4 (LITTLE)")], [inference_row()],
     ("value", "host_processor_core_count"), "/0/host_processor_core_count",
     'host_processor_core_count holds text "4 (big); 4 (LITTLE)" where a number belongs'),
    ("accelerators-na", "R002", INFERENCE_ALIAS,
     [inference_row(accelerators_per_node="N/A")], [inference_row()],
     ("value", "accelerators_per_node"), "/0/accelerators_per_node",
     'accelerators_per_node holds text "N/A"'),
    ("accuracy-none", "R002", INFERENCE_ALIAS,
     [inference_row(Accuracy="None")], [inference_row()],
     ("value", "Accuracy"), "/0/Accuracy", 'Accuracy holds text "None"'),
    ("tiny-throughput-empty", "R002", TINY_ALIAS,
     [tiny_row(median_throughput="")], [tiny_row()],
     ("value", "median_throughput"), "/0/median_throughput", 'median_throughput holds text ""'),
    ("scenario-typo", "R003", INFERENCE_ALIAS,
     [inference_row(Scenario="Offine")], [inference_row()],
     ("value", "Scenario"), "/0/Scenario",
     "Scenario 'Offine' is not in the v4.0 vocabulary (did you mean 'Offline'?)"),
    ("model-not-in-round", "R003", INFERENCE_V41_ALIAS,
     [inference_row(version="v4.1", MlperfModel="rnnt")], [inference_row(version="v4.1")],
     ("value", "MlperfModel"), "/0/MlperfModel", "MlperfModel 'rnnt' is not in the v4.1"),
    ("unknown-round", "R003", INFERENCE_ALIAS,
     [inference_row(version="v4.9")], [inference_row()],
     ("value", "version"), "/0/version", "unknown inference round 'v4.9'"),
    ("availability-typo", "R003", INFERENCE_ALIAS,
     [inference_row(Availability="availble")], [inference_row()],
     ("value", "Availability"), "/0/Availability", "(did you mean 'available'?)"),
    ("system-type", "R003", INFERENCE_ALIAS,
     [inference_row(SystemType="edge,mobile")], [inference_row()],
     ("value", "SystemType"), "/0/SystemType", "SystemType 'edge,mobile' is not in"),
    ("tiny-status", "R003", TINY_ALIAS,
     [tiny_row(Status="released")], [tiny_row()],
     ("value", "Status"), "/0/Status", "Status 'released' is not in the v1.1 vocabulary"),
    ("training-availability", "R003", TRAINING_ALIAS,
     [training_row(availability="onprim")], [training_row()],
     ("value", "availability"), "/0/availability", "(did you mean 'onprem'?)"),
    ("training-dataset-of-other-model", "R003", TRAINING_ALIAS,
     [training_row(Dataset="COCO", _Dataset="COCO")], [training_row()],
     ("value", "Dataset"), "/0/Dataset",
     "Dataset 'COCO' does not match model 'resnet' (expected 'ImageNet')"),
    ("llm-token-rate-as-samples", "R004", V41_LANGUAGE,
     [gptj_row("Samples/s")], [gptj_row("Tokens/s")],
     ("value", "Units"), "/0/Units",
     "gptj-99 Offline results of v4.1 are in 'Tokens/s', not 'Samples/s'"),
    ("offline-in-queries", "R004", INFERENCE_ALIAS,
     [inference_row(Units="Queries/s", Result_Units="Queries/s")], [inference_row()],
     ("value", "Units"), "/0/Units", "are in 'Samples/s', not 'Queries/s'"),
    ("singlestream-in-watts", "R005", POWER_SS,
     [energy_row("SingleStream", unit="Watts")], [energy_row("SingleStream")],
     ("value", "Result_Power_Units"), "/0/Result_Power_Units",
     "SingleStream power is in millijoules, not 'Watts'"),
    ("offline-in-millijoules", "R005", INFERENCE_POWER_ALIAS,
     [inference_row(power=True, Result_Power_Units="millijoules")], [POWER],
     ("value", "Result_Power_Units"), "/0/Result_Power_Units",
     "Offline power is in Watts, not 'millijoules'"),
    ("power-without-unit", "R005", INFERENCE_POWER_ALIAS,
     [without(POWER, "Result_Power_Units")], [POWER],
     ("value", "Result_Power"), "/0/Result_Power", "power result has no unit"),
    ("split-power-row", "R006", INFERENCE_POWER_ALIAS,
     [split_power_row()], [POWER],
     ("value", "Result_Units"), "/0/Result_Units", "Result_Units is the power unit 'Watts'"),
    ("inference-result-units", "R007", INFERENCE_ALIAS,
     [inference_row(Result_Units="Queries/s")], [inference_row()],
     ("value", "Result_Units"), "/0/Result_Units",
     'Result_Units "Queries/s" differs from its source Units "Samples/s"'),
    ("tiny-result", "R007", TINY_ALIAS,
     [tiny_row(_Result=48.3)], [tiny_row()],
     ("value", "_Result"), "/0/_Result", "_Result 48.3 differs from its source Result 48.25"),
    ("tiny-version", "R007", TINY_ALIAS,
     [tiny_row(__version="v1.0")], [tiny_row()],
     ("value", "__version"), "/0/__version", '__version "v1.0" differs from its source'),
    ("training-model-key", "R007", TRAINING_ALIAS,
     [training_row(resnet=61.0)], [training_row()],
     ("value", "resnet"), "/0/resnet", "resnet 61.0 differs from Result 61.25"),
    ("training-system", "R007", TRAINING_ALIAS,
     [training_row(_System="zeta-box-4")], [training_row()],
     ("value", "_System"), "/0/_System",
     '_System "zeta-box-4" differs from its source system "zeta-box-8"'),
    ("training-benchmark-mirrors-task", "R007", TRAINING_ALIAS,
     [training_row(Benchmark="resnet")], [training_row()],
     ("value", "Benchmark"), "/0/Benchmark", 'Benchmark "resnet" differs from its source Task'),
    ("offline-perf-per-joule-missing", "R008", INFERENCE_POWER_ALIAS,
     [without(POWER, "Inference_per_Joule")], [POWER],
     ("row", 0), "/0",
     f"Inference_per_Joule is missing; Result / Result_Power = {1250.5 / 41.3!r}"),
    ("multistream-perf-per-joule-missing", "R008", POWER_MS,
     [without(energy_row("MultiStream"), "Inference_per_Joule")], [energy_row("MultiStream")],
     ("row", 0), "/0", "Inference_per_Joule is missing; 8000 / Result_Power = 640.0"),
    ("accuracy-fraction-missing", "R008", INFERENCE_ALIAS,
     [without(inference_row(), "Accuracy_div_100")], [inference_row()],
     ("row", 0), "/0", "Accuracy_div_100 is missing; round(Accuracy / 100, 5) = 0.7605"),
    ("perf-per-joule-wrong", "R009", INFERENCE_POWER_ALIAS,
     [inference_row(power=True, Inference_per_Joule=30.5)], [POWER],
     ("value", "Inference_per_Joule"), "/0/Inference_per_Joule",
     "Inference_per_Joule is 30.5; Result / Result_Power = "),
    ("singlestream-perf-per-joule-wrong", "R009", POWER_SS,
     [energy_row("SingleStream", Inference_per_Joule=8000 / 12.5)],
     [energy_row("SingleStream")],
     ("value", "Inference_per_Joule"), "/0/Inference_per_Joule",
     "Inference_per_Joule is 640.0; 1000 / Result_Power = 80.0"),
    ("dice-divided-by-100", "R009", SEGMENTATION,
     [unet_row(Accuracy_div_100=0.00861)], [unet_row()],
     ("value", "Accuracy_div_100"), "/0/Accuracy_div_100",
     "Accuracy_div_100 is 0.00861; round(Accuracy, 5) = 0.86112"),
    ("perf-per-joule-without-inputs", "R009", INFERENCE_ALIAS,
     [inference_row(Inference_per_Joule=30.5)], [inference_row()],
     ("value", "Inference_per_Joule"), "/0/Inference_per_Joule",
     "Inference_per_Joule is present but cannot be derived"),
    ("version-of-other-round", "R010", INFERENCE_V41_ALIAS,
     [inference_row()], [inference_row(version="v4.1")],
     ("value", "version"), "/0/version",
     "version 'v4.0' does not match the experiment's version 'v4.1'"),
    ("scenario-of-other-experiment", "R010", INFERENCE_ALIAS,
     [located_row("resnet", "SingleStream", Units="Latency (ms)",
                  Result_Units="Latency (ms)")], [inference_row()],
     ("value", "Scenario"), "/0/Scenario",
     "Scenario 'SingleStream' does not match the experiment's scenario 'offline'"),
    ("power-row-in-non-power-experiment", "R010", INFERENCE_ALIAS,
     [inference_row(has_power=True)], [inference_row()],
     ("value", "has_power"), "/0/has_power",
     "has_power is true in a non-power experiment (closed)"),
    ("non-power-row-in-power-experiment", "R010", INFERENCE_POWER_ALIAS,
     [inference_row(power=True, has_power=False)], [POWER],
     ("value", "has_power"), "/0/has_power",
     "has_power is false in a power experiment (closed-power)"),
    ("suite-of-other-category", "R010", INFERENCE_ALIAS.replace("edge", "datacenter"),
     [inference_row()], [inference_row(SystemType="datacenter,edge")],
     ("value", "SystemType"), "/0/SystemType",
     "SystemType 'edge' does not include the experiment's category 'datacenter'"),
    ("model-of-other-task", "R010", V40_LANGUAGE,
     [inference_row()], [located_row("gptj-99", "Offline")],
     ("value", "MlperfModel"), "/0/MlperfModel",
     "model 'resnet' is a image-classification benchmark, not language-processing"),
    ("tiny-division", "R010", TINY_OPEN,
     [tiny_row()], [tiny_row(Division="open")],
     ("value", "Division"), "/0/Division",
     "Division 'closed' does not match the experiment's division 'open'"),
    ("training-task", "R010", TRAINING_RECOMMENDATION,
     [training_row()],
     [without(training_row(Model_ID="dlrm", _Model_ID="dlrm", Task="recommendation",
                           _Task="recommendation", Benchmark="recommendation",
                           Dataset="1TB Clickthrough", _Dataset="1TB Clickthrough",
                           dlrm=61.25), "resnet")],
     ("value", "Task"), "/0/Task",
     "Task 'image-classification' does not match the experiment's task 'recommendation'"),
    ("url-of-other-repository", "R011", INFERENCE_ALIAS,
     [inference_row(url="https://github.com/mlcommons/inference_results_v3.1/tree/master/"
                        "closed/Zeta/results/zbox_1/resnet/Offline")],
     [inference_row()],
     ("value", "url"), "/0/url", "url is not git_url + '/tree/<branch>/' + Location"),
    ("url-without-branch", "R011", INFERENCE_ALIAS,
     [inference_row(url="https://github.com/mlcommons/inference_results_v4.0/tree/"
                        "closed/Zeta/results/zbox_1/resnet/Offline")],
     [inference_row()],
     ("value", "url"), "/0/url", "url is not git_url"),
    ("exact-duplicate", "R012", INFERENCE_ALIAS,
     [inference_row(), inference_row()], [inference_row()],
     ("row", 1), "/1", "row 1 is an exact duplicate of row 0"),
    ("submission-repository", "R014", INFERENCE_V41_ALIAS,
     [inference_row(version="v4.1", git_url=PREPUBLICATION,
                    url=f"{PREPUBLICATION}/tree/master/closed/Zeta/results/zbox_1/resnet/"
                        "Offline")],
     [inference_row(version="v4.1")],
     ("value", "git_url"), "/0/git_url",
     "git_url is the pre-publication repository https://github.com/mlcommons/"
     "submissions_inference_v4.1; the public one is https://github.com/mlcommons/"
     "inference_results_v4.1 (branch main)"),
    ("tiny-status-capitalised", "R015", TINY_ALIAS,
     [tiny_row(Status="Available")], [tiny_row()],
     ("value", "Status"), "/0/Status", "Status 'Available' should be spelled 'available'"),
    ("tiny-status-upper", "R015", TINY_ALIAS,
     [tiny_row(Status="RDI")], [tiny_row(Status="rdi")],
     ("value", "Status"), "/0/Status", "Status 'RDI' should be spelled 'rdi'"),
]

FAILING_CODES = {case[1] for case in FAILS}


@pytest.mark.parametrize(("code", "alias", "bad", "anchor", "pointer", "message"),
                         [pytest.param(*case[1:4], *case[5:], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_fails(tmp_path: Path, code: str, alias: str, bad: list[Any], anchor: Anchor,
                    pointer: str, message: str) -> None:
    write_repo(tmp_path, {alias: bad})
    path = result_rel(alias)
    line, column = anchor_position((tmp_path / path).read_text(encoding="utf-8"), anchor)
    findings = lint(tmp_path)
    assert located(findings, code) == [(path, line, column, pointer)]
    (finding,) = [f for f in findings if f.code == code]
    assert message in finding.message


@pytest.mark.parametrize(("code", "alias", "good"),
                         [pytest.param(case[1], case[2], case[4], id=f"{case[1]}-{case[0]}")
                          for case in FAILS])
def test_rule_passes(tmp_path: Path, code: str, alias: str, good: list[Any]) -> None:
    """The minimal fix leaves no finding of the code, and in fact no finding at all."""
    write_repo(tmp_path, with_aggregates({alias: good}))
    findings = lint(tmp_path)
    assert code not in [f.code for f in findings]
    assert [(f.code, f.message) for f in findings] == []


@pytest.mark.parametrize(("code", "alias", "row"), [
    # the v4.1+ summaries write accuracy as 'KEY: value' text: not a placeholder
    pytest.param("R002", INFERENCE_V41_ALIAS,
                 inference_row(version="v4.1", Accuracy="acc: 76.05"), id="R002-key-value"),
    # before v4.1, token rates were officially labelled Samples/s
    pytest.param("R004", V40_LANGUAGE, gptj_row("Samples/s", "v4.0"), id="R004-gptj-v4.0"),
    # up to v2.1, energy per query was also written in Joules
    pytest.param("R005", POWER_SS.replace("v4.0", "v2.1"),
                 energy_row("SingleStream", unit="Joules", version="v2.1",
                            Inference_per_Joule=1 / 12.5,
                            git_url="https://github.com/mlcommons/inference_results_v2.1",
                            url="https://github.com/mlcommons/inference_results_v2.1/tree/"
                                "master/closed/Zeta/results/zbox_1/resnet/SingleStream"),
                 id="R005-joules-v2.1"),
    # a mirror equal to its source as a number of another type
    pytest.param("R007", TINY_ALIAS, tiny_row(Result=48, _Result=48.0), id="R007-int-float"),
    # the network division is spelled 'network' in rows of closed-network experiments
    pytest.param("R010", NETWORK, network_row(), id="R010-network"),
    # the branch is free: main is what the public v4.1 repository uses
    pytest.param("R011", INFERENCE_ALIAS,
                 inference_row(url="https://github.com/mlcommons/inference_results_v4.0/tree/"
                                   "main/closed/Zeta/results/zbox_1/resnet/Offline"),
                 id="R011-main-branch"),
    pytest.param("R015", TINY_ALIAS, tiny_row(Status="preview"), id="R015-preview"),
])
def test_rule_accepts(tmp_path: Path, code: str, alias: str, row: dict[str, Any]) -> None:
    write_repo(tmp_path, {alias: [row]})
    assert code not in [f.code for f in lint(tmp_path)]


def test_same_uid_with_other_content_is_not_an_exact_duplicate(tmp_path: Path) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: [inference_row(), inference_row(Result=1300.0)]})
    assert "R012" not in [f.code for f in lint(tmp_path)]


def test_duplicate_row_points_back_at_the_first_copy(tmp_path: Path) -> None:
    row = inference_row()
    write_repo(tmp_path, {INFERENCE_ALIAS: [row, inference_row(uid="99aa99aa99aa99aa"), row]})
    path = result_rel(INFERENCE_ALIAS)
    text = (tmp_path / path).read_text(encoding="utf-8")
    (finding,) = [f for f in lint(tmp_path) if f.code == "R012"]
    assert (finding.location.path, finding.location.line, finding.location.column,
            finding.location.pointer) == (path, *anchor_position(text, ("row", 2)), "/2")
    assert finding.message == "row 2 is an exact duplicate of row 0"
    assert [(loc.path, loc.line, loc.column, loc.pointer, note)
            for loc, note in finding.related] == [(path, 2, 3, "/0", "first copy")]


def test_positions_pinned_to_literal_values(tmp_path: Path) -> None:
    """The anchors above are computed from the written text; pin a few to literal numbers so
    a mistake in both the builder and the anchor helper cannot go unnoticed."""
    write_repo(tmp_path, {INFERENCE_ALIAS: [
        inference_row(Units="Queries/s", Result_Units="Queries/s"),
        without(inference_row(uid="99aa99aa99aa99aa"), "Accuracy_div_100")]})
    path = result_rel(INFERENCE_ALIAS)
    found = {(f.code, f.location.line, f.location.column, f.location.pointer)
             for f in lint(tmp_path, ["R004", "R008"])}
    assert found == {("R004", 17, 14, "/0/Units"), ("R008", 36, 3, "/1")}
    lines = (tmp_path / path).read_text(encoding="utf-8").splitlines()
    assert lines[16][13:] == '"Queries/s",' and lines[35] == "  {"


def test_rows_of_any_layout_are_located(tmp_path: Path) -> None:
    """One-line files, Windows line ends and raw non-ASCII text are located like the
    repository's own layout."""
    good = inference_row(SystemName="Zéta ☃ Box")
    bad = inference_row(uid="99aa99aa99aa99aa", Scenario="Offine")
    cases = {"one-line": json.dumps([good, bad], ensure_ascii=False),
             "crlf": dump([good, bad]).replace("\n", "\r\n")}
    for name, text in cases.items():
        root = tmp_path / name
        write_repo(root, {INFERENCE_ALIAS: text})
        expected = text.replace("\r\n", "\n")
        (line, column) = anchor_position(expected, ("text", '"Offine"'))
        assert located(lint(root, ["R003"]), "R003") == [
            (result_rel(INFERENCE_ALIAS), line, column, "/1/Scenario")], name


def test_row_uid_with_trailing_newline_is_a_schema_violation(tmp_path: Path) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: [inference_row(uid="1a2b3c4d5e6f7081\n")]})
    assert [f.pointer for f in (x.location for x in lint(tmp_path, ["R001"]))] == ["/0/uid"]


def test_missing_scenario_is_reported_once(tmp_path: Path) -> None:
    write_repo(tmp_path, {INFERENCE_ALIAS: [without(inference_row(), "Scenario")]})
    assert [(f.code, f.location.pointer) for f in lint(tmp_path, ["R"])] == [("R001", "/0")]


def test_a_repeated_key_is_located_at_the_copy_readers_keep(tmp_path: Path) -> None:
    """Readers keep the last of two equal keys; a row finding points at that one."""
    good = dump([inference_row()])
    text = good.replace('"Scenario": "Offline",',
                        '"Scenario": "Offline",\n    "Scenario": "Offine",')
    write_repo(tmp_path, {INFERENCE_ALIAS: text})
    path = result_rel(INFERENCE_ALIAS)
    assert located(lint(tmp_path, ["R003"]), "R003") == [
        (path, *anchor_position(text, ("value", "Scenario", 1)), "/0/Scenario")]
    reverse = good.replace('"Scenario": "Offline",',
                           '"Scenario": "Offine",\n    "Scenario": "Offline",')
    (tmp_path / path).write_text(reverse, encoding="utf-8")
    assert located(lint(tmp_path, ["R003"]), "R003") == []


def test_exact_copies_of_a_row_each_get_its_findings_at_their_own_place(tmp_path: Path) -> None:
    """The engine checks an exact copy once and reports its findings at every copy."""
    bad = inference_row(host_processor_core_count="8 (big)")
    other = inference_row(uid="5f5f5f5f5f5f5f5f", host_processor_core_count="4 (big)")
    write_repo(tmp_path, with_aggregates({INFERENCE_ALIAS: [bad, other, bad, bad]}))
    rel = result_rel(INFERENCE_ALIAS)
    lines = (tmp_path / rel).read_text().splitlines()
    # (line, column of the value) of each row's core count, rows in order
    values = [(number, line.index('": ') + 4) for number, line in enumerate(lines, start=1)
              if '"host_processor_core_count"' in line]
    expected = [(rel, number, column, f"/{row}/host_processor_core_count")
                for row, (number, column) in enumerate(values)]
    found = [f for f in located(lint(tmp_path, ["R002"]), "R002") if f[0] == rel]
    assert found == expected
