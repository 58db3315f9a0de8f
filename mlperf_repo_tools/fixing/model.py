"""What the fixer works on: the result files of one twin group (an aggregate experiment and
its per-version experiments), loaded with their text, changed in memory, written once.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mlperf_repo_tools.alias import Alias
from mlperf_repo_tools.consistency import ContentKey, content_key, is_power_row, pair_key, row_uid
from mlperf_repo_tools.discovery import ExperimentFolder
from mlperf_repo_tools.fixing.jsonedit import same_json
from mlperf_repo_tools.loading import Document
from mlperf_repo_tools.vocabulary import Vocabulary


@dataclass
class RowEntry:
    """A row of a result file: its index in the file as read (None for a new row) and its
    current data, which the fixes change in place."""

    origin: int | None
    data: dict[str, Any]

    @property
    def uid(self) -> str | None:
        return row_uid(self.data)

    @property
    def is_power(self) -> bool:
        return is_power_row(self.data)

    @property
    def pair_key(self) -> tuple[Any, ...]:
        return pair_key(self.data)

    def content(self, without: str | None = None) -> ContentKey:
        """A key of the row's content less the key ``without`` (see `content_key`)."""
        return content_key(self.data, without)


@dataclass
class ResultFile:
    experiment: ExperimentFolder
    alias: Alias
    document: Document
    writable: bool  # in scope, parsed cleanly, nothing that a rewrite could lose
    rows: list[RowEntry] = field(default_factory=list)
    applied: Counter[str] = field(default_factory=Counter)
    excused: frozenset[str] = frozenset()  # codes per-file-ignores excuse in this file
    # Why a change is not written (a symbolic link, hard links); fixed in memory all the same,
    # so that the run names the file only when a fix would have changed it.
    blocked: str | None = None

    def may_fix(self, *codes: str) -> bool:
        """Whether the fix of these codes (none excused here) may change this file."""
        return self.writable and self.excused.isdisjoint(codes)

    @property
    def vocab(self) -> Vocabulary | None:
        return self.alias.vocab

    @property
    def is_aggregate(self) -> bool:
        return self.alias.is_aggregate

    @property
    def relpath(self) -> str:
        return self.document.relpath

    def original_rows(self) -> list[Any]:
        data = self.document.data
        return data if isinstance(data, list) else []

    def changed(self) -> bool:
        original = self.original_rows()
        if [r.origin for r in self.rows] != list(range(len(original))):
            return True
        return any(not same_json(r.data, original[i])
                   for i, r in enumerate(self.rows))



@dataclass
class TwinGroup:
    """The result files of experiments that share every alias part but the version."""

    key: str
    files: list[ResultFile] = field(default_factory=list)

    def by_experiment(self) -> dict[str, list[ResultFile]]:
        groups: dict[str, list[ResultFile]] = {}
        for result_file in self.files:
            groups.setdefault(result_file.experiment.name, []).append(result_file)
        return groups
