"""R: result rows. Schema, placeholders, vocabulary, agreement with the alias, links, mirrors,
duplicates."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from mlperf_repo_tools.alias import AGGREGATE_VERSION
from mlperf_repo_tools.consistency import content_key
from mlperf_repo_tools.context import ResultFileContext, RowContext
from mlperf_repo_tools.derived import is_accuracy_text
from mlperf_repo_tools.findings import Problem, Severity
from mlperf_repo_tools.rules import rule
from mlperf_repo_tools.schemas import row_schema
from mlperf_repo_tools.vocabulary import did_you_mean


def _is_placeholder(row: dict[str, Any], key: str, ctx: RowContext) -> bool:
    family = ctx.alias.family
    return (family is not None and isinstance(row.get(key), str)
            and key in row_schema(family).numeric)


@rule("R001", "row-schema", scope="row")
def row_schema_violation(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A result row does not match its family's row schema (`schemas/*-row.schema.json`).

    Why: the schema is the contract readers rely on: required keys present, numbers where
    numbers belong, uids and versions well formed.

    Fails: an inference row without `Scenario`; `"uid": "42"`.
    Passes: a row with every required key, each of the documented type.
    """
    family = ctx.alias.family
    if family is None:
        return
    for error in row_schema(family).errors(row):
        key = error.parts[0] if error.parts else None
        if isinstance(key, str) and _is_placeholder(row, key, ctx):
            continue  # reported by R002 with a clearer message
        yield Problem(error.parts, error.message)


