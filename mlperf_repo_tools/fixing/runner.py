"""The fix pipeline: discover → (unsafe) fix the folder tree → per twin group, load, fix the
metas and rows to a fixed point, rebuild the changed files' text → write or diff.

A twin group (an `all` aggregate and its per-version experiments) is the unit of work, since
fixes of a row propagate to its twin; memory holds one group at a time.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from mlperf_repo_tools.alias import parse_alias
from mlperf_repo_tools.consistency import twin_key
from mlperf_repo_tools.discovery import (
    EXPERIMENT_DIR,
    REPO_META,
    ExperimentFolder,
    Repository,
    discover,
    find_root,
    list_experiments,
    real_path,
)
from mlperf_repo_tools.fixing import meta_fixes, tree_fixes
from mlperf_repo_tools.fixing.jsonedit import (
    EditError,
    check_same,
    detect_style,
    rebuild_array,
    rebuild_object,
    same_json,
)
from mlperf_repo_tools.fixing.model import ResultFile, RowEntry, TwinGroup
from mlperf_repo_tools.fixing.row_fixes import ROW_FIXES
from mlperf_repo_tools.fixing.writing import (
    WriteError,
    remove_stale_temporaries,
    unified_diff,
    why_not_rewritten,
    write_atomically,
)
from mlperf_repo_tools.loading import load_json, load_meta

log = logging.getLogger(__name__)

MAX_PASSES = 10
TREE_CODES = ("M003",)


class FixError(Exception):
    """The fixes did not converge, or a rewrite could not be made safely."""


@dataclass
class FixOptions:
    unsafe: bool = False
    derive_only: bool = False
    dry_run: bool = False  # compute diffs, write nothing
    selected: Callable[[str], bool] = lambda code: True
    ignored: Callable[[str], bool] = lambda code: False
    # The codes that per-file-ignores excuse in a file (by repository path): no fix of those
    # codes changes that file.
    excused: Callable[[str], frozenset[str]] = lambda path: frozenset()


@dataclass
class FixReport:
    changed: dict[str, Counter[str]] = field(default_factory=dict)  # relpath -> code counts
    diffs: list[str] = field(default_factory=list)
    moves: list[tree_fixes.TreeChange] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # fixes refused: the findings remain
    moved_to: list[Path] = field(default_factory=list)  # experiments the tree fixes wrote
    errors: list[str] = field(default_factory=list)

    def record(self, relpath: str, codes: Counter[str]) -> None:
        self.changed.setdefault(relpath, Counter()).update(codes)

    @property
    def counts(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for codes in self.changed.values():
            total.update(codes)
        return total


def fix_paths(paths: Iterable[Path], options: FixOptions) -> FixReport:
    paths = list(paths)
    for path in paths:
        _refuse_links_out(path)
    report = FixReport()
    for repo in discover(paths):
        Fixer(repo, options, report).run()
    return report


class Fixer:
    def __init__(self, repo: Repository, options: FixOptions, report: FixReport) -> None:
        self.repo, self.options, self.report = repo, options, report
        self.row_fixes = [f for f in ROW_FIXES if self._wanted(f.codes, f.safe, f.derive)]

    def _wanted(self, codes: tuple[str, ...], safe: bool, derive: bool) -> bool:
        if self.options.derive_only and not derive:
            return False
        # A fix runs when one of its rules is selected and none is ignored: `--ignore X002`
        # stops the merge that also removes R006 findings.
        return (safe or self.options.unsafe) and any(self.options.selected(c) for c in codes) \
            and not any(self.options.ignored(c) for c in codes)

    def run(self) -> None:
        repo = self.repo
        if not self.options.dry_run:
            remove_stale_temporaries(self._folders())
        renamed: set[str] = set()
        if self._wanted(TREE_CODES, False, False):
            renamed = self._fix_tree()
        groups: dict[str, list[ExperimentFolder]] = {}
        for experiment in repo.experiments:
            if not experiment.outside:
                key = twin_key(experiment.name) or experiment.name
                groups.setdefault(key, []).append(experiment)
        for key, experiments in groups.items():
            if any(self.repo.touches(e) for e in experiments):
                self._fix_group(key, experiments, renamed)

    def _folders(self) -> list[Path]:
        folders = []
        for experiment in self.repo.experiments:
            if not experiment.outside and self.repo.in_scope(experiment.relpath):
                folders.append(experiment.path)
                folders.extend(t.path for t in experiment.timestamps)
        return folders

    def _fix_tree(self) -> set[str]:
        renamed = set()
        for experiment, corrected in tree_fixes.plan(self.repo):
            reason = tree_fixes.refusal(self.repo, experiment, corrected)
            places = [experiment.relpath, *(self.repo.rel(p) for p in experiment.meta_paths)]
            if any("M003" in self.options.excused(place) for place in places):
                reason = "per-file-ignores excuse M003"
            if reason is not None:
                self.report.skipped.append(f"{experiment.relpath}: not merged into {corrected}: "
                                           f"{reason}")
                continue
            merged = (experiment.path.parent / corrected).exists()
            if self.options.dry_run:
                self.report.moves.append(tree_fixes.TreeChange(experiment.name, corrected,
                                                               merged=merged))
                continue
            try:
                change = tree_fixes.apply(self.repo, experiment, corrected)
            except OSError as exc:
                self.report.errors.append(f"{experiment.relpath}: not moved: {exc}")
                continue
            self.report.moves.append(change)
            self.report.moved_to.append(experiment.path.parent / corrected)
            if not change.merged:
                renamed.add(corrected)
            self.repo.scope.append(self.repo.rel(experiment.path.parent / corrected))
        if self.report.moves and not self.options.dry_run:
            self.repo.experiments = list_experiments(self.repo)
        return renamed

    def _fix_group(self, key: str, experiments: list[ExperimentFolder], renamed: set[str]
                   ) -> None:
        for experiment in experiments:
            if self.repo.touches(experiment):
                self._fix_meta(experiment, experiment.name in renamed)
        group = TwinGroup(key)
        for experiment in experiments:
            group.files.extend(self._load_results(experiment))
        if not self.row_fixes or not group.files:
            return
        self._name_excused_fixes(group)
        self._fix_rows(group)
        for result_file in group.files:
            if not (result_file.writable and result_file.changed()):
                continue
            if result_file.blocked is not None:
                self.report.skipped.append(f"{result_file.relpath}: not rewritten: "
                                           f"{result_file.blocked}")
            else:
                self._save(result_file)

    def _name_excused_fixes(self, group: TwinGroup) -> None:
        """Name the files where per-file-ignores stop a fix that would change them: fix a copy
        of the group as if nothing were excused, and see which excused codes it applies."""
        if not any(f.writable and f.excused for f in group.files):
            return
        copy = TwinGroup(group.key, [
            replace(f, rows=[RowEntry(e.origin, _copy(e.data)) for e in f.rows],
                    applied=Counter(), excused=frozenset()) for f in group.files])
        self._fix_rows(copy)
        for original, fixed in zip(group.files, copy.files, strict=True):
            stopped = sorted({code for fix in self.row_fixes for code in fix.codes
                              if code in original.excused
                              and any(fixed.applied[c] for c in fix.codes)})
            if original.writable and stopped:
                self.report.skipped.append(f"{original.relpath}: not fixed here: "
                                           f"per-file-ignores excuse {', '.join(stopped)}")

    def _fix_meta(self, experiment: ExperimentFolder, renamed: bool) -> None:
        tag_fix = self._wanted(meta_fixes.TAG_CODES, True, False)
        if not (tag_fix or renamed):
            return
        repo = self.repo
        documents = [load_meta(p, repo.rel(p), repo.root)
                     for p in experiment.meta_paths if repo.in_scope(repo.rel(p))]
        for edit in meta_fixes.fix_meta(documents, experiment.name, rename=renamed):
            codes = [c for c in edit.codes if c == "M003" or tag_fix]
            if not codes:
                continue
            excused = sorted(set(codes) & self.options.excused(edit.document.relpath))
            reason = f"per-file-ignores excuse {', '.join(excused)}" if excused else \
                why_not_rewritten(edit.document.path)
            if reason is not None:
                self.report.skipped.append(f"{edit.document.relpath}: not rewritten: {reason}")
                continue
            self._write(edit.document.path, edit.document.relpath,
                        edit.document.text or "", edit.new_text, Counter(codes))

    def _load_results(self, experiment: ExperimentFolder) -> list[ResultFile]:
        repo = self.repo
        alias = parse_alias(experiment.name)
        loaded = []
        for timestamp in experiment.timestamps:
            if timestamp.result_path is None:
                continue
            relpath = repo.rel(timestamp.result_path)
            document = load_json(timestamp.result_path, relpath, repo.root, rows=True)
            clean = document.ok and not document.issues and isinstance(document.data, list)
            writable = clean and repo.in_scope(relpath)
            result_file = ResultFile(
                experiment, alias, document, writable, excused=self.options.excused(relpath),
                blocked=why_not_rewritten(timestamp.result_path) if writable else None)
            if isinstance(document.data, list):
                result_file.rows = [RowEntry(i, _copy(row)) for i, row in enumerate(document.data)
                                    if isinstance(row, dict)]
                if len(result_file.rows) != len(document.data):
                    result_file.writable = False  # rows that are not objects: leave it alone
            loaded.append(result_file)
        return loaded

    def _fix_rows(self, group: TwinGroup) -> None:
        for _ in range(MAX_PASSES):
            changes = {fix.codes[0]: fix.apply(group) for fix in self.row_fixes}
            if not any(changes.values()):
                return
        still = ", ".join(code for code, count in changes.items() if count)
        raise FixError(f"{group.key}: fixes did not settle after {MAX_PASSES} passes "
                       f"(still changing: {still}); this is a bug, please report it")

    def _save(self, result_file: ResultFile) -> None:
        document = result_file.document
        assert document.text is not None
        try:
            new_text = render_rows(document.text, result_file)
        except EditError as exc:
            self.report.errors.append(f"{document.relpath}: not rewritten: {exc}")
            return
        self._write(document.path, document.relpath, document.text, new_text,
                    result_file.applied)

    def _write(self, path: Path, relpath: str, before: str, after: str,
               codes: Counter[str]) -> None:
        if before == after:
            return
        if self.options.dry_run:
            self.report.diffs.append(unified_diff(relpath, before, after))
            self.report.record(relpath, codes)
            return
        try:
            write_atomically(path, after, self.repo.root)
        except (WriteError, OSError) as exc:
            self.report.errors.append(f"{relpath}: not rewritten: {exc}")
        else:
            self.report.record(relpath, codes)


def _copy(row: dict[str, object]) -> dict[str, object]:
    return dict(row)  # rows are flat; nested values are never changed in place


def render_rows(text: str, result_file: ResultFile) -> str:
    """The new text of a result file: untouched rows keep their bytes, changed rows are
    rebuilt member by member, dropped rows go with their separators."""
    original = result_file.original_rows()
    start = text.index("[")
    offsets = result_file.document.element_offsets or []
    sorted_keys = all(list(r) == sorted(r) for r in original if isinstance(r, dict))
    style = detect_style(text, offsets[0] if offsets else None, 1, sorted_keys)
    elements: list[tuple[int | None, str | None]] = []
    for entry in result_file.rows:
        if entry.origin is None:
            elements.append((None, style.dumps(entry.data, 1)))
        elif same_json(entry.data, original[entry.origin]):
            elements.append((entry.origin, None))
        else:
            old = original[entry.origin]
            elements.append((entry.origin, rebuild_object(text, offsets[entry.origin], old,
                                                          entry.data, style, 1)))
    body, end = rebuild_array(text, start, elements)
    new_text = text[:start] + body + text[end:]
    check_same(new_text, [e.data for e in result_file.rows], result_file.relpath)
    return new_text



def _refuse_links_out(path: Path) -> None:
    """A given path must lead into the repository it names: through a symbolic link inside
    `repo/`, `repo/experiment/A/TS/cm-result.json` could resolve into another repository, which
    the fixer would then write."""
    logical = Path(os.path.abspath(path))
    real = real_path(path)
    if logical == real:
        return
    named = _named_root(logical)
    actual = find_root(real)
    if named is not None and (actual is None or real_path(named) != actual):
        raise FixError(f"{path}: a symbolic link leads out of the repository {named}; "
                       "give the real path")


def _named_root(logical: Path) -> Path | None:
    """The repository root a path names, found like find_root but without following links."""
    folder = logical if logical.is_dir() and not logical.is_symlink() else logical.parent
    chain = [folder, *folder.parents]
    for candidate in chain:
        if any((candidate / name).is_file() for name in REPO_META):
            return candidate
    return next((c for c in chain if (c / EXPERIMENT_DIR).is_dir()), None)
