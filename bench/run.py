"""Benchmark mlperf-repo-lint and mlperf-repo-fix against check-jsonschema and a parse floor.

Run from anywhere with the project's virtual environment active::

    python bench/run.py

It reads the real repository snapshot in ``../shared/corpus/cm4mlperf-results`` (never
changing it), times every command as a separate process, start-up included, and prints the
results table, which it also writes to ``BENCHMARKS.md`` at the project root. Each figure is
the median of several runs after one untimed warm-up run, so the file cache is warm.

The synthetic 2x and 4x repositories are built in a temporary folder: a copy of the snapshot
in which every timestamp folder gets (n - 1) siblings, named like it with the year replaced,
whose result file is the original text with every row ``uid`` replaced by a hash of the copy
number and the original uid. Experiment folders, aliases and metas are unchanged; each result
file keeps its size and layout; duplicate rows stay duplicates of each other and nothing else.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
SHARED = PROJECT.parent / "shared"
CORPUS = SHARED / "corpus" / "cm4mlperf-results"
REFERENCE_SCHEMA = SHARED / "bench" / "reference-row-schema.json"
RUNS = 5  # fast measurements
SLOW_RUNS = 3  # the fixer and the synthetic 2x and 4x repositories
FIX_UNAVAILABLE = (2, 127)  # the fixer's "not implemented" exit, or no such program

# The floor: what any Python tool pays to read and parse every file with the stdlib.
FLOOR_SCRIPT = """
import json, os, sys
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        with open(os.path.join(folder, name), "rb") as handle:
            data = handle.read()
        if name.endswith(".json"):
            json.loads(data)
