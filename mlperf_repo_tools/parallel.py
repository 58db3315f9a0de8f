"""The per-file stage of a long lint, spread over the machine's cores.

Loading a result file and running the row rules on it needs nothing from other files, so
worker processes (forked: they inherit the loaded rules, vocabularies and experiments) each
take a share of the files and send back their findings and parsed rows. Meanwhile the parent
checks the experiments, then takes the outcomes in the files' order as they come, so the
output is the same as a serial run. Short runs (a pre-commit hook with a few files) stay
serial: forking costs more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlperf_repo_tools.consistency import RowFacts, row_facts, share_strings
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
    facts: list[RowFacts] | None = None  # what those checks ask of each row


class _Collector:
    """Stands in for RepositoryRows in a worker: keeps the document to send back."""

    def __init__(self) -> None:
        self.document: Document | None = None

    def add(self, experiment: Any, document: Document) -> None:
        self.document = document


# The text values a worker has seen (see consistency.share_strings).
_STRINGS: dict[str, str] = {}

# Set in the parent just before forking; the workers read it (fork copies it).
_JOB: tuple[Linter, list[tuple[ExperimentContext, TimestampFolder]], bool] | None = None


def workers() -> int:
    wanted = os.environ.get(JOBS_VARIABLE, "")
    count = int(wanted) if wanted.isdigit() else (os.cpu_count() or 1)
    return max(1, count)


@contextmanager
def lint_files(linter: Linter, files: list[tuple[ExperimentContext, TimestampFolder]]
               ) -> Iterator[Iterator[FileOutcome] | None]:
    """Start linting ``files`` in worker processes; within the block, the outcome of each
    file in order, as the workers finish them. None when the run should stay serial."""
    global _JOB
    count = min(workers(), len(files) // (MIN_FILES // 2) or 1)
    if count < 2 or len(files) < MIN_FILES or \
            "fork" not in multiprocessing.get_all_start_methods():
        yield None
        return
    chunks = _chunks(files, count * 4)
    _JOB = (linter, files, "rows" in linter.by_scope)
    try:
        with multiprocessing.get_context("fork").Pool(count) as pool:
            parts = pool.imap(_lint_chunk, chunks, chunksize=1)
            yield (outcome for part in parts for outcome in part)
    finally:
        _JOB = None


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
        document, facts = collector.document, None
        if document is not None and isinstance(document.data, list):
            # Here, in parallel, rather than in the parent (see RepositoryRows.add).
            share_strings(document.data, _STRINGS)
            family = experiment.folder_alias.family
            facts = [row_facts(row, family) for row in document.data if isinstance(row, dict)]
        outcomes.append(FileOutcome(linter.result.findings[before:],
                                    linter.result.files_checked - files_before,
                                    linter.result.rows_checked - rows_before,
                                    document, facts))
    return outcomes
