"""Fixes of the folder tree (unsafe): an experiment whose alias has a typo merges into its
correctly spelled twin, or takes the correct name when it has none (M003).

Each step is one atomic rename or removal, ordered so that an interrupted run loses nothing:
timestamp folders move first (renamed `<timestamp>.N` when the twin has one of that name),
then the misspelt meta goes, then the empty folder.
"""

from __future__ import annotations

import difflib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from mlperf_repo_tools.alias import AGGREGATE_VERSION, parse_alias
from mlperf_repo_tools.discovery import META_FILES, ExperimentFolder, Repository
from mlperf_repo_tools.fixing.writing import WriteError, inside

log = logging.getLogger(__name__)


@dataclass
class TreeChange:
    experiment: str
    corrected: str
    merged: bool  # into an existing twin (else renamed)
    moved: list[str] = field(default_factory=list)


def corrected_alias(name: str) -> str | None:
    """The alias with each unknown part replaced by its one close vocabulary value, or None
    when a part is unknown and has no close match (or nothing is wrong)."""
    alias = parse_alias(name)
    if not alias.complete or alias.vocab is None:
        return None
    changed = False
    parts = [alias.vocab.prefix]
    for part_name, value in alias.fields.items():
        if part_name == "version":
            known = [AGGREGATE_VERSION, *alias.vocab.data["rounds"]]
        else:
            known = alias.vocab.part_values(part_name)
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1, cutoff=0.75)
            if not close:
                return None
            value, changed = close[0], True
        parts.append(value)
    return "--".join(parts) if changed else None


def plan(repo: Repository) -> list[tuple[ExperimentFolder, str]]:
    """The misspelt experiments in scope, each with its corrected alias."""
    result = []
    for experiment in repo.experiments:
        if experiment.outside or not repo.in_scope(experiment.relpath):
            continue
        corrected = corrected_alias(experiment.name)
        if corrected is not None:
            result.append((experiment, corrected))
    return result


def apply(repo: Repository, experiment: ExperimentFolder, corrected: str) -> TreeChange:
    twin = experiment.path.parent / corrected
    for path in (experiment.path, twin):
        if not inside(path, repo.root) or path.is_symlink():
            raise WriteError(f"{path}: not moved, it is a symbolic link or outside "
                             f"the repository {repo.root}")
    if not twin.exists():
        os.rename(experiment.path, twin)
        return TreeChange(experiment.name, corrected, merged=False)
    change = TreeChange(experiment.name, corrected, merged=True)
    for timestamp in experiment.timestamps:
        target = _free_name(twin, timestamp.name)
        os.rename(timestamp.path, target)
        change.moved.append(target.name)
    for name in META_FILES:
        (experiment.path / name).unlink(missing_ok=True)
    try:
        experiment.path.rmdir()
    except OSError:
        log.warning("%s: kept, it still holds files that are not part of the format",
                    experiment.relpath)
    return change


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    number = 0
    while target.exists() or target.is_symlink():
        number += 1
        target = folder / f"{name}.{number}"
    return target
