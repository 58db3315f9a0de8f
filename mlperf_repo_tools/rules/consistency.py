"""X: consistency across rows, files and experiments: power/performance pairing, duplicates
and identity, uid reuse, aggregates. Each finding lists every place involved."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from mlperf_repo_tools.consistency import (
    ContentKey,
    LoadedRow,
    RepositoryRows,
    canonical_json,
    distinct,
    scalar,
    twin_key,
)
from mlperf_repo_tools.derived import is_number, power_unit
from mlperf_repo_tools.findings import Problem, Severity
from mlperf_repo_tools.rules import rule


def _at(row: LoadedRow, message: str, others: Iterable[tuple[LoadedRow, str]] = ()) -> Problem:
    return Problem((row.index,), message, path=row.relpath,
                   related=[(o.relpath, (o.index,), note) for o, note in others])


def _pairs(rows: RepositoryRows) -> list[tuple[list[LoadedRow], list[LoadedRow]]]:
    """Per experiment and result (version, Location, scenario): its distinct performance rows
    and its distinct power rows. Computed once for the four checks that use it."""
    if "pairs" not in rows.memo:
        pairs: list[tuple[list[LoadedRow], list[LoadedRow]]] = []
        for experiment_rows in rows.distinct_by_experiment().values():
            groups: dict[tuple[Any, ...], list[LoadedRow]] = defaultdict(list)
            for row in experiment_rows:
                groups[row.pair_key].append(row)
            pairs.extend(([r for r in group if not r.is_power], [r for r in group if r.is_power])
                         for group in groups.values())
        rows.memo["pairs"] = pairs
    result: list[tuple[list[LoadedRow], list[LoadedRow]]] = rows.memo["pairs"]
    return result


def _by_content(rows: list[LoadedRow]) -> list[LoadedRow]:
    """One row per content except uid (rows imported twice count once)."""
    seen: dict[ContentKey, LoadedRow] = {}
    for row in rows:
        seen.setdefault(row.content_without_uid, row)
    return list(seen.values())


@rule("X001", "power-without-performance", scope="rows")
def power_without_performance(rows: RepositoryRows) -> Iterator[Problem]:
    """A power row has no performance row of the same result (same version, `Location` and
    scenario) in its experiment.

    Why: power is measured in the performance run and means nothing without it; perf/W
    cannot be computed and the row shows as a result with no value.

    Fails: an experiment holding only `{"Result": null, "Result_Power": 31.2,
    "Result_Units": "Watts", "Location": "closed/Acme/results/box/resnet/Offline"}`
    Passes: the same experiment also holding the performance row of that Location.
    """
    for performance, power in _pairs(rows):
        if power and not performance:
            for row in power:
                yield _at(row, "power row has no performance row of the same result "
                          f"({row.data.get('Location')}) in this experiment")


@rule("X002", "split-power-row", scope="rows", fixable=True)
def split_power_row(rows: RepositoryRows) -> Iterator[Problem]:
    """A power measurement is split from its performance row into a row of its own.

    The v4.0 and v4.1 imports kept the submission checker's two rows per power result. The
    fix merges the power value into the performance row (`Result_Power`,
    `Result_Power_Units`, `Inference_per_Joule`) when exactly one performance row matches
    (rows identical except uid count once), the power rows agree on their value, and they
    agree with the performance row on everything else; the finding says "ambiguous" otherwise.

    Why: neither row alone has performance and power, so perf/W is missing everywhere.

    Fails: `{"uid": "a...", "Result": 54063.2, "Units": "Samples/s", "Location": L}` and
    `{"uid": "b...", "Result": null, "Result_Power": 5531.2, "Units": "Watts", "Location": L}`
    Passes: one row `{"Result": 54063.2, "Result_Power": 5531.2,
    "Result_Power_Units": "Watts", "Inference_per_Joule": 9.774, "Location": L}`
    """
    for performance, power in _pairs(rows):
        if not power or not performance:
            continue
        targets = _by_content(performance)
        values = {(r.data.get("Result_Power"), power_unit(r.data)) for r in power}
        if any(not is_number(r.data.get("Result_Power")) for r in power):
            state = "not mergeable: a power row has no numeric Result_Power"
        elif len(targets) > 1:
            state = f"ambiguous: {len(targets)} different performance rows match"
        elif len(values) > 1:
            state = f"ambiguous: the power rows hold {len(values)} different values"
        else:
            state = "mergeable"
        for row in power:
            yield _at(row, f"power row split from its performance row ({state})",
                      [(t, "performance row") for t in targets])


@rule("X003", "power-flag-without-power", scope="rows")
def power_flag_without_power(rows: RepositoryRows) -> Iterator[Problem]:
    """A performance row says `has_power: true` but has no power value, merged or paired.

    Why: the row claims a power measurement that nobody can see or use.

    Fails: `{"has_power": true, "Result": 54063.2}` with no power row of the same result.
    Passes: the same row with `"Result_Power": 5531.2`, or with a power row beside it.
    """
    for performance, power in _pairs(rows):
        for row in performance:
            if row.data.get("has_power") is True and "Result_Power" not in row.data and not power:
                yield _at(row, "has_power is true but the row has no Result_Power and no "
                          "power row pairs with it")


@rule("X004", "power-without-flag", scope="rows")
def power_without_flag(rows: RepositoryRows) -> Iterator[Problem]:
    """A row says `has_power: false` but carries or pairs with power data.

    Why: tools select power results by `has_power`; such a result is left out of every
    power table.

    Fails: `{"has_power": false, "Result_Power": 31.2}`
    Passes: `{"has_power": true, "Result_Power": 31.2}`
    """
    for performance, power in _pairs(rows):
        for row in performance + power:
            has_power_data = "Result_Power" in row.data or (bool(power) and not row.is_power)
            if row.data.get("has_power") is False and has_power_data:
                yield _at(row, "has_power is false but the result has power data")


def _differing_keys(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    keys = (set(a) | set(b)) - {"uid"}
    return sorted(k for k in keys if k not in a or k not in b or a[k] != b[k]
                  or isinstance(a[k], bool) != isinstance(b[k], bool))


@rule("X005", "identity-conflict", scope="rows")
def identity_conflict(rows: RepositoryRows) -> Iterator[Problem]:
    """Two rows of one experiment describe the same result (same version, `Location`,
    scenario and kind, performance or power) with different values.

    This includes two power rows for one performance row that disagree. Nothing picks one
    of them silently: a person has to decide which is right.

    Why: plots and rankings show both values for one result, or whichever a tool keeps.

    Fails: two rows for `closed/Acme/results/box/resnet/Offline` with `Result` 2412.5 and
    2399.0.
    Passes: one row per result.
    """
    for experiment_rows in rows.distinct_by_experiment().values():
        groups: dict[tuple[Any, ...], list[LoadedRow]] = defaultdict(list)
        for row in experiment_rows:
            groups[row.identity].append(row)
        for group in groups.values():
            variants = _by_content(group)
            if len(variants) < 2:
                continue
            # Anchored on the variant first by content, not by position, so that reordering
            # rows or files reports the same pairs (and a baseline stays valid).
            variants.sort(key=lambda row: canonical_json(row.data))
            first = variants[0]
            for other in variants[1:]:
                keys = _differing_keys(first.data, other.data)
                kind = "power" if first.is_power else "performance"
                yield _at(other, f"two {kind} rows for one result differ in "
                          f"{', '.join(keys)}", [(first, "other row")])


@rule("X006", "duplicate-except-uid", scope="rows", fixable=True)
def duplicate_except_uid(rows: RepositoryRows) -> Iterator[Problem]:
    """Rows of one file are identical except for their uid: one result imported twice.

    Why: the result is counted twice and has two identities; links and reproducibility
    reports attach to one uid only. The fix keeps one copy when both pair with the same
    performance row.

    Fails: `[{"uid": "a...", "Result_Power": 31.2, ...}, {"uid": "b...",
    "Result_Power": 31.2, ...}]` (otherwise equal)
    Passes: one of them.
    """
    for loaded in rows.files:
        groups: dict[ContentKey, list[LoadedRow]] = defaultdict(list)
        for row in distinct(loaded.rows):
            groups[row.content_without_uid].append(row)
        for group in groups.values():
            for other in group[1:]:
                yield _at(other, f"row {other.index} equals row {group[0].index} except its "
                          f"uid ({other.uid} vs {group[0].uid})", [(group[0], "first copy")])


def _aggregate_index(rows: RepositoryRows) -> dict[str, tuple[list[LoadedRow], list[LoadedRow]]]:
    """Per twin key: the rows of its aggregate experiments and of its per-version ones."""
    index: dict[str, tuple[list[LoadedRow], list[LoadedRow]]] = {}
    for loaded in rows.files:
        key = twin_key(loaded.experiment.folder.name)
        if key is None or loaded.experiment.folder_alias.vocab is None:
            continue
        aggregate, versions = index.setdefault(key, ([], []))
        (aggregate if loaded.experiment.folder_alias.is_aggregate else versions).extend(
            loaded.rows)
    return index


@rule("X007", "uid-reuse", scope="rows")
def uid_reuse(rows: RepositoryRows) -> Iterator[Problem]:
    """One uid names different results: rows of different identity (version, `Location`,
    scenario, kind), or rows in experiments that are not an aggregate and its per-version
    twin.

    Why: the playground links results by uid; a reused uid sends readers and reproducibility
    reports to the wrong result.

    Fails: uid `3d8b12100e594ce1` on an Offline row in one experiment and on a Server row in
    another.
    Passes: the same uid on a per-version row and its copy in the `all` aggregate.
    """
    by_uid: dict[str, list[LoadedRow]] = defaultdict(list)
    for row in rows.rows():
        if row.uid is not None:
            by_uid[row.uid].append(row)
    for uid, group in by_uid.items():
        group = distinct(group)
        if len(group) < 2:
            continue
        keys = {twin_key(r.file.experiment.folder.name) for r in group}
        versions = {r.file.experiment.folder.name for r in group
                    if not r.file.experiment.folder_alias.is_aggregate}
        identities = {r.identity for r in group}
        if len(keys) == 1 and len(versions) <= 1 and len(identities) == 1:
            continue
        first = group[0]
        for other in group[1:]:
            if other.identity != first.identity or other.relpath != first.relpath or \
                    twin_key(other.file.experiment.folder.name) != twin_key(
                        first.file.experiment.folder.name):
                yield _at(other, f"uid {uid} also names another result", [(first, "same uid")])


@rule("X008", "result-under-two-uids", scope="rows")
def result_under_two_uids(rows: RepositoryRows) -> Iterator[Problem]:
    """The same result (equal content except uid) appears under different uids in different
    files, and no file holds both copies (those are `duplicate-except-uid`).

    Why: one result with two identities is counted twice across experiments, and what is
    attached to one uid is missing from the other.

    Fails: a row in `...--v3.1--...` with uid `a...` and an equal row in another experiment
    with uid `b...`.
    Passes: the copy carries the same uid.
    """
    groups: dict[ContentKey, list[LoadedRow]] = defaultdict(list)
    for row in rows.rows():
        groups[row.content_without_uid].append(row)
    for group in groups.values():
        uids = {r.uid for r in group}
        if len(uids) < 2:
            continue
        by_file: dict[str, set[str | None]] = defaultdict(set)
        for row in group:
            by_file[row.relpath].add(row.uid)
        if any(len(u) > 1 for u in by_file.values()):
            continue  # explained inside one file
        first = group[0]
        for other in group:
            if other.uid != first.uid:
                yield _at(other, f"same result as a row with uid {first.uid}, under uid "
                          f"{other.uid}", [(first, "same result")])


@rule("X009", "aggregate-mismatch", scope="rows", fixable=True)
def aggregate_mismatch(rows: RepositoryRows) -> Iterator[Problem]:
    """A row of an `all` aggregate differs from the row with the same uid in its per-version
    experiment (derived fields and reproducibility links included).

    Why: the aggregate is what most users browse; when it disagrees with the round's own
    experiment, one of them publishes a wrong or incomplete result. The fix makes both equal.

    Fails: `Inference_per_Joule` present in the aggregate row only;
    `_reproducibility_report` in the per-version row only.
    Passes: both rows identical.
    """
    for aggregate, versions in _aggregate_index(rows).values():
        by_uid: dict[str, LoadedRow] = {}
        for row in distinct(versions):
            if row.uid is not None:
                by_uid.setdefault(row.uid, row)
        for row in aggregate:
            twin = by_uid.get(row.uid) if row.uid else None
            if twin is not None and twin.content != row.content:
                keys = _differing_keys(row.data, twin.data)
                yield _at(row, "aggregate row differs from its per-version twin in "
                          + ", ".join(keys), [(twin, "per-version row")])


@rule("X010", "aggregate-missing-twin", scope="rows", severity=Severity.WARNING)
def aggregate_missing_twin(rows: RepositoryRows) -> Iterator[Problem]:
    """A row of an `all` aggregate has no row with its uid in the per-version experiments of
    the same other alias parts, or a per-version row is missing from its aggregate.

    Why: the aggregate should hold exactly the rows of every round; a row on one side only
    is either lost from the aggregate or unknown to its round.

    Fails: uid `3d8b12100e594ce1` in `mlperf-inference--v4.1--...--offline` and not in
    `mlperf-inference--all--...--offline`.
    Passes: the uid in both.
    """
    index = _aggregate_index(rows)
    groups = rows.twin_groups()
    for key, (aggregate, versions) in index.items():
        aggregates_exist = groups.get(key, ([], []))[0]
        version_uids = {r.uid for r in versions}
        aggregate_uids = {r.uid for r in aggregate}
        for row in distinct(aggregate):
            if row.uid not in version_uids:
                yield _at(row, "aggregate row has no per-version twin with its uid")
        if not aggregate:
            yield from _no_aggregate_rows(key, aggregates_exist, versions)
            continue
        for row in distinct(versions):
            if row.uid not in aggregate_uids:
                yield _at(row, f"per-version row is missing from the aggregate {key}")


def _no_aggregate_rows(key: str, aggregates: list[str], versions: list[LoadedRow]
                       ) -> Iterator[Problem]:
    """One finding per per-version file whose aggregate holds no rows at all."""
    why = f"the aggregate {key} has no result file" if aggregates else \
        f"there is no aggregate experiment {key}"
    # No row count in the message: a baseline fingerprints the message, and fixing rows of
    # the file (merging split pairs) must not make the same finding look new.
    for relpath in dict.fromkeys(row.relpath for row in versions):
        yield Problem((), f"no row of this file has its aggregate twin: {why}", path=relpath)


# An inferred MultiStream energy must be 8 times its SingleStream source within this share.
ENERGY_TOLERANCE = 1e-6
# An inferred Offline perf/W is "close" to its SingleStream source within this share.
INFERRED_EFFICIENCY_TOLERANCE = 0.2
# perf/W this many times above or below the median of its round, model and scenario is
# flagged, in groups of at least OUTLIER_MIN_GROUP distinct results.
OUTLIER_FACTOR = 100.0
OUTLIER_MIN_GROUP = 5


def _system_key(row: LoadedRow) -> tuple[Any, ...]:
    """A result's system and benchmark without its scenario: where inferred results come
    from."""
    location = str(row.data.get("Location", ""))
    return (scalar(row.data.get("version")), location.rsplit("/", 1)[0])


def _power_by_scenario(rows: RepositoryRows) -> dict[tuple[Any, ...], dict[str, LoadedRow]]:
    table: dict[tuple[Any, ...], dict[str, LoadedRow]] = defaultdict(dict)
    for row in rows.rows():
        if row.file.experiment.folder_alias.family == "inference" and \
                isinstance(row.data.get("Result_Power"), (int, float)):
            table[_system_key(row)].setdefault(str(row.data.get("Scenario")), row)
    return table


@rule("X011", "inferred-energy-mismatch", scope="rows")
def inferred_energy_mismatch(rows: RepositoryRows) -> Iterator[Problem]:
    """An inferred MultiStream energy per query is not 8 times the SingleStream energy of the
    run it was inferred from (same round and system, same benchmark folder).

    Why: the rules infer MultiStream from SingleStream with the same measured power, and a
    MultiStream query holds 8 samples; any other value is not the inferred result.

    Fails: SingleStream `Result_Power` 155.142 mJ, inferred MultiStream 1200.0 mJ.
    Passes: inferred MultiStream 1241.136 mJ (8 x 155.142).
    """
    for by_scenario in _power_by_scenario(rows).values():
        single, multi = by_scenario.get("SingleStream"), by_scenario.get("MultiStream")
        if single is None or multi is None or multi.data.get("inferred") != 1:
            continue
        expected = 8 * single.data["Result_Power"]
        if abs(multi.data["Result_Power"] - expected) > ENERGY_TOLERANCE * abs(expected):
            yield _at(multi, f"inferred MultiStream energy {multi.data['Result_Power']} is not "
                      f"8 x the SingleStream energy ({expected})", [(single, "SingleStream")])


@rule("X012", "inferred-efficiency-mismatch", scope="rows", severity=Severity.WARNING)
def inferred_efficiency_mismatch(rows: RepositoryRows) -> Iterator[Problem]:
    """An inferred Offline result's perf/W is more than 20 % away from the SingleStream run it
    was inferred from.

    Why: an Offline result inferred from SingleStream uses the same run's throughput and
    power, so its inferences per joule are close to the SingleStream ones; a large gap means
    the wrong source or a wrong value.

    Fails: SingleStream 6.4 inferences/J, inferred Offline 12.0 inferences/J.
    Passes: SingleStream 6.4, inferred Offline 6.6.
    """
    from mlperf_repo_tools.derived import inference_per_joule

    for by_scenario in _power_by_scenario(rows).values():
        single, offline = by_scenario.get("SingleStream"), by_scenario.get("Offline")
        if single is None or offline is None or offline.data.get("inferred") != 1:
            continue
        source, inferred = inference_per_joule(single.data), inference_per_joule(offline.data)
        if source and inferred and abs(inferred - source) > INFERRED_EFFICIENCY_TOLERANCE * source:
            yield _at(offline, f"inferred Offline perf/W {inferred:.4g} is far from its "
                      f"SingleStream source {source:.4g}", [(single, "SingleStream")])


@rule("X013", "perf-per-watt-outlier", scope="rows", severity=Severity.WARNING)
def perf_per_watt_outlier(rows: RepositoryRows) -> Iterator[Problem]:
    """A result's inferences per joule are over 100 times above or below the median of the
    same round, model and scenario (in groups of at least 5 results).

    Rounds are never mixed: units changed meaning between rounds (LLM token rates from
    v4.1), so only results of one round are compared.

    Why: two orders of magnitude is beyond any hardware difference in one round; it is a unit
    slip (Joules for millijoules, Watts for kilowatts) or a wrong pairing.

    Fails: resnet Offline v3.1 at 5000 inferences/J where the median is 20.
    Passes: 35 inferences/J where the median is 20.
    """
    from statistics import median

    from mlperf_repo_tools.derived import inference_per_joule

    groups: dict[tuple[Any, ...], dict[str, tuple[float, LoadedRow]]] = defaultdict(dict)
    for row in rows.rows():
        if row.file.experiment.folder_alias.family != "inference":
            continue
        value = inference_per_joule(row.data)
        if value and row.uid:
            key = tuple(scalar(row.data.get(k)) for k in ("version", "MlperfModel", "Scenario"))
            groups[key].setdefault(row.uid, (value, row))
    for (version, model, scenario), members in groups.items():
        if len(members) < OUTLIER_MIN_GROUP:
            continue
        middle = median(value for value, _ in members.values())
        for value, row in members.values():
            if value > OUTLIER_FACTOR * middle or value * OUTLIER_FACTOR < middle:
                yield _at(row, f"{value:.4g} inferences/J is over {OUTLIER_FACTOR:g}x away from "
                          f"the median {middle:.4g} of {version} {model} {scenario}")
