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
number and the original uid. Experiment folders, aliases and metas are unchanged; duplicate
rows stay duplicates of each other and nothing else. Two kinds of copies:

- distinct: each copy is another system, its platform name (in ``Platform``, ``Location`` and
  ``url``) suffixed with ``-cN``; the growth the goal is about;
- re-imported: the same rows under new uids, as a second import of the same results would
  be; every ``url`` is then shared by n times as many rows. Measured once, with a time limit.
"""

from __future__ import annotations

import datetime
import hashlib
import math
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
TIMED_OUT = -9
REIMPORT_TIMEOUT = 120.0  # seconds for the 2x repository of re-imported copies
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
_PLATFORM_IN_PATH = re.compile(rb'(/results/[^/"\\]+)/')
_PLATFORM = re.compile(rb'("Platform": "[^"\\]*)"')


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


def run_once(command: Sequence[str], cwd: Path | None = None,
             timeout: float | None = None) -> Run:
    """Run a command with stdout discarded; wall time, exit status, the end of stderr and its
    own peak RSS (from wait4, so each child is measured alone). Past ``timeout`` seconds the
    command is killed and its time is infinite."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors)
        pid, status, usage = os.wait4(proc.pid, 0 if timeout is None else os.WNOHANG)
        while pid == 0:
            if time.perf_counter() - start > (timeout or 0):
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return Run(math.inf, TIMED_OUT, usage.ru_maxrss / 1024, "")
            time.sleep(0.05)
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()[-2000:].decode("utf-8", "replace")
    return Run(seconds, proc.returncode, usage.ru_maxrss / 1024, stderr)


def median_run(command: Sequence[str], runs: int, cwd: Path | None = None,
               prepare: Callable[[], None] | None = None,
               ok: Sequence[int] = (0, 1), warm_up: bool = True) -> list[Run]:
    """An untimed warm-up (unless the files were just written), then ``runs`` timed runs;
    ``prepare`` runs before each, untimed. A run that exits otherwise than ``ok`` or prints a
    traceback stops the benchmark."""
    results = []
    for attempt in range(runs + 1 if warm_up else runs):
        if prepare is not None:
            prepare()
        result = run_once(command, cwd)
        if result.exit_code not in ok or "Traceback" in result.stderr:
            raise BenchmarkError(f"{' '.join(command)[:200]} exited {result.exit_code}:\n"
                                 f"{result.stderr}")
        if attempt or not warm_up:
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


def measure_full_lint(lint: str) -> tuple[float, float, int | None]:
    runs = median_run([lint, str(CORPUS), "--output-format", "json"], RUNS)
    return median(runs), max(r.max_rss_mb for r in runs), findings_of(runs[0])


def findings_of(run: Run) -> int | None:
    """The finding count of a lint's summary line ("N findings (...) in ..."), if printed."""
    found = re.search(r"(\d+) findings? ", run.stderr)
    return int(found.group(1)) if found else None


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
        runs = median_run([fixer, str(copy)], SLOW_RUNS, prepare=fresh_copy, ok=(0, 1, 2),
                          warm_up=False)
    except BenchmarkError as exc:  # the fixer is still being written: report, go on
        log(f"  fixer failed, reported as not available: {exc}")
        return None
    finally:
        shutil.rmtree(copy, ignore_errors=True)
    if any(r.exit_code in FIX_UNAVAILABLE for r in runs):
        return None
    return median(runs)


def build_copies(target: Path, copies: int, distinct: bool) -> Path:
    """The snapshot with ``copies`` times its result files (see the module docstring)."""
    shutil.copytree(CORPUS, target)
    for result in sorted(target.glob("experiment/*/*/cm-result.json")):
        text = result.read_bytes()
        folder = result.parent
        for number in range(1, copies):
            sibling = folder.with_name(f"{2100 + number}{folder.name[4:]}")
            sibling.mkdir()
            (sibling / result.name).write_bytes(_copy_rows(text, number, distinct))
    return target


def _copy_rows(text: bytes, number: int, distinct: bool) -> bytes:
    copied = _ROW_UID.sub(
        lambda m: b'"uid": "' + _new_uid(number, m.group(1)) + b'"', text)
    if distinct:  # another system: its own platform name, Location and url
        suffix = b"-c%d" % number
        copied = _PLATFORM_IN_PATH.sub(lambda m: m.group(1) + suffix + b"/", copied)
        copied = _PLATFORM.sub(lambda m: m.group(1) + suffix + b'"', copied)
    return copied