@rule("R002", "numeric-placeholder", scope="row", unsafe_fix=True)
def numeric_placeholder(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A numeric field holds text: a placeholder (`"N/A"`, `""`, `"None"`) or free text
    (`"4 (big); 4 (LITTLE)"`).

    Why: one string in a numeric column breaks sorting, plotting and every derived metric for
    the whole column; the explanation belongs in `notes`. The unsafe fix sets the value to
    null and keeps the text in a side field.

    Fails: `"host_processor_core_count": "4 (big); 4 (LITTLE)"`, `"Accuracy": "None"`
    Passes: `"host_processor_core_count": 8`
    """
    family = ctx.alias.family
    if family is None:
        return
    numeric = row_schema(family).numeric
    for key, value in row.items():
        if isinstance(value, str) and key in numeric:
            if key == "Accuracy" and is_accuracy_text(value):
                continue  # the v4.1+ 'KEY: value' accuracy text
            yield Problem((key,), f"{key} holds text {json.dumps(value)} where a number belongs")


def _unknown(field: str, value: Any, known: list[str], version: str) -> Problem:
    return Problem((field,), f"{field} '{value}' is not in the {version} vocabulary"
                   f"{did_you_mean(str(value), known)}")


@rule("R003", "unknown-vocabulary", scope="row")
def unknown_vocabulary(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A row value is outside its round's vocabulary (`schemas/vocabulary/`): an unknown
    round, model, scenario, division, availability, system type, benchmark or task.

    Why: a misspelt or out-of-round value splits groupings and filters, and usually means
    the row was imported into the wrong place or under the wrong round's rules.

    Fails: `{"version": "v4.1", "MlperfModel": "rnnt"}` (rnnt left after v4.0),
    `{"Scenario": "Offine"}`
    Passes: `{"version": "v4.0", "MlperfModel": "rnnt", "Scenario": "Offline"}`
    """
    vocab = ctx.vocab
    version = row.get("version")
    if vocab is None or not isinstance(version, str):
        return
    if ctx.round is None:
        rounds = list(vocab.data["rounds"])
        yield Problem(("version",), f"unknown {vocab.family} round '{version}'"
                      f"{did_you_mean(version, rounds)}; add it to the vocabulary")
        return
    yield from _FAMILY_VOCABULARY[vocab.family](row, ctx, version)


def _inference_vocabulary(row: dict[str, Any], ctx: RowContext, version: str
                          ) -> Iterator[Problem]:
    assert ctx.vocab is not None and ctx.round is not None
    data = ctx.vocab.data
    checks = (("MlperfModel", ctx.round.get("models", [])),
              ("Scenario", ctx.round.get("scenarios", [])),
              ("Division", data["row_divisions"]), ("Availability", data["availability"]),
              ("SystemType", data["system_types"]))
    for field, known in checks:
        value = row.get(field)
        if isinstance(value, str) and value not in known:
            yield _unknown(field, value, known, version)


def _tiny_vocabulary(row: dict[str, Any], ctx: RowContext, version: str) -> Iterator[Problem]:
    assert ctx.vocab is not None and ctx.round is not None
    checks = (("Benchmark", ctx.round.get("benchmarks", [])),
              ("Division", list(ctx.vocab.data["divisions"])))
    for field, known in checks:
        value = row.get(field)
        if isinstance(value, str) and value not in known:
            yield _unknown(field, value, known, version)
    status = row.get("Status")
    known = ctx.vocab.data["status"]
    if isinstance(status, str) and status.lower() not in known:
        yield _unknown("Status", status, known, version)


def _training_vocabulary(row: dict[str, Any], ctx: RowContext, version: str
                         ) -> Iterator[Problem]:
    assert ctx.vocab is not None and ctx.round is not None
    data = ctx.vocab.data
    checks = (("Model_ID", ctx.round.get("models", [])), ("division", list(data["divisions"])),
              ("availability", data["availability"]), ("Result_Units", data["result_units"]))
    for field, known in checks:
        value = row.get(field)
        if isinstance(value, str) and value not in known:
            yield _unknown(field, value, known, version)
    model = ctx.vocab.model(str(row.get("Model_ID")))
    for field, key in (("Task", "task"), ("Dataset", "dataset")):
        value = row.get(field)
        if model and isinstance(value, str) and value != model[key]:
            yield Problem((field,), f"{field} '{value}' does not match model "
                          f"'{row.get('Model_ID')}' (expected '{model[key]}')")


_FAMILY_VOCABULARY = {"inference": _inference_vocabulary, "tiny": _tiny_vocabulary,
                      "training": _training_vocabulary}


@rule("R015", "vocabulary-case", scope="row", severity=Severity.WARNING, unsafe_fix=True)
def vocabulary_case(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A vocabulary value is spelled in another case (tiny `Status`: `Available`, `Preview`).

    Why: filters and groupings compare exactly, so `Available` and `available` count as two
    statuses. The unsafe fix lowercases it.

    Fails: `{"Status": "Available"}`
    Passes: `{"Status": "available"}`
    """
    if ctx.vocab is None or ctx.vocab.family != "tiny":
        return
    status = row.get("Status")
    known = ctx.vocab.data["status"]
    if isinstance(status, str) and status not in known and status.lower() in known:
        yield Problem(("Status",), f"Status '{status}' should be spelled '{status.lower()}'")


_ALIAS_FIELDS = {
    "inference": {"version": "version", "division": "Division", "scenario": "Scenario"},
    "tiny": {"version": "version", "division": "Division", "benchmark": "Benchmark"},
    "training": {"version": "version", "division": "division", "task": "Task"},
}


@rule("R010", "row-alias-mismatch", scope="row")
def row_alias_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A row's version, division, scenario, suite, task or power flag disagrees with the alias
    of the experiment that holds it.

    The alias division maps to the row's: `closed-power` holds `closed` rows with
    `has_power: true`, `closed-network` holds `network` rows. The alias category must be one
    of the row's `SystemType` suites, and the alias task the task of its model.

    Why: users select experiments by alias and tags; a row filed under the wrong alias is
    shown in the wrong table and missed in the right one.

    Fails: a `"version": "v4.0"` row in `mlperf-inference--v4.1--...`;
    a `"Scenario": "Server"` row in a `...--offline` experiment.
    Passes: `"Division": "network"` in a `closed-network` experiment.
    """
    alias = ctx.alias
    vocab = ctx.vocab
    if vocab is None or not alias.complete:
        return
    for part, field in _ALIAS_FIELDS[vocab.family].items():
        value, wanted = row.get(field), alias.get(part)
        if value is None or wanted is None:
            continue
        if part == "version" and wanted == AGGREGATE_VERSION:
            continue
        if part == "division":
            division = vocab.division(wanted)
            wanted = division["row_division"] if division else None
        if wanted is not None and str(value).lower() != wanted.lower():
            yield Problem((field,), f"{field} '{value}' does not match the experiment's "
                          f"{part} '{alias.get(part)}'")
    if vocab.family == "inference":
        yield from _inference_alias_extras(row, ctx)


def _inference_alias_extras(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    alias, vocab = ctx.alias, ctx.vocab
    assert vocab is not None
    category, system_type = alias.get("category"), row.get("SystemType")
    if isinstance(system_type, str) and category not in system_type.split(","):
        yield Problem(("SystemType",), f"SystemType '{system_type}' does not include the "
                      f"experiment's category '{category}'")
    model = vocab.model(str(row.get("MlperfModel")))
    task = alias.get("task")
    if model and task in vocab.part_values("task") and model.get("task") != task:
        yield Problem(("MlperfModel",), f"model '{row.get('MlperfModel')}' is a "
                      f"{model.get('task')} benchmark, not {task}")
    division = vocab.division(str(alias.get("division")))
    has_power = row.get("has_power")
    if division and isinstance(has_power, bool) and division["row_division"] != "network" \
            and has_power != division["power"]:
        where = "a power" if division["power"] else "a non-power"
        yield Problem(("has_power",), f"has_power is {str(has_power).lower()} in {where} "
                      f"experiment ({alias.get('division')})")


@rule("R011", "url-mismatch", scope="row")
def url_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """`url` is not `git_url` + `/tree/<branch>/` + `Location`.

    Why: the playground links each point to `url`; a link that does not follow the row's
    own repository and location leads to another result or nowhere.

    Fails: `git_url` `https://github.com/mlcommons/inference_results_v4.0`, `url`
    `https://github.com/mlcommons/inference_results_v3.1/tree/master/closed/...`
    Passes: `url` = `https://github.com/mlcommons/inference_results_v4.0/tree/master/` +
    Location.
    """
    url, git_url, location = row.get("url"), row.get("git_url"), row.get("Location")
    if not all(isinstance(v, str) for v in (url, git_url, location)):
        return
    assert isinstance(url, str) and isinstance(git_url, str) and isinstance(location, str)
    head = git_url.rstrip("/") + "/tree/"
    tail = "/" + location.strip("/")
    branch = url[len(head):-len(tail)] if url.startswith(head) and url.endswith(tail) else ""
    if not branch or "/" in branch:
        yield Problem(("url",), f"url is not git_url + '/tree/<branch>/' + Location "
                      f"({head}<branch>{tail})")


@rule("R014", "prepublication-link", scope="row", unsafe_fix=True)
def prepublication_link(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """`git_url` points to a round's pre-publication submission repository, not the public
    results repository.

    Why: the submission repositories are private; every link built from them is dead for
    readers. The unsafe fix rewrites the links to the public repository of that round, with
    the branch that exists there.

    Fails: `"git_url": "https://github.com/mlcommons/submissions_inference_v4.1"`
    Passes: `"git_url": "https://github.com/mlcommons/inference_results_v4.1"`
    """
    git_url = row.get("git_url")
    if ctx.round is None or not isinstance(git_url, str):
        return
    private = [u.rstrip("/") for u in ctx.round.get("prepublication_repositories", [])]
    if git_url.rstrip("/") in private:
        public = ctx.round.get("public_repository", {})
        hint = f"; the public one is {public['url']} (branch {public['branch']})" if public else ""
        yield Problem(("git_url",), f"git_url is the pre-publication repository {git_url}{hint}")


_MIRRORS = {
    "inference": (("Result_Units", "Units"),),
    "tiny": (("_Result", "Result"), ("_Accuracy", "Accuracy"), ("__version", "version"),
             ("__Organization", "Organization"), ("__Model", "Model")),
    "training": (("_Accuracy", "Accuracy"), ("_Accuracy_Metric", "Accuracy_Metric"),
                 ("_Dataset", "Dataset"), ("_Model_ID", "Model_ID"),
                 ("_Organization", "Organization"), ("_Result", "Result"),
                 ("_Result_Units", "Result_Units"), ("_Task", "Task"), ("_version", "version"),
                 ("_System", "system"), ("Benchmark", "Task")),
}


def _same(a: Any, b: Any) -> bool:
    return a == b and isinstance(a, bool) == isinstance(b, bool)


@rule("R007", "mirror-mismatch", scope="row")
def mirror_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A mirrored field differs from its source.

    Importers copy some fields under another name: inference `Result_Units` mirrors `Units`;
    tiny `_Result`, `_Accuracy`, `__version`, `__Organization`, `__Model`; training ten `_`
    fields (`_System` mirrors `system`), `Benchmark` mirrors `Task`, and the result is
    repeated under the model's own key (`"resnet": <Result>`).

    Why: tools read either name; when they differ, two views of one result disagree.

    Fails: `{"Result": 54.29, "_Result": 54.3}`
    Passes: `{"Result": 54.29, "_Result": 54.29}`
    """
    family = ctx.alias.family
    if family is None:
        return
    for mirror, source in _MIRRORS[family]:
        if mirror in row and source in row and not _same(row[mirror], row[source]):
            yield Problem((mirror,), f"{mirror} {json.dumps(row[mirror])} differs from its "
                          f"source {source} {json.dumps(row[source])}")
    model_key = row.get("Model_ID")
    if family == "training" and isinstance(model_key, str) and model_key in row \
            and "Result" in row and not _same(row[model_key], row["Result"]):
        yield Problem((model_key,), f"{model_key} {json.dumps(row[model_key])} differs from "
                      f"Result {json.dumps(row['Result'])}")


@rule("R012", "duplicate-row", scope="result-file", fixable=True)
def duplicate_row(rf: ResultFileContext) -> Iterator[Problem]:
    """A row is an exact copy (same uid, same content) of an earlier row in the same file.

    Why: duplicates double-count results in every plot, ranking and average; the old merge
    script wrote 9,166 of them. The fix drops the copies.

    Fails: `[{"uid": "3d8b12100e594ce1", "Result": 1.0}, {"uid": "3d8b12100e594ce1",
    "Result": 1.0}]`
    Passes: `[{"uid": "3d8b12100e594ce1", "Result": 1.0}]`
    """
    by_uid: dict[Any, list[int]] = defaultdict(list)
    for index, row in enumerate(rf.rows):
        if isinstance(row, dict):
            uid = row.get("uid")
            by_uid[uid if isinstance(uid, str) else None].append(index)
    for indexes in by_uid.values():
        if len(indexes) < 2:
            continue
        first_seen: dict[Any, int] = {}
        for index in indexes:
            content = content_key(rf.rows[index])
            if content in first_seen:
                first = first_seen[content]
                yield Problem((index,), f"row {index} is an exact duplicate of row {first}",
                              related=[(rf.document.relpath, (first,), "first copy")])
            else:
                first_seen[content] = index
