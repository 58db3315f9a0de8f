"""The per-file stage of a long lint, spread over the machine's cores.

Loading a result file and running the row rules on it needs nothing from other files, so
worker processes (forked: they inherit the loaded rules, vocabularies and experiments) each
take a share of the files and send back their findings and parsed rows; the parent keeps the
files' order, so the output is the same as a serial run. Short runs (a pre-commit hook with a
few files) stay serial: forking costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlperf_repo_tools.findings import Finding
from mlperf_repo_tools.loading import Document

if TYPE_CHECKING:
    from mlperf_repo_tools.context import ExperimentContext
    from mlperf_repo_tools.discovery import TimestampFolder
    from mlperf_repo_tools.engine import Linter

# Below this many result files a run stays serial.
MIN_FILES = 64
# Environment variable that caps the workers (1 turns the parallel stage off).
JOBS_VARIABLE = "MLPERF_REPO_TOOLS_JOBS"


@dataclass
class FileOutcome:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    rows_checked: int = 0
    document: Document | None = None  # the parsed rows, for the repository-wide checks


class _Collector:
    """Stands in for RepositoryRows in a worker: keeps the document to send back."""

    def __init__(self) -> None:
        self.document: Document | None = None

    def add(self, experiment: Any, document: Document) -> None:
        self.document = document


# Set in the parent just before forking; the workers read it (fork copies it).
_JOB: tuple[Linter, list[tuple[ExperimentContext, TimestampFolder]], bool] | None = None


def workers() -> int:
    wanted = os.environ.get(JOBS_VARIABLE, "")
    count = int(wanted) if wanted.isdigit() else (os.cpu_count() or 1)
    return max(1, count)


def lint_files(linter: Linter, files: list[tuple[ExperimentContext, TimestampFolder]]
               ) -> list[FileOutcome] | None:
    """The outcome of each file in order, or None when the run should stay serial."""
    global _JOB
    count = min(workers(), len(files) // (MIN_FILES // 2) or 1)
    if count < 2 or len(files) < MIN_FILES or \
            "fork" not in multiprocessing.get_all_start_methods():
        return None
    chunks = _chunks(files, count * 4)
    _JOB = (linter, files, "rows" in linter.by_scope)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.map(_lint_chunk, chunks, chunksize=1)
    finally:
        _JOB = None
    return [outcome for part in parts for outcome in part]


def _chunks(files: list[tuple[ExperimentContext, TimestampFolder]], count: int
            ) -> list[range]:
    """Contiguous index ranges of about equal size in bytes."""
    sizes = [_size(ts) for _, ts in files]
    target = max(1, sum(sizes) // count)
    ranges, start, total = [], 0, 0
    for index, size in enumerate(sizes):
        total += size
        if total >= target:
            ranges.append(range(start, index + 1))
            start, total = index + 1, 0
    if start < len(files):
        ranges.append(range(start, len(files)))
    return ranges


def _size(ts: TimestampFolder) -> int:
    try:
        return ts.result_path.stat().st_size if ts.result_path else 0
    except OSError:
        return 0


def _lint_chunk(indexes: range) -> list[FileOutcome]:
    assert _JOB is not None
    linter, files, keep_rows = _JOB
    outcomes = []
    for index in indexes:
        experiment, timestamp = files[index]
        before = len(linter.result.findings)
        files_before, rows_before = linter.result.files_checked, linter.result.rows_checked
        collector = _Collector()
        linter._lint_result_file(experiment, timestamp,
                                 collector if keep_rows else None)  # type: ignore[arg-type]
        outcomes.append(FileOutcome(linter.result.findings[before:],
                                    linter.result.files_checked - files_before,
                                    linter.result.rows_checked - rows_before,
                                    collector.document))
    return outcomes
