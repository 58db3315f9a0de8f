"""What rules look at: an experiment with its parsed alias and meta, a result file, a row."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlperf_repo_tools.alias import Alias
from mlperf_repo_tools.discovery import ExperimentFolder, Repository, TimestampFolder
from mlperf_repo_tools.loading import Document
from mlperf_repo_tools.vocabulary import Vocabulary


@dataclass
class ExperimentContext:
    repo: Repository
    folder: ExperimentFolder
    folder_alias: Alias  # parsed from the folder name, which places the rows
    meta: dict[str, Any] | None = None  # YAML meta updated by JSON meta, as cmind loads it
    meta_docs: list[Document] = field(default_factory=list)

    def meta_doc_for(self, key: str | int | None) -> Document | None:
        """The meta file that defines ``key`` (JSON wins, as in cmind)."""
        for doc in sorted(self.meta_docs, key=lambda d: not d.relpath.endswith(".json")):
            if doc.ok and isinstance(doc.data, dict) and (key is None or key in doc.data):
                return doc
        return self.meta_docs[0] if self.meta_docs else None


@dataclass
class ResultFileContext:
    experiment: ExperimentContext
    timestamp: TimestampFolder
    document: Document

    @property
    def rows(self) -> list[Any]:
        data = self.document.data
        return data if isinstance(data, list) else []


@dataclass
class RowContext:
    """What a row rule sees besides the row. Not the row's index: the engine gives an exact
    copy of a row the problems of the first copy."""

    experiment: ExperimentContext
    vocab: Vocabulary | None
    round: dict[str, Any] | None  # the vocabulary of the row's own round, if known

    @property
    def alias(self) -> Alias:
        return self.experiment.folder_alias
