"""Fixes of result rows, each named by the rule whose findings it removes.

Every fix changes the rows of a twin group in memory and returns how many changes it made;
the driver repeats them until none changes anything. A fix only ever acts where the outcome
is unambiguous: anything else stays as it is and remains a lint finding.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from mlperf_repo_tools.consistency import ContentKey
from mlperf_repo_tools.derived import (
    accuracy_fraction,
    inference_per_joule,
    is_accuracy_text,
    is_number,
    power_unit,
)
from mlperf_repo_tools.fixing.jsonedit import same_json
from mlperf_repo_tools.fixing.model import ResultFile, RowEntry, TwinGroup
from mlperf_repo_tools.schemas import row_schema
from mlperf_repo_tools.vocabulary import POWER_UNITS

DERIVED_KEYS = ("Inference_per_Joule", "Accuracy_div_100")
# On a split power row these keys say it is a power row; every other key must equal the
# performance row's for the two to be one result.
_POWER_ROW_KEYS = frozenset({"uid", "Result", "Result_Units", "Units", "Result_Power",
                             "Result_Power_Units", "Inference_per_Joule"})
_UID = "uid"
# Where the unsafe placeholder fix keeps the text it replaces with null: "<key>_text".
PLACEHOLDER_SUFFIX = "_text"


@dataclass(frozen=True)
class RowFix:
    codes: tuple[str, ...]  # the rules whose findings it fixes
    safe: bool
    derive: bool  # part of `--derive`
    apply: Callable[[TwinGroup], int]
    summary: str


def _writable_rows(group: TwinGroup, code: str | None
                   ) -> Iterator[tuple[ResultFile, RowEntry]]:
    """The rows of the files that the fix of ``code`` (None: of some code) may change."""
    for result_file in group.files:
        if result_file.writable if code is None else result_file.may_fix(code):
            for entry in result_file.rows:
                yield result_file, entry


def _note(result_file: ResultFile, code: str, count: int = 1) -> int:
    result_file.applied[code] += count
    return count


def drop_exact_duplicates(group: TwinGroup) -> int:
    """R012: keep the first of rows with the same uid and the same content in one file."""
    changes = 0
    for result_file in group.files:
        if not result_file.may_fix("R012"):
            continue
        seen: set[ContentKey] = set()
        kept = []
        for entry in result_file.rows:
            content = entry.content()
            if content in seen:
                changes += _note(result_file, "R012")
            else:
                seen.add(content)
                kept.append(entry)
        result_file.rows = kept
    return changes


def drop_power_twins(group: TwinGroup) -> int:
    """X006: of power rows of one file identical except uid (one measurement imported twice),
    keep one when a performance row of that result is in the experiment. The one kept is the
    one whose uid the twin experiments also use, else the first."""
    uids_by_side = _uids_by_side(group)
    performance = _performance_keys(group)
    changes = 0
    for result_file in group.files:
        if not result_file.may_fix("X006"):
            continue
        other_side = uids_by_side[not result_file.is_aggregate]
        copies: dict[ContentKey, list[RowEntry]] = defaultdict(list)
        for entry in result_file.rows:
            if entry.is_power and (result_file.experiment.name, entry.pair_key) in performance:
                copies[entry.content(_UID)].append(entry)
        drop: set[int] = set()
        for entries in copies.values():
            if len({e.uid for e in entries}) < 2:
                continue
            keep = next((e for e in entries if e.uid in other_side), entries[0])
            drop.update(id(e) for e in entries if e is not keep)
        if drop:
            result_file.rows = [e for e in result_file.rows if id(e) not in drop]
            changes += _note(result_file, "X006", len(drop))
    return changes


def _uids_by_side(group: TwinGroup) -> dict[bool, set[str]]:
    sides: dict[bool, set[str]] = {True: set(), False: set()}
    for result_file in group.files:
        sides[result_file.is_aggregate].update(e.uid for e in result_file.rows if e.uid)
    return sides


def _performance_keys(group: TwinGroup) -> set[tuple[str, tuple[Any, ...]]]:
    return {(f.experiment.name, e.pair_key) for f in group.files for e in f.rows
            if not e.is_power}


def merge_split_pairs(group: TwinGroup) -> int:
    """X002: merge a power row into the one performance row of its result (same experiment,
    version, Location and scenario): `Result_Power`, `Result_Power_Units`, then drop it.
    Only when exactly one performance content and one power value match, and the power row
    agrees with the performance row on everything else."""
    changes = 0
    for files in group.by_experiment().values():
        if not all(f.may_fix("X002", "R006") and f.blocked is None for f in files):
            continue  # a pair may span files: change all of them or none
        by_key: dict[tuple[Any, ...], list[tuple[ResultFile, RowEntry]]] = defaultdict(list)
        for result_file in files:
            for entry in result_file.rows:
                by_key[entry.pair_key].append((result_file, entry))
        for members in by_key.values():
            changes += _merge_one(members)
    return changes


def _merge_one(members: list[tuple[ResultFile, RowEntry]]) -> int:
    performance = [(f, e) for f, e in members if not e.is_power]
    power = [(f, e) for f, e in members if e.is_power]
    if not power or not performance:
        return 0
    if len({e.content(_UID) for _, e in performance}) != 1:
        return 0  # rows identical except uid count as one (as the X002 rule counts them)
    values = {(e.data.get("Result_Power"), power_unit(e.data)) for _, e in power}
    if len(values) != 1:
        return 0
    (watts, unit), = values
    target = performance[0][1].data
    if unit is None or not is_number(watts) or not all(_units_agree(e.data) for _, e in power):
        return 0
    if "Result_Power_Units" in target and target["Result_Power_Units"] != unit:
        return 0
    if any(not _same_result(target, e.data) for _, e in power):
        return 0
    if "Result_Power" in target and (target["Result_Power"], power_unit(target)) != (watts, unit):
        return 0
    merged = {"Result_Power": watts, "Result_Power_Units": unit}
    for result_file, entry in performance:
        if any(entry.data.get(k) != v for k, v in merged.items()):
            entry.data.update(merged)
            _note(result_file, "X002")
    dropped = {id(e) for _, e in power}
    for result_file in {id(f): f for f, _ in power}.values():
        before = len(result_file.rows)
        result_file.rows = [e for e in result_file.rows if id(e) not in dropped]
        _note(result_file, "X002", before - len(result_file.rows))
    return len(power)


def _same_result(performance: dict[str, Any], power: dict[str, Any]) -> bool:
    keys = (set(performance) | set(power)) - _POWER_ROW_KEYS
    return all(same_json(performance.get(k), power.get(k)) for k in keys)



def _units_agree(row: dict[str, Any]) -> bool:
    """A power row's unit keys, where present, name one unit."""
    units = {row.get(k) for k in ("Result_Power_Units", "Units", "Result_Units") if k in row}
    return len(units & POWER_UNITS) <= 1 and (
        "Result_Power_Units" not in row or row["Result_Power_Units"] in POWER_UNITS)


