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
from mlperf_repo_tools.loading import is_inside, load_meta

log = logging.getLogger(__name__)


@dataclass
class TreeChange:
    experiment: str
    corrected: str
    merged: bool  # into an existing twin (else renamed)
    moved: list[str] = field(default_factory=list)


# How alike a misspelt part and its correction must be (difflib's ratio): 'languge-processing'
# is 0.97 from 'language-processing'; 'text-to-video' (0.77 from 'text-to-image') is a
# different task, not a typo.
TYPO_SIMILARITY = 0.9
# Keys a misspelt experiment's meta may hold for it to be merged away: anything else would be
# lost with it.
MERGEABLE_META_KEYS = frozenset({"alias", "automation_alias", "automation_uid", "tags", "uid"})


def corrected_alias(name: str) -> str | None:
    """The alias with each misspelt part replaced by its one close vocabulary value, or None
    when nothing is misspelt or a part is unknown without being a typo. An unknown version is
    never corrected: it is more likely a round the vocabulary does not know yet."""
    alias = parse_alias(name)
    if not alias.complete or alias.vocab is None:
        return None
    changed = False
    parts = [alias.vocab.prefix]
    for part_name, value in alias.fields.items():
        if part_name == "version":
            if value not in (AGGREGATE_VERSION, *alias.vocab.data["rounds"]):
                return None
            parts.append(value)
            continue
        known = alias.vocab.part_values(part_name)
        if value not in known:
            close = difflib.get_close_matches(value, known, n=1, cutoff=TYPO_SIMILARITY)
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


def refusal(repo: Repository, experiment: ExperimentFolder, corrected: str) -> str | None:
    """Why the experiment cannot be merged or renamed safely, or None."""
    twin = experiment.path.parent / corrected
    for path in (experiment.path, twin):
        if path.is_symlink() or not is_inside(path, repo.root):
            return f"{repo.rel(path)} is a symbolic link or outside the repository"
    if twin.exists() and not twin.is_dir():
        return f"{repo.rel(twin)} exists and is not an experiment folder"
    if not twin.exists():
        return None
    known = {*META_FILES, *(t.name for t in experiment.timestamps)}
    others = sorted(p.name for p in experiment.path.iterdir() if p.name not in known)
    if others:
        return f"it holds files that are not part of the format ({', '.join(others[:3])})"
    for meta in experiment.meta_paths:
        keys = _meta_keys(meta)
        if keys is None or keys - MERGEABLE_META_KEYS:
            return f"its {meta.name} holds more than the meta keys and would be lost"
    return None


def _meta_keys(path: Path) -> set[str] | None:
    document = load_meta(path, path.name, None)
    if not document.ok or document.issues or not isinstance(document.data, dict):
        return None
    if path.suffix == ".yaml" and "#" in (document.text or ""):
        return None  # its comments would be lost
    return set(document.data)


def apply(repo: Repository, experiment: ExperimentFolder, corrected: str) -> TreeChange:
    """Merge or rename; the caller has checked `refusal` first."""
    twin = experiment.path.parent / corrected
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
