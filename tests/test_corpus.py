"""The lint of the real results repository snapshot finds every defect docs/domain.md counts.

The snapshot lives in ../shared/corpus beside the checkout. Locally the test is skipped when
it is absent; in CI (CI=true) its absence is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from mlperf_repo_tools.findings import parts_from_pointer

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "cm4mlperf-results"

if not CORPUS.is_dir():
    if os.environ.get("CI") == "true":
        raise RuntimeError(f"the corpus is missing from CI: {CORPUS}")
    pytest.skip("corpus snapshot not present", allow_module_level=True)


@pytest.fixture(scope="module")
def findings() -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "mlperf_repo_tools", "--output-format", "json", str(CORPUS)],
        capture_output=True, text=True, check=False)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    return list(json.loads(proc.stdout))


@cache
def _rows(path: str) -> list[dict[str, Any]]:
    return list(json.loads((CORPUS / path).read_text(encoding="utf-8")))


def _row(finding: dict[str, Any]) -> dict[str, Any]:
    index = int(parts_from_pointer(finding["pointer"])[0])
    return _rows(finding["path"])[index]


def _of(findings: list[dict[str, Any]], code: str) -> list[dict[str, Any]]:
    return [f for f in findings if f["code"] == code]


def test_every_finding_is_located(findings: list[dict[str, Any]]) -> None:
    for finding in findings:
        if not finding["path"].endswith("/"):  # folders have no line
            assert finding["line"] > 0 and finding["column"] > 0, finding


def test_typo_experiments_with_suggestion(findings: list[dict[str, Any]]) -> None:
    typos = _of(findings, "M003")
    assert len(typos) == 12
    assert {f["path"].split("/")[1].split("--")[4] for f in typos} == {"languge-processing"}
    assert all("did you mean 'language-processing'" in f["message"] for f in typos)


def test_missing_tags(findings: list[dict[str, Any]]) -> None:
    missing: Counter[str] = Counter()
    for finding in _of(findings, "M007"):
        for tag in ("inference", "power", "network", "tiny", "training"):
            if f"'{tag}'" in finding["message"]:
                missing[tag] += 1
    assert missing == {"inference": 156, "power": 56, "network": 4, "tiny": 25, "training": 51}


def test_exact_duplicates(findings: list[dict[str, Any]]) -> None:
    duplicates = _of(findings, "R012")
    assert len(duplicates) == 9166
    assert all(f["related"] and f["related"][0]["path"] == f["path"] for f in duplicates)


def test_power_unit_in_result_units(findings: list[dict[str, Any]]) -> None:
    rows = [_row(f) for f in _of(findings, "R006")]
    assert len(rows) == 1245
    assert {r["Result_Units"] for r in rows} == {"Watts", "millijoules"}
    assert all(r["Result"] is None for r in rows)


def test_missing_derived_values(findings: list[dict[str, Any]]) -> None:
    kinds: Counter[str] = Counter()
    for finding in _of(findings, "R008"):
        row = _row(finding)
        assert "Inference_per_Joule" in finding["message"]
        kinds["split stream" if row["Result"] is None else row["Scenario"]] += 1
    assert kinds == {"Offline": 4838, "Server": 434, "split stream": 703}


def test_llm_units(findings: list[dict[str, Any]]) -> None:
    rows = [_row(f) for f in _of(findings, "R004")]
    assert len(rows) == 668
    assert {r["version"] for r in rows} == {"v4.1"}
    assert {r["MlperfModel"].split("-")[0] for r in rows} == {"gptj", "llama2", "mixtral"}


def test_wrong_3d_unet_normalized_accuracy(findings: list[dict[str, Any]]) -> None:
    wrong = _of(findings, "R009")
    assert len(wrong) == 1514
    assert all(f["pointer"].endswith("/Accuracy_div_100") for f in wrong)
    assert {_row(f)["MlperfModel"] for f in wrong} == {"3d-unet-99", "3d-unet-99.9"}


def test_strings_in_numeric_fields(findings: list[dict[str, Any]]) -> None:
    fields = Counter(parts_from_pointer(f["pointer"])[1] for f in _of(findings, "R002"))
    assert fields == {"host_processor_core_count": 8665, "accelerators_per_node": 84,
                      "Accuracy": 4}


def test_tiny_trailing_space_keys(findings: list[dict[str, Any]]) -> None:
    keys = _of(findings, "F006")
    assert len(keys) == 460
    assert all(f["pointer"].endswith("/Operating System ") for f in keys)
    assert sum("another value" in f["message"] for f in keys) == 28


def test_prepublication_links(findings: list[dict[str, Any]]) -> None:
    links = _of(findings, "R014")
    assert len(links) == 1930
    assert {_row(f)["version"] for f in links} == {"v4.1"}


def test_missing_result_files(findings: list[dict[str, Any]]) -> None:
    assert len(_of(findings, "F008")) == 9


def test_network_division_is_not_a_finding(findings: list[dict[str, Any]]) -> None:
    in_network = [f for f in findings if "--closed-network--" in f["path"]
                  and f["code"] in ("R010", "R003", "R001")]
    assert in_network == []


def test_split_power_pairs_are_split_not_missing(findings: list[dict[str, Any]]) -> None:
    split = _of(findings, "X002")
    versions = Counter(_row(f)["version"] for f in split)
    assert set(versions) == {"v4.0", "v4.1"}
    assert len(split) == 1245  # every power row of the split rounds pairs with its run
    assert _of(findings, "X001") == []


def test_aggregates_that_differ_from_their_twin(findings: list[dict[str, Any]]) -> None:
    differing = _of(findings, "X009")
    uids = {_row(f)["uid"] for f in differing}
    assert len(uids) == 281
    keys = Counter(f["message"].rsplit(" in ", 1)[1] for f in differing)
    assert keys == {"Inference_per_Joule": 290, "_reproducibility_report": 3}


def test_rows_identical_except_uid(findings: list[dict[str, Any]]) -> None:
    groups = _of(findings, "X006")
    assert len(groups) == 67
    assert all("--all--" in f["path"] for f in groups)


def test_rows_whose_aggregate_file_is_absent(findings: list[dict[str, Any]]) -> None:
    absent = [f for f in _of(findings, "X010") if "has no result file" in f["message"]]
    aggregates = {f["message"].split("the aggregate ")[1].split()[0] for f in absent}
    assert len(aggregates) == 6
    assert all("--all--edge--open" in a for a in aggregates)
