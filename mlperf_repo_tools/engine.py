"""The lint pipeline: discover → load with positions → check → located findings.

Result files are processed one at a time and released once their findings are located, so
memory stays bounded by the largest file, not by the repository.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlperf_repo_tools.alias import parse_alias
from mlperf_repo_tools.baseline import FingerprintReader
from mlperf_repo_tools.config import Config
from mlperf_repo_tools.consistency import ContentKey, RepositoryRows, content_key, twin_key
from mlperf_repo_tools.context import ExperimentContext, ResultFileContext, RowContext
from mlperf_repo_tools.discovery import ExperimentFolder, Repository, TimestampFolder, discover
from mlperf_repo_tools.findings import Finding, Location, Problem
from mlperf_repo_tools.loading import Document, load_json, load_meta
from mlperf_repo_tools.rules import Rule, all_rules
from mlperf_repo_tools.vocabulary import extend_vocabularies

if TYPE_CHECKING:
    from mlperf_repo_tools.parallel import FileOutcome

log = logging.getLogger(__name__)


class SelectionError(ValueError):
    """--select or --ignore names no rule."""


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> dict[str, Rule]:
    """Rules whose code starts with a selected prefix (or whose name is selected), minus the
    ignored ones. An entry that matches no rule is an error."""
    rules = all_rules()

    def matches(entry: str) -> set[str]:
        found = {c for c, r in rules.items() if c.startswith(entry.upper()) or r.name == entry}
        if not found:
            raise SelectionError(f"unknown rule code or name '{entry}'")
        return found

    chosen = set(rules)
    select = [s for s in select if s]
    if select:
        chosen = set().union(*(matches(s) for s in select))
    for entry in ignore:
        if entry:
            chosen -= matches(entry)
    return {c: rules[c] for c in sorted(chosen)}


@dataclass
class LintResult:
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    rows_checked: int = 0
    repositories: list[Repository] = field(default_factory=list)

    def covers(self, relpath: str) -> bool:
        """Whether the run reported on this repository-relative path (a partial run reports on
        the given paths only)."""
        return any(repo.in_scope(relpath) for repo in self.repositories)


# Called with (result files visited, result files in the repositories) as the run goes.
ProgressCallback = Callable[[int, int], None]


class Linter:
    def __init__(self, rules: dict[str, Rule], config: Config | None = None,
                 fingerprints: bool = False, progress: ProgressCallback | None = None) -> None:
        self.rules = rules
        self.config = config or Config()
        self.by_scope: dict[str, list[Rule]] = {}
        for rule in rules.values():
            self.by_scope.setdefault(rule.scope, []).append(rule)
        self.result = LintResult()
        self.fingerprints = FingerprintReader() if fingerprints else None
        self.progress = progress
        self._visited = self._total = 0

    def run(self, paths: Iterable[Path], whole_repository: bool = False) -> LintResult:
        if self.config.vocabulary:
            extend_vocabularies(self.config.vocabulary)
        # The run builds millions of objects and keeps them until it ends, which makes the
        # cycle collector walk them again and again (a tenth of a full lint). The run makes no
        # cyclic garbage of note (`RepositoryRows.release` breaks the one cycle its rows
        # form), so the collector rests until the run ends.
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.result.repositories = discover(paths)
            self._total = sum(1 for repo in self.result.repositories
                              for exp in repo.experiments for ts in exp.timestamps
                              if ts.result_path is not None)
            for repo in self.result.repositories:
                if whole_repository:
                    repo.scope = [""]
                self._lint_repository(repo)
        finally:
            if collecting:
                gc.enable()
            if self.config.vocabulary:
                extend_vocabularies({})
        self.result.findings = self.config.apply(self.result.findings)
        self.result.findings.sort(key=Finding.sort_key)
        return self.result

    # -- pipeline stages -------------------------------------------------------------------

    def _lint_repository(self, repo: Repository) -> None:
        if repo.repo_meta is not None and repo.in_scope(repo.rel(repo.repo_meta)):
            self._lint_repo_meta(repo)
        # Every meta is read when one is given (uids must be unique repository-wide); a run
        # given only result files reads the metas of their experiments alone.
        every_meta = any(repo.in_scope(repo.rel(path)) for folder in repo.experiments
                         for path in folder.meta_paths)
        experiments = [self._load_experiment(repo, folder)
                       if every_meta or repo.touches(folder)
                       else ExperimentContext(repo, folder, parse_alias(folder.name))
                       for folder in repo.experiments]
        docs = {d.relpath: d for e in experiments for d in e.meta_docs}
        rows = RepositoryRows(experiments=experiments) if "rows" in self.by_scope else None
        context = _context_experiments(repo, experiments) if rows is not None else set()
        tasks: list[tuple[ExperimentContext, TimestampFolder, bool]] = []
        for exp in experiments:
            for ts in exp.folder.timestamps:
                if ts.result_path is None:
                    continue
                if repo.in_scope(repo.rel(ts.result_path)):
                    tasks.append((exp, ts, True))
                elif exp.folder.name in context and rows is not None:
                    tasks.append((exp, ts, False))
                else:
                    self._advance()
        # On a long run, worker processes lint the result files from here on (see
        # `parallel.py`), while this process checks the experiments and takes in their
        # outcomes as they come.
        from mlperf_repo_tools import parallel

        linted = [i for i, (_, _, lint) in enumerate(tasks) if lint]
        with parallel.lint_files(self, [tasks[i][:2] for i in linted]) as outcomes:
            for rule in self.by_scope.get("repository", []):
                assert rule.check is not None
                for problem in rule.check(experiments):
                    self._emit(rule, problem, None, docs, repo)
            for exp in experiments:
                if repo.in_scope(exp.folder.relpath) or any(
                        repo.in_scope(d.relpath) for d in exp.meta_docs):
                    self._lint_experiment(exp, docs)
            self._lint_result_files(tasks, rows, outcomes)
        if rows is not None:
            self._lint_repository_rows(repo, rows)
            rows.release()

    def _lint_result_files(self, tasks: list[tuple[ExperimentContext, TimestampFolder, bool]],
                           rows: RepositoryRows | None,
                           outcomes: Iterator[FileOutcome] | None) -> None:
        """Lint the result files (``True``) and load the context ones (``False``), in order;
        ``outcomes``, when given, are those of the linted files, from worker processes."""
        for exp, ts, lint in tasks:
            self._advance()
            if lint and outcomes is not None:
                outcome = next(outcomes)
                self.result.findings.extend(outcome.findings)
                self.result.files_checked += outcome.files_checked
                self.result.rows_checked += outcome.rows_checked
                if rows is not None and outcome.document is not None:
                    rows.add(exp, outcome.document, outcome.facts)
            elif lint:
                self._lint_result_file(exp, ts, rows)
            elif rows is not None:
                self._load_context_file(exp, ts, rows)

    def _advance(self) -> None:
        self._visited += 1
        if self.progress is not None:
            self.progress(self._visited, self._total)

    def _lint_repo_meta(self, repo: Repository) -> None:
        assert repo.repo_meta is not None
        doc = load_meta(repo.repo_meta, repo.rel(repo.repo_meta), repo.root)
        self.result.files_checked += 1
        self._emit_load_issues(doc)
        if doc.ok:
            for rule in self.by_scope.get("repo-meta", []):
                self._run(rule, doc, (doc,))

    def _load_experiment(self, repo: Repository, folder: ExperimentFolder) -> ExperimentContext:
        exp = ExperimentContext(repo, folder, parse_alias(folder.name))
        merged: dict[str, Any] | None = None
        for path in sorted(folder.meta_paths, key=lambda p: p.suffix != ".yaml"):
            doc = load_meta(path, repo.rel(path), repo.root)
            exp.meta_docs.append(doc)
            if doc.ok and isinstance(doc.data, dict):
                merged = {**(merged or {}), **doc.data}
            elif doc.ok:
                doc.issue("M010", "experiment meta must be a mapping of keys to values")
        exp.meta = merged
        return exp

    def _lint_experiment(self, exp: ExperimentContext, docs: dict[str, Document]) -> None:
        for doc in exp.meta_docs:
            self.result.files_checked += 1
            self._emit_load_issues(doc)
            if doc.ok and isinstance(doc.data, dict):
                for problem in _meta_key_whitespace(doc.data):
                    self._emit(self.rules.get("F006"), problem, doc, docs, exp.repo)
        # A given meta speaks for its experiment: findings on the folder itself (no timestamp
        # folder, say) are reported with it.
        meta_given = any(exp.repo.in_scope(d.relpath) for d in exp.meta_docs)
        for rule in self.by_scope.get("experiment", []):
            assert rule.check is not None
            for problem in rule.check(exp):
                first = problem.parts[0] if problem.parts else None
                on_folder = problem.path is not None and \
                    problem.path.rstrip("/") == exp.folder.relpath
                self._emit(rule, problem, exp.meta_doc_for(first), docs,
                           None if meta_given and on_folder else exp.repo)

    def _lint_result_file(self, exp: ExperimentContext, ts: TimestampFolder,
                          rows: RepositoryRows | None) -> None:
        assert ts.result_path is not None
        repo = exp.repo
        doc = load_json(ts.result_path, repo.rel(ts.result_path), repo.root, rows=True)
        self.result.files_checked += 1
        self._emit_load_issues(doc)
        if not doc.ok or not isinstance(doc.data, list):
            return
        rf = ResultFileContext(exp, ts, doc)
        for rule in self.by_scope.get("result-file", []):
            self._run(rule, doc, (rf,))
        self._lint_rows(rf)
        if rows is not None:
            doc.release_text()
            rows.add(exp, doc)

    def _load_context_file(self, exp: ExperimentContext, ts: TimestampFolder,
                           rows: RepositoryRows) -> None:
        """Read a result file outside the given paths that repository-wide checks of the
        given ones need (the same experiment, or its aggregate or per-version twins)."""
        assert ts.result_path is not None
        repo = exp.repo
        doc = load_json(ts.result_path, repo.rel(ts.result_path), repo.root, rows=True)
        if doc.ok and isinstance(doc.data, list):
            doc.release_text()
            rows.add(exp, doc)

    def _lint_repository_rows(self, repo: Repository, rows: RepositoryRows) -> None:
        docs = {f.document.relpath: f.document for f in rows.files}
        found: list[tuple[Rule, Problem]] = []
        for rule in self.by_scope.get("rows", []):
            assert rule.check is not None
            for problem in rule.check(rows):
                paths = [problem.path or "", *(p for p, _, _ in problem.related)]
                if any(repo.in_scope(p) for p in paths):
                    found.append((rule, problem))
        # Locate file by file, so only a few texts are read back into memory at once.
        found.sort(key=lambda item: item[1].path or "")
        current: str | None = None
        for rule, problem in found:
            if problem.path != current and current is not None and current in docs:
                docs[current].release_text()
            current = problem.path
            self._emit(rule, problem, None, docs, None)
            for path, _, _ in problem.related:
                if path != current and path in docs:
                    docs[path].release_text()

    def _lint_rows(self, rf: ResultFileContext) -> None:
        row_rules = [(r, r.check) for r in self.by_scope.get("row", []) if r.check]
        vocab = rf.experiment.folder_alias.vocab
        doc = rf.document
        # A row rule sees the row and its experiment (`RowContext` has no index), so an exact
        # copy of an earlier row of the file (a fifth of the rows of the real repository) has
        # that row's problems, at its own index: they are taken over, not checked again.
        earlier: dict[ContentKey, list[tuple[Rule, Problem]]] = {}
        for index, row in enumerate(rf.rows):
            if not isinstance(row, dict):
                continue
            self.result.rows_checked += 1
            key = content_key(row)
            problems = earlier.get(key)
            if problems is None:
                version = row.get("version")
                round_ = vocab.round(version) if vocab and isinstance(version, str) else None
                ctx = RowContext(rf.experiment, vocab, round_)
                problems = earlier[key] = [(rule, problem) for rule, check in row_rules
                                           for problem in check(row, ctx)]
            for rule, problem in problems:
                located = replace(problem, parts=(index, *problem.parts), related=[
                    (p, (index, *parts) if p == doc.relpath else parts, m)
                    for p, parts, m in problem.related])
                self._emit(rule, located, doc, {doc.relpath: doc}, rf.experiment.repo)

    # -- turning problems into located findings ----------------------------------------------

    def _run(self, rule: Rule, doc: Document, args: tuple[Any, ...]) -> None:
        assert rule.check is not None
        for problem in rule.check(*args):
            self._emit(rule, problem, doc, {doc.relpath: doc}, None)

    def _emit_load_issues(self, doc: Document) -> None:
        for issue in doc.issues:
            rule = self.rules.get(issue.code)
            if rule is None:
                continue
            location = Location(doc.relpath, issue.line, issue.column, _pointer(issue.parts))
            self._add(Finding(rule.code, rule.name, rule.severity, issue.message, location),
                      doc, issue.parts)

    def _emit(self, rule: Rule | None, problem: Problem, doc: Document | None,
              docs: dict[str, Document], repo: Repository | None) -> None:
        if rule is None:
            return
        if problem.path is not None:
            doc = docs.get(problem.path)
            if repo is not None and not repo.in_scope(problem.path.rstrip("/")):
                return
        location = _locate(problem.path or (doc.relpath if doc else "?"), doc,
                           problem.parts, problem.at_key)
        related = [(_locate(path, docs.get(path), parts), message)
                   for path, parts, message in problem.related]
        finding = Finding(rule.code, rule.name, rule.severity, problem.message, location,
                          related)
        if self.fingerprints is not None and problem.related:
            finding.related_rows = self.fingerprints.related_rows(
                [(docs.get(path), parts) for path, parts, _ in problem.related])
        self._add(finding, doc, problem.parts)

    def _add(self, finding: Finding, doc: Document | None, parts: tuple[Any, ...]) -> None:
        if self.fingerprints is not None:
            finding.row_identity, finding.content_digest = self.fingerprints.read(doc, parts)
        self.result.findings.append(finding)


def _context_experiments(repo: Repository, experiments: list[ExperimentContext]) -> set[str]:
    """Experiments whose result files repository-wide checks need: those holding a given
    file, and their aggregate and per-version twins. Everything, for a whole repository."""
    if "" in repo.scope:
        return {e.folder.name for e in experiments}
    touched = {e.folder.name for e in experiments if e.folder.timestamps and (
        repo.in_scope(e.folder.relpath)
        or any(p.startswith(e.folder.relpath + "/") for p in repo.scope))}
    keys = {twin_key(name) for name in touched}
    return touched | {e.folder.name for e in experiments if twin_key(e.folder.name) in keys}


def _locate(path: str, doc: Document | None, parts: tuple[str | int, ...],
            at_key: bool = False) -> Location:
    line, column = doc.locate(parts, at_key) if doc is not None else (0, 0)
    return Location(path, line, column, _pointer(parts))


def _pointer(parts: tuple[str | int, ...]) -> str:
    from mlperf_repo_tools.findings import pointer_from_parts

    return pointer_from_parts(parts)


def _meta_key_whitespace(data: dict[str, Any]) -> Iterator[Problem]:
    for key in data:
        if isinstance(key, str) and key != key.strip():
            yield Problem((key,), f"key {key!r} has surrounding whitespace", at_key=True)


def lint_paths(paths: Iterable[Path], select: Iterable[str] = (), ignore: Iterable[str] = (),
               whole_repository: bool = False, config: Config | None = None) -> LintResult:
    """Lint the given paths; ``whole_repository`` reports on every file of their repositories.
    ``config`` adds a repository's configuration (its select and ignore apply unless these
    ones are given)."""
    config = config or Config()
    return Linter(config.rules(select, ignore), config).run(paths, whole_repository)
