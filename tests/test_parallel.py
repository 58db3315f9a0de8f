"""The per-file stage run in worker processes gives exactly the findings of a serial run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from builders import INFERENCE_POWER_ALIAS, aggregate_alias, inference_row, write_repo

from mlperf_repo_tools import parallel
from mlperf_repo_tools.engine import lint_paths


def build(root: Path, files: int) -> None:
    write_repo(root, {INFERENCE_POWER_ALIAS: None, aggregate_alias(INFERENCE_POWER_ALIAS): None})
    experiment = root / "experiment" / INFERENCE_POWER_ALIAS
    for number in range(files):
        row = inference_row(f"{number:016x}", power=True, Inference_per_Joule=1.0)
        rows = [row, dict(row)] if number % 3 else [row]
        folder = experiment / f"2024-03-01.10-{number // 60:02d}-{number % 60:02d}.000000"
        folder.mkdir()
        (folder / "cm-result.json").write_text(json.dumps(rows, indent=2) + "\n")


def findings(root: Path) -> list[tuple[str, str, int, int, str, str]]:
    result = lint_paths([root])
    return [(f.code, f.location.path, f.location.line, f.location.column, f.location.pointer,
             f.message) for f in result.findings]


def test_parallel_run_equals_serial_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build(tmp_path, parallel.MIN_FILES + 6)
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "1")
    serial = findings(tmp_path)
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    chunks: list[int] = []
    original = parallel._chunks

    def spy(files: list[object], count: int) -> list[range]:
        ranges = original(files, count)  # type: ignore[arg-type]
        chunks.append(sum(len(r) for r in ranges))
        return ranges

    monkeypatch.setattr(parallel, "_chunks", spy)
    assert findings(tmp_path) == serial
    assert chunks == [parallel.MIN_FILES + 6]  # the workers did run
    assert {code for code, *_ in serial} >= {"R009", "R012", "X010"}


def test_short_run_stays_serial(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(parallel.JOBS_VARIABLE, "2")
    linter_files = [object()] * 3
    with parallel.lint_files(object(), linter_files) as outcomes:  # type: ignore[arg-type]
        assert outcomes is None