"""
_ROW_UID = re.compile(rb'"uid": "([0-9a-f]{16})"')


@dataclass
class Run:
    seconds: float
    exit_code: int
    max_rss_mb: float
    stderr: str


class BenchmarkError(Exception):
    """A measured command failed: its time would be meaningless."""


@dataclass
class Line:
    name: str
    ours: float | None
    reference: float | None
    reference_name: str
    goal: float
    unit: str = "s"
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.ours is None:
            return None
        return self.ours / self.reference if self.reference else self.ours

    @property
    def verdict(self) -> str:
        if self.ratio is None:
            return "not available"
        return "met" if self.ratio <= self.goal else "MISSED"


def tool(name: str) -> str | None:
    """A console script of the active environment (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def run_once(command: Sequence[str], cwd: Path | None = None) -> Run:
    """Run a command with stdout discarded; wall time, exit status, the end of stderr and its
    own peak RSS (from wait4, so each child is measured alone)."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()[-2000:].decode("utf-8", "replace")
    return Run(seconds, proc.returncode, usage.ru_maxrss / 1024, stderr)


def median_run(command: Sequence[str], runs: int, cwd: Path | None = None,
               prepare: Callable[[], None] | None = None,
               ok: Sequence[int] = (0, 1)) -> list[Run]:
    """One untimed warm-up, then ``runs`` timed runs; ``prepare`` runs before each, untimed.
    A run that exits otherwise than ``ok`` or prints a traceback stops the benchmark."""
    results = []
    for attempt in range(runs + 1):
        if prepare is not None:
            prepare()
        result = run_once(command, cwd)
        if result.exit_code not in ok or "Traceback" in result.stderr:
            raise BenchmarkError(f"{' '.join(command)[:200]} exited {result.exit_code}:\n"
                                 f"{result.stderr}")
        if attempt:
            results.append(result)
    return results


def median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def inference_result_files(root: Path) -> list[Path]:
    return sorted(root.glob("experiment/mlperf-inference-*/*/cm-result.json"))


def pick_single_file(root: Path) -> Path:
    """The inference result file of median size: a typical file a contributor changes."""
    files = sorted(inference_result_files(root), key=lambda p: (p.stat().st_size, p))
    return files[len(files) // 2]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def measure_full_lint(lint: str) -> tuple[float, float]:
    runs = median_run([lint, str(CORPUS), "--output-format", "json"], RUNS)
    return median(runs), max(r.max_rss_mb for r in runs)


def measure_check_jsonschema(files: Sequence[Path]) -> float:
    program = tool("check-jsonschema")
    if program is None:
        raise SystemExit("check-jsonschema is not installed: pip install -e '.[test]'")
    command = [program, "--schemafile", str(REFERENCE_SCHEMA), *map(str, files)]
    return median(median_run(command, RUNS, cwd=CORPUS))


def measure_floor() -> float:
    return median(median_run([sys.executable, "-c", FLOOR_SCRIPT, str(CORPUS)], RUNS))


def measure_fix(workdir: Path) -> float | None:
    fixer = tool("mlperf-repo-fix")
    if fixer is None:
        return None
    copy = workdir / "fix-copy"

    def fresh_copy() -> None:
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(CORPUS, copy)
        for folder, _, names in os.walk(copy):  # the snapshot's files are read-only
            for name in names:
                os.chmod(os.path.join(folder, name), 0o644)

    probe = run_once([fixer, "--help"])
    if probe.exit_code in FIX_UNAVAILABLE:
        return None
    try:
        runs = median_run([fixer, str(copy)], SLOW_RUNS, prepare=fresh_copy, ok=(0, 1, 2))
    except BenchmarkError as exc:  # the fixer is still being written: report, go on
        log(f"  fixer failed, reported as not available: {exc}")
        return None
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    if any(r.exit_code in FIX_UNAVAILABLE for r in runs):
        return None
    return median(runs)


def build_copies(target: Path, copies: int) -> Path:
    """The snapshot with ``copies`` times its result files (see the module docstring)."""
    shutil.copytree(CORPUS, target)
    for result in sorted(target.glob("experiment/*/*/cm-result.json")):
        text = result.read_bytes()
        folder = result.parent
        for number in range(1, copies):
            sibling = folder.with_name(f"{2100 + number}{folder.name[4:]}")
            sibling.mkdir()
            (sibling / result.name).write_bytes(_ROW_UID.sub(
                lambda m, n=number: b'"uid": "' + _new_uid(n, m.group(1)) + b'"', text))
    return target


def _new_uid(number: int, uid: bytes) -> bytes:
    return hashlib.blake2b(b"%d:%s" % (number, uid), digest_size=8).hexdigest().encode()


def measure_scaling(lint: str, workdir: Path) -> dict[int, float]:
    times = {}
    for copies in (2, 4):
        repo = build_copies(workdir / f"x{copies}", copies)
        log(f"  {copies}x repository built")
        times[copies] = median(median_run([lint, str(repo), "--output-format", "json"],
                                          SLOW_RUNS))
        shutil.rmtree(repo)
    return times


def measure() -> tuple[list[Line], dict[str, str]]:
    lint = tool("mlperf-repo-lint")
    if lint is None:
        raise SystemExit("mlperf-repo-lint is not installed: pip install -e '.[test]'")
    files = inference_result_files(CORPUS)
    single = pick_single_file(CORPUS)
    single_rel = single.relative_to(CORPUS).as_posix()
    log("full lint ...")
    full, rss = measure_full_lint(lint)
    log("check-jsonschema, all inference result files ...")
    reference_all = measure_check_jsonschema(files)
    log("floor ...")
    floor = measure_floor()
    log("one changed file ...")
    one = median(median_run([lint, single_rel], RUNS, cwd=CORPUS))
    reference_one = measure_check_jsonschema([single])
    with tempfile.TemporaryDirectory(prefix="mlperf-bench-") as tmp:
        log("fixer ...")
        fix = measure_fix(Path(tmp))
        log("synthetic 2x and 4x repositories ...")
        scaled = measure_scaling(lint, Path(tmp))
    lines = [
        Line("full lint vs check-jsonschema", full, reference_all,
             f"check-jsonschema, {len(files)} inference result files", 0.25),
        Line("full lint vs parse floor", full, floor, "stdlib json, every file", 2.0),
        Line("one changed file (pre-commit)", one, reference_one,
             "check-jsonschema, the same file", 1.3, note=single_rel),
        Line("mlperf-repo-fix on a fresh copy vs floor", fix, floor,
             "stdlib json, every file", 2.0, note=f"median of {SLOW_RUNS}"),
        Line("peak memory of the full lint", rss, None, "", 300.0, unit="MB",
             note="max RSS of the lint process, worst of its runs"),
        Line("2x repository, time per 1x vs 1x", scaled[2] / 2, full, "full lint (1x)", 1.2,
             note=f"median of {SLOW_RUNS}; total {scaled[2]:.2f} s"),
        Line("4x repository, time per 1x vs 1x", scaled[4] / 4, full, "full lint (1x)", 1.2,
             note=f"median of {SLOW_RUNS}; total {scaled[4]:.2f} s; t4x/(4*t1x)"),
    ]
    facts = {"files": str(sum(1 for p in CORPUS.rglob("*") if p.is_file())),
             "inference result files": str(len(files))}
    return lines, facts


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    return f"{value:.0f} MB" if unit == "MB" else f"{value:.3f} s"


def render(lines: list[Line], facts: dict[str, str]) -> str:
    header = ["| measurement | ours | reference | ratio | goal | result | notes |",
              "| --- | ---: | --- | ---: | ---: | --- | --- |"]
    body = []
    for line in lines:
        ratio = "-" if line.ratio is None else f"{line.ratio:.2f}"
        if line.unit == "MB":
            ratio, goal = _number(line.ours, "MB"), f"<= {line.goal:.0f} MB"
        else:
            goal = f"<= {line.goal:g}"
        reference = (f"{_number(line.reference, 's')} ({line.reference_name})"
                     if line.reference is not None else "-")
        body.append(f"| {line.name} | {_number(line.ours, line.unit)} | {reference} | {ratio} "
                    f"| {goal} | {line.verdict} | {line.note} |")
    machine = [
        f"- date: {datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- cores: {os.cpu_count()}",
        f"- python: {platform.python_version()} ({platform.python_implementation()})",
        f"- platform: {platform.platform()}",
        f"- corpus: {CORPUS.name}, {facts['files']} files, "
        f"{facts['inference result files']} inference result files",
        f"- runs: median of {RUNS} after one warm-up, {SLOW_RUNS} for the fixer and the "
        "synthetic repositories; every figure is a whole process, start-up included",
    ]
    return "\n".join(["# Benchmarks", "", "Written by `python bench/run.py`; do not edit.", "",
                      *machine, "", *header, *body, "", _SCALING_NOTE, ""])


_SCALING_NOTE = (
    "The 2x and 4x repositories repeat every timestamp folder of the snapshot under a new "
    "timestamp, with every row uid replaced by a unique hash; linear growth means a time per "
    "1x close to the 1x time (goal: within 20%).")


def main() -> int:
    if not CORPUS.is_dir() or not REFERENCE_SCHEMA.is_file():
        print(f"missing {CORPUS} or {REFERENCE_SCHEMA}", file=sys.stderr)
        return 2
    try:
        lines, facts = measure()
    except BenchmarkError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2
    report = render(lines, facts)
    (PROJECT / "BENCHMARKS.md").write_text(report, encoding="utf-8")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