def derive_metrics(group: TwinGroup) -> int:
    """R008, R009: set `Inference_per_Joule` and `Accuracy_div_100` to their exact
    recomputation where their inputs are there; drop `Inference_per_Joule` where they are
    not."""
    changes = 0
    split_power = {(f.experiment.name, e.pair_key) for f in group.files for e in f.rows
                   if e.is_power}
    for result_file, entry in _writable_rows(group, None):
        vocab = result_file.vocab
        if vocab is None or vocab.family != "inference":
            continue
        row = entry.data
        wanted = {"Inference_per_Joule": inference_per_joule(row),
                  "Accuracy_div_100": accuracy_fraction(row, vocab)}
        orphan = wanted["Inference_per_Joule"] is None
        if orphan and (result_file.experiment.name, entry.pair_key) in split_power:
            wanted.pop("Inference_per_Joule")  # its power is in a row not merged: ambiguous
        for key, value in wanted.items():
            if value is not None and (key not in row or not _identical(row[key], value)):
                code = "R009" if key in row else "R008"
                if result_file.may_fix(code):
                    row[key] = value
                    changes += _note(result_file, code)
            elif value is None and key == "Inference_per_Joule" and key in row \
                    and key in wanted and result_file.may_fix("R009"):
                del row[key]
                changes += _note(result_file, "R009")
    return changes


def _identical(stored: Any, value: float) -> bool:
    return isinstance(stored, float | int) and not isinstance(stored, bool) and stored == value


def align_aggregates(group: TwinGroup) -> int:
    """X009: a row of an aggregate and the row with its uid in a per-version experiment get
    each other's missing keys (a reproducibility link, say). Keys whose values differ are left
    for a person to decide; derived keys are the derive fix's."""
    aggregate: dict[str, list[tuple[ResultFile, RowEntry]]] = defaultdict(list)
    versions: dict[str, list[tuple[ResultFile, RowEntry]]] = defaultdict(list)
    for result_file in group.files:
        side = aggregate if result_file.is_aggregate else versions
        for entry in result_file.rows:
            if entry.uid:
                side[entry.uid].append((result_file, entry))
    changes = 0
    for uid, mine in aggregate.items():
        theirs = versions.get(uid)
        if not theirs or len({e.content() for _, e in mine}) != 1 \
                or len({e.content() for _, e in theirs}) != 1:
            continue
        changes += _copy_missing(mine, theirs[0][1].data) + _copy_missing(theirs, mine[0][1].data)
    return changes


