"""The rows of many result files at once, for checks that look across rows, files and
experiments: power/performance pairing, duplicates, uid reuse and aggregates.

An aggregate experiment (alias version ``all``) holds the rows of every per-version experiment
with the same other alias parts, under the same uids.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, Generic, TypeVar, overload

from mlperf_repo_tools.alias import AGGREGATE_VERSION
from mlperf_repo_tools.context import ExperimentContext
from mlperf_repo_tools.loading import SCALAR_TYPES, Document
from mlperf_repo_tools.schemas import MAX_PLANS
from mlperf_repo_tools.vocabulary import POWER_UNITS

_T = TypeVar("_T")


class _once(Generic[_T]):
    """A property computed on first use and then stored in the instance. Like
    `functools.cached_property` without its lock, which costs a microsecond per first use:
    the checks make a quarter of a million first uses, all in one thread."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute = compute
        self.name = compute.__name__

    @overload
    def __get__(self, instance: None, owner: Any = None) -> _once[_T]: ...

    @overload
    def __get__(self, instance: object, owner: Any = None) -> _T: ...

    def __get__(self, instance: object | None, owner: Any = None) -> _T | _once[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.compute(instance)
        return value


@dataclass
class LoadedRow:
    """One row of a loaded result file, with where it lives."""

    file: LoadedFile
    index: int
    data: dict[str, Any]

    @property
    def relpath(self) -> str:
        return self.file.document.relpath

    @property
    def uid(self) -> str | None:
        return row_uid(self.data)

    @_once
    def content(self) -> ContentKey:
        """A key equal exactly when the rows are (see `content_key`)."""
        return content_key(self.data)

    @_once
    def content_without_uid(self) -> ContentKey:
        return content_key(self.data, "uid")

    # Cached: the checks ask each row these many times, and lint never changes a row.
    @_once
    def is_power(self) -> bool:
        return is_power_row(self.data)

    @_once
    def pair_key(self) -> tuple[Any, ...]:
        """Rows of one result share it: its power row pairs with its performance row."""
        return pair_key(self.data)

    @_once
    def identity(self) -> tuple[Any, ...]:
        """What names one result: two rows with the same identity must be equal."""
        return row_identity(self.data, self.file.experiment.folder_alias.family)


# What the checks ask of every row (the cached properties of `LoadedRow` of these names). A
# long run computes them in the worker process that read the row, not here.
RowFacts = tuple[Any, ...]
_FACT_NAMES = ("content", "content_without_uid", "is_power", "pair_key", "identity")


def row_facts(row: dict[str, Any], family: str | None) -> RowFacts:
    return (content_key(row), content_key(row, "uid"), is_power_row(row), pair_key(row),
            row_identity(row, family))


def share_strings(rows: list[Any], strings: dict[str, str]) -> None:
    """Make equal text values of these rows one object (the same 40 names, units and systems
    recur in 48,000 rows), through the ``strings`` table."""
    for row in rows:
        if isinstance(row, dict):
            for key, value in row.items():
                if type(value) is str:
                    row[key] = strings.setdefault(value, value)


@dataclass
class LoadedFile:
    experiment: ExperimentContext
    document: Document
    rows: list[LoadedRow] = field(default_factory=list)


# Tiny and training rows have no Location: their results are named by these keys (a tiny
# board can be submitted with several software stacks).
_IDENTITY_KEYS = {
    "tiny": ("version", "Division", "Organization", "__System", "Benchmark", "Model",
             "Software Libraries", "Inference Framework"),
    "training": ("version", "division", "submitter", "system", "Model_ID"),
}


def scalar(value: Any) -> Any:
    """A value for a grouping key, equal exactly when the JSON values are (1, 1.0 and true
    apart): a string or null as it is, anything else as its canonical JSON in a tuple (a list
    where a string belongs is a schema finding, and must not stop the other checks)."""
    if type(value) is str or value is None:
        return value
    return (canonical_json(value),)


def row_uid(row: dict[str, Any]) -> str | None:
    """The row's uid, if it is a string (anything else is a schema finding)."""
    uid = row.get("uid")
    return uid if isinstance(uid, str) else None


def pair_key(row: dict[str, Any]) -> tuple[Any, ...]:
    """What the performance row and the power row of one inference result share."""
    return (scalar(row.get("version")), scalar(row.get("Location")),
            str(row.get("Scenario")).lower())


def row_identity(row: dict[str, Any], family: str | None) -> tuple[Any, ...]:
    """What names one result of a family: two rows with the same identity must be equal."""
    keys = _IDENTITY_KEYS.get(family or "")
    if keys is None:
        return (*pair_key(row), "power" if is_power_row(row) else "performance")
    return tuple(scalar(row.get(k)) for k in keys)


def distinct(rows: Iterable[LoadedRow]) -> list[LoadedRow]:
    """The rows with exact duplicates (same uid, same content) left out."""
    seen: set[Any] = set()
    result = []
    for row in rows:
        if row.content not in seen:
            seen.add(row.content)
            result.append(row)
    return result


# What content_key returns: compare with == and use as a dict key, nothing else.
ContentKey = Hashable

# Per key order of a row (rows of a file share one), and per excluded key: its keys sorted,
# less the excluded one, and a getter of their values in that order. Per tuple of value types:
# the same tuple (shared by the keys), and a test for the floats that JSON text tells apart
# and Python's == does not. Both are cleared when large: hostile input can give every row its
# own key order.
_PLANS: dict[tuple[tuple[str, ...], str | None],
             tuple[tuple[str, ...], Callable[[Any], Any]]] = {}
_TYPE_PLANS: dict[tuple[type, ...], tuple[tuple[type, ...], Callable[[Any], bool] | None]] = {}


def _getter(keys: tuple[Any, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A getter of the items at ``keys`` (of a dict or a tuple) as a tuple (`itemgetter` of
    one key returns the bare item)."""
    if len(keys) > 1:
        return itemgetter(*keys)
    return lambda container: tuple(container[k] for k in keys)


def _odd_float_test(types: tuple[type, ...]) -> Callable[[Any], bool] | None:
    """A test for NaN (never == itself) or -0.0 (== 0.0) among the values of these types;
    None when no value is a float."""
    floats = tuple(i for i, kind in enumerate(types) if kind is float)
    if not floats:
        return None
    pick = _getter(floats)
    return lambda values: any(value != value or (value == 0.0 and math.copysign(1.0, value) < 0)
                              for value in pick(values))


def content_key(row: dict[str, Any], exclude: str | None = None) -> ContentKey:
    """A hashable key of a row's content, less the ``exclude`` key, equal exactly when the
    contents are equal as JSON text would say: key order aside, with 1, 1.0 and true told apart
    (the value types are part of the key), two NaNs equal, 0.0 and -0.0 apart. Rows holding
    objects, arrays, NaN or -0.0 are keyed by their canonical JSON."""
    keys = tuple(row)
    plan = _PLANS.get((keys, exclude))
    if plan is None:
        if len(_PLANS) >= MAX_PLANS:
            _PLANS.clear()
        ordered = tuple(sorted(k for k in keys if k != exclude))
        plan = _PLANS[(keys, exclude)] = (ordered, _getter(ordered))
    ordered, getter = plan
    values = getter(row)
    types = tuple(map(type, values))
    known = _TYPE_PLANS.get(types)
    if known is None:
        if not SCALAR_TYPES.issuperset(types):
            return canonical_json({k: row[k] for k in ordered})
        if len(_TYPE_PLANS) >= MAX_PLANS:
            _TYPE_PLANS.clear()
        known = _TYPE_PLANS[types] = (types, _odd_float_test(types))
    shared, has_odd_float = known
    if has_odd_float is not None and has_odd_float(values):
        return canonical_json({k: row[k] for k in ordered})
    return ordered, values, shared


def canonical_json(value: Any) -> str:
    """JSON text equal exactly when the values are (key order aside, types told apart)."""
    return json.dumps(value, sort_keys=True)


def is_power_row(row: dict[str, Any]) -> bool:
    """A power measurement kept in a row of its own (split from its performance row)."""
    if scalar(row.get("Units")) in POWER_UNITS or scalar(row.get("Result_Units")) in POWER_UNITS:
        return True
    return "Result_Power" in row and row.get("Result") is None


def twin_key(alias_text: str) -> str | None:
    """The alias with its version replaced by 'all': what aggregates and versions share."""
    parts = alias_text.split("--")
    if len(parts) < 3:
        return None
    return "--".join([parts[0], AGGREGATE_VERSION, *parts[2:]])


@dataclass
class RepositoryRows:
    """Every loaded result file of a repository, indexed for cross-row checks."""

    files: list[LoadedFile] = field(default_factory=list)
    experiments: list[ExperimentContext] = field(default_factory=list)
    _strings: dict[str, str] = field(default_factory=dict)
    memo: dict[str, Any] = field(default_factory=dict)  # groupings shared by several checks

    def add(self, experiment: ExperimentContext, document: Document,
            facts: list[RowFacts] | None = None) -> None:
        """Add a loaded result file; ``facts``, when given, are its rows' `row_facts`, and
        its text values are already shared (both done where the file was read)."""
        loaded = LoadedFile(experiment, document)
        data = document.data if isinstance(document.data, list) else []
        if facts is None:
            share_strings(data, self._strings)
        loaded.rows = [LoadedRow(loaded, i, row) for i, row in enumerate(data)
                       if isinstance(row, dict)]
        if facts is not None:
            for row, known in zip(loaded.rows, facts, strict=True):
                row.__dict__.update(zip(_FACT_NAMES, known, strict=True))
        self.files.append(loaded)

    def release(self) -> None:
        """Drop every row, breaking the file-row reference cycles so that memory is freed
        at once, without the cycle collector."""
        for loaded in self.files:
            loaded.rows = []
        self.files = []
        self.memo.clear()

    def rows(self) -> Iterator[LoadedRow]:
        for loaded in self.files:
            yield from loaded.rows

    def by_experiment(self) -> dict[str, list[LoadedRow]]:
        groups: dict[str, list[LoadedRow]] = defaultdict(list)
        for loaded in self.files:
            groups[loaded.experiment.folder.name].extend(loaded.rows)
        return groups

    def distinct_by_experiment(self) -> dict[str, list[LoadedRow]]:
        """Per experiment, its rows with exact copies (same uid, same content) left out.
        Computed once: several checks group these, and no file is added once they run."""
        if "distinct" not in self.memo:
            self.memo["distinct"] = {name: distinct(rows)
                                     for name, rows in self.by_experiment().items()}
        result: dict[str, list[LoadedRow]] = self.memo["distinct"]
        return result

    def twin_groups(self) -> dict[str, tuple[list[str], list[str]]]:
        """For each twin key: the aggregate experiment names and the per-version ones, among
        all experiments of the repository (loaded or not)."""
        groups: dict[str, tuple[list[str], list[str]]] = {}
        for exp in self.experiments:
            key = twin_key(exp.folder.name)
            if key is None or exp.folder_alias.vocab is None:
                continue
            aggregates, versions = groups.setdefault(key, ([], []))
            (aggregates if exp.folder_alias.is_aggregate else versions).append(exp.folder.name)
        return groups