def _new_uid(number: int, uid: bytes) -> bytes:
    return hashlib.blake2b(b"%d:%s" % (number, uid), digest_size=8).hexdigest().encode()


def measure_scaling(lint: str, workdir: Path) -> tuple[dict[str, float], int | None]:
    """Time of the distinct 2x and 4x repositories (median of SLOW_RUNS) and of the 2x
    re-imported one (one run, stopped at REIMPORT_TIMEOUT: infinite then)."""
    times = {}
    for copies in (2, 4):
        repo = build_copies(workdir / f"x{copies}", copies, distinct=True)
        log(f"  {copies}x repository of distinct copies built")
        times[f"{copies}x"] = median(median_run(
            [lint, str(repo), "--output-format", "json"], SLOW_RUNS, warm_up=False))
        shutil.rmtree(repo)
    repo = build_copies(workdir / "x2-reimport", 2, distinct=False)
    log("  2x repository of re-imported copies built")
    run = run_once([lint, str(repo), "--output-format", "json"], timeout=REIMPORT_TIMEOUT)
    if run.exit_code not in (0, 1, TIMED_OUT) or "Traceback" in run.stderr:
        raise BenchmarkError(f"lint of the re-imported 2x repository failed: {run.stderr}")
    times["2x re-import"] = run.seconds
    shutil.rmtree(repo)
    return times, findings_of(run)


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}"


def measure() -> tuple[list[Line], dict[str, str]]:
    load_before = _load()
    lint = tool("mlperf-repo-lint")
    if lint is None:
        raise SystemExit("mlperf-repo-lint is not installed: pip install -e '.[test]'")
    files = inference_result_files(CORPUS)
    single = pick_single_file(CORPUS)
    single_rel = single.relative_to(CORPUS).as_posix()
    log("full lint ...")
    full, rss, full_findings = measure_full_lint(lint)
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
        scaled, reimport_findings = measure_scaling(lint, Path(tmp))
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
        Line("2x repository (distinct copies), time per 1x", scaled["2x"] / 2, full,
             "full lint (1x)", 1.2, note=f"median of {SLOW_RUNS}; total {scaled['2x']:.2f} s"),
        Line("4x repository (distinct copies), time per 1x", scaled["4x"] / 4, full,
             "full lint (1x)", 1.2,
             note=f"median of {SLOW_RUNS}; total {scaled['4x']:.2f} s; t4x/(4*t1x)"),
        Line("2x repository (re-imported copies), time per 1x", scaled["2x re-import"] / 2,
             full, "full lint (1x)", 1.2,
             note=_reimport_note(scaled["2x re-import"], reimport_findings,
                                 full_findings)),
    ]
    facts = {"files": str(sum(1 for p in CORPUS.rglob("*") if p.is_file())),
             "inference result files": str(len(files)), "load before": load_before}
    return lines, facts


def _reimport_note(seconds: float, findings: int | None, full_findings: int | None) -> str:
    if math.isinf(seconds):
        return f"one run, stopped after {REIMPORT_TIMEOUT:.0f} s: grows faster than linearly"
    # Every re-imported row is also the same result under a second uid: many more findings
    # per row than the snapshot, and their locating and reporting is serial.
    note = f"one run; total {seconds:.2f} s"
    if findings is not None and full_findings is not None:
        note += f"; {findings} findings, against {full_findings} at 1x"
    return note


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "-"
    if math.isinf(value):
        return "> limit"
    return f"{value:.0f} MB" if unit == "MB" else f"{value:.3f} s"


def render(lines: list[Line], facts: dict[str, str]) -> str:
    load_before, load_after = facts["load before"], _load()
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
        f"- cores: {os.cpu_count()}; 1-minute load average {load_before} before the run, "
        f"{load_after} after it (other work on the machine slows every figure alike)",
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
    "timestamp, with every row uid replaced by a unique hash. Distinct copies also rename the "
    "platform (Platform, Location, url: another system); re-imported copies keep every url, "
    "as a second import of the same results would. Linear growth means a time per 1x close to "
    "the 1x time (goal: within 20%).")


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