def _copy_missing(targets: list[tuple[ResultFile, RowEntry]], source: dict[str, Any]) -> int:
    changes = 0
    for result_file, entry in targets:
        missing = {k: v for k, v in source.items()
                   if k not in entry.data and k not in DERIVED_KEYS}
        if missing and result_file.may_fix("X009"):
            entry.data.update(missing)
            changes += _note(result_file, "X009")
    return changes


def null_placeholders(group: TwinGroup) -> int:
    """R002 (unsafe): text in a numeric field becomes null; the text moves to `<key>_text`."""
    changes = 0
    for result_file, entry in _writable_rows(group, "R002"):
        family = result_file.alias.family
        if family is None:
            continue
        numeric = row_schema(family).numeric
        row = entry.data
        for key, value in list(row.items()):
            if not isinstance(value, str) or key not in numeric:
                continue
            if key == "Accuracy" and is_accuracy_text(value):
                continue
            side = key + PLACEHOLDER_SUFFIX
            if side in row and row[side] != value:
                continue  # the side field holds other text: nothing may be lost
            row[key], row[side] = None, value
            changes += _note(result_file, "R002")
    return changes


def public_links(group: TwinGroup) -> int:
    """R014 (unsafe): links into a round's pre-publication repository point to its public
    results repository, on the branch that exists there."""
    changes = 0
    for result_file, entry in _writable_rows(group, "R014"):
        vocab = result_file.vocab
        row = entry.data
        round_ = vocab.round(str(row.get("version"))) if vocab else None
        public = (round_ or {}).get("public_repository")
        git_url, location = row.get("git_url"), row.get("Location")
        private = [u.rstrip("/") for u in (round_ or {}).get("prepublication_repositories", [])]
        if not public or not isinstance(git_url, str) or git_url.rstrip("/") not in private:
            continue
        row["git_url"] = public["url"]
        if isinstance(location, str) and isinstance(row.get("url"), str) \
                and row["url"].startswith(git_url.rstrip("/") + "/tree/"):
            row["url"] = f"{public['url']}/tree/{public['branch']}/{location.strip('/')}"
        changes += _note(result_file, "R014")
    return changes


def status_case(group: TwinGroup) -> int:
    """R015 (unsafe): tiny `Status` spelled in another case takes the vocabulary's spelling."""
    changes = 0
    for result_file, entry in _writable_rows(group, "R015"):
        vocab = result_file.vocab
        status = entry.data.get("Status")
        if vocab is None or vocab.family != "tiny" or not isinstance(status, str):
            continue
        known = vocab.data["status"]
        if status not in known and status.lower() in known:
            entry.data["Status"] = status.lower()
            changes += _note(result_file, "R015")
    return changes


def token_units(group: TwinGroup) -> int:
    """R004 (unsafe): LLM rows of rounds whose official unit is `Tokens/s`, labelled
    `Samples/s` or `Queries/s`, are relabelled (`Units` and its mirror `Result_Units`)."""
    changes = 0
    for result_file, entry in _writable_rows(group, "R004"):
        vocab = result_file.vocab
        row = entry.data
        units = row.get("Units")
        if vocab is None or vocab.family != "inference" or units in POWER_UNITS:
            continue
        expected = vocab.expected_perf_unit(str(row.get("version")), row)
        if expected == "Tokens/s" and units in ("Samples/s", "Queries/s"):
            row["Units"] = expected
            if row.get("Result_Units") == units:
                row["Result_Units"] = expected
            changes += _note(result_file, "R004")
    return changes


# The order matters within one pass: copies go before merging, merging before deriving.
ROW_FIXES = (
    RowFix(("R012",), True, False, drop_exact_duplicates,
           "drop exact duplicate rows"),
    RowFix(("X006",), True, False, drop_power_twins,
           "keep one of power rows imported twice"),
    RowFix(("X002", "R006"), True, False, merge_split_pairs,
           "merge split power rows into their performance row"),
    RowFix(("R002",), False, False, null_placeholders,
           "placeholder text in numeric fields becomes null, kept in <key>_text"),
    RowFix(("R014",), False, False, public_links,
           "links to pre-publication repositories point to the public results"),
    RowFix(("R015",), False, False, status_case,
           "tiny Status spelled in another case normalized"),
    RowFix(("R004",), False, False, token_units,
           "LLM token rates relabelled Tokens/s"),
    RowFix(("R008", "R009"), True, True, derive_metrics,
           "derived metrics added or corrected (R008, R009)"),
    RowFix(("X009",), True, False, align_aggregates,
           "aggregate rows and their per-version twins get each other's missing keys"),
)
