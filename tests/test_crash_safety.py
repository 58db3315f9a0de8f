"""Crash safety: mlperf-repo-fix killed with SIGKILL at random moments never leaves a file torn.

After every kill each file is byte-identical to its original or to its fixed version, and
parses. Temporary files a killed run leaves are ignored by the linter and removed by the next
run, which then reaches the same fixed repository as an uninterrupted one.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import INFERENCE_POWER_ALIAS, aggregate_alias, inference_row, write_repo

from mlperf_repo_tools.fixing.writing import TEMP_MARKER

TRIALS = 200
TIME_BUDGET = 300.0  # seconds for all trials (about 150 on an idle 2-core machine)
FILES = 8
ROWS_PER_FILE = 60
FIX = [sys.executable, "-m", "mlperf_repo_tools.fixing", "-q"]


def build(root: Path) -> None:
    """An experiment with many result files, each with copies and wrong derived values."""
    write_repo(root, {INFERENCE_POWER_ALIAS: None, aggregate_alias(INFERENCE_POWER_ALIAS): None})
    experiment = root / "experiment" / INFERENCE_POWER_ALIAS
    for number in range(FILES):
        rows = []
        for index in range(ROWS_PER_FILE // 2):
            uid = f"{number:08x}{index:08x}"
            row = inference_row(uid, power=True, Result=1000.0 + index,
                                Inference_per_Joule=1.0, Accuracy_div_100=0.1)
            rows.extend([row, dict(row)])
        folder = experiment / f"2024-03-01.10-20-{number:02d}.000000"
        folder.mkdir()
        (folder / "cm-result.json").write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def write_window(root: Path) -> tuple[float, float, float]:
    """Run the fixer once while watching the files: when the first and the last write landed,
    and how long the whole run took (seconds from start)."""
    before = {p: p.stat().st_mtime_ns for p in root.rglob("cm-result.json")}
    start = time.monotonic()
    proc = subprocess.Popen([*FIX, str(root)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    first = last = None
    while proc.poll() is None:
        changed = sum(p.stat().st_mtime_ns != m for p, m in before.items())
        now = time.monotonic() - start
        if changed and first is None:
            first = now
        if changed == len(before) and last is None:
            last = now
        time.sleep(0.002)
    total = time.monotonic() - start
    assert first is not None, "the fixer changed nothing"
    return first, last or total, total


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes],
                                                                 dict[str, bytes], tuple]:
    base = tmp_path_factory.mktemp("crash")
    original = base / "original"
    build(original)
    fixed = base / "fixed"
    shutil.copytree(original, fixed)
    window = write_window(fixed)
    return original, snapshot(original), snapshot(fixed), window


def test_sigkill_never_tears_a_file(versions: tuple, tmp_path: Path) -> None:
    original, before, after, (first, last, total) = versions
    assert set(before) == set(after) and before != after
    rng = random.Random(20261204)
    started = time.monotonic()
    trials = partial_states = 0
    while trials < TRIALS and time.monotonic() - started < TIME_BUDGET:
        copy = tmp_path / f"trial-{trials}"
        shutil.copytree(original, copy)
        proc = subprocess.Popen([*FIX, str(copy)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        # most kills land while files are being written, some before and after
        delay = rng.uniform(max(0.0, first - 0.1), last + 0.05) if trials % 5 else \
            rng.uniform(0.0, total)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = snapshot(copy)
        fixed_now = 0
        for relpath, data in state.items():
            if TEMP_MARKER in relpath:
                continue  # a temporary file of the killed run: the next run removes it
            assert data in (before[relpath], after[relpath]), f"trial {trials}: {relpath} torn"
            json.loads(data) if relpath.endswith(".json") else None
            fixed_now += data == after[relpath] != before[relpath]
        partial_states += 0 < fixed_now < sum(before[p] != after[p] for p in before)
        if trials % 40 == 0:  # the next run cleans up and reaches the same result
            subprocess.run([*FIX, str(copy)], capture_output=True, check=False)
            assert snapshot(copy) == after, f"trial {trials}: rerun differs"
        shutil.rmtree(copy)
        trials += 1
    assert trials == TRIALS, f"only {trials} trials within {TIME_BUDGET} s"
    assert partial_states >= trials // 10, f"only {partial_states} kills landed mid-run"


def test_linter_ignores_a_stale_temporary_file(versions: tuple, tmp_path: Path) -> None:
    original = versions[0]
    copy = tmp_path / "copy"
    shutil.copytree(original, copy)
    result = next(copy.rglob("cm-result.json"))
    stale = result.parent / f".cm-result.json{TEMP_MARKER}x1.tmp"
    stale.write_text("[{")
    lint = subprocess.run([sys.executable, "-m", "mlperf_repo_tools", str(copy)],
                          capture_output=True, text=True, check=False)
    assert TEMP_MARKER not in lint.stdout and lint.returncode == 1
    subprocess.run([*FIX, str(copy)], capture_output=True, check=False)
    assert not stale.exists()
    assert not [p for p in copy.rglob("*") if TEMP_MARKER in p.name]
    assert os.listdir(result.parent) == ["cm-result.json"]
