"""R: cross-field truth within a row (Location segments, scenarios valid for the suite,
inferred results) and plausibility warnings (chance-level accuracy, accelerator counts)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlperf_repo_tools.context import RowContext
from mlperf_repo_tools.derived import is_number
from mlperf_repo_tools.findings import Problem, Severity
from mlperf_repo_tools.rules import rule

_LOCATION_FIELDS = ((0, "Division"), (1, "Organization"), (3, "Platform"), (4, "Model"))
# "(8x H200-SXM-141GB, ...)": a count, an 'x', a space. Excludes "R750xa" and "16xlarge".
_ACCELERATOR_COUNT = re.compile(r"(?:^|[\s(,])(\d+)\s*x\s+\S")
# Warn when accuracy is at most this many times the accuracy of a uniform guess.
CHANCE_FACTOR = 1.5


def _inference(ctx: RowContext) -> bool:
    return ctx.vocab is not None and ctx.vocab.family == "inference"


@rule("R016", "location-mismatch", scope="row")
def location_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """`Location` (`<division>/<submitter>/results/<platform>/<model>/<scenario>`) disagrees
    with `Division`, `Organization`, `Platform`, `Model` or `Scenario`.

    Why: the submission checker derives those fields from the Location's folders; when they
    differ, the row's link leads to another submitter's or system's result.

    Fails: `{"Organization": "Acme", "Location": "closed/Other/results/box/resnet/Offline"}`
    Passes: `{"Organization": "Acme", "Location": "closed/Acme/results/box/resnet/Offline"}`
    """
    location = row.get("Location")
    if not _inference(ctx) or not isinstance(location, str):
        return
    segments = location.split("/")
    if len(segments) < 6:
        return
    for index, field in _LOCATION_FIELDS:
        value = row.get(field)
        if isinstance(value, str) and value != segments[index]:
            yield Problem((field,), f"{field} '{value}' differs from the Location's "
                          f"'{segments[index]}'")
    scenario = row.get("Scenario")
    if isinstance(scenario, str) and scenario.lower() != segments[5].lower():
        yield Problem(("Scenario",), f"Scenario '{scenario}' differs from the Location's "
                      f"'{segments[5]}'")


def _suite_scenarios(row: dict[str, Any], ctx: RowContext) -> dict[str, list[str]] | None:
    """For each of the row's suites that knows the model: its valid scenarios."""
    system_type, model = row.get("SystemType"), row.get("MlperfModel")
    tables = (ctx.round or {}).get("suite_scenarios")
    if not tables or not isinstance(system_type, str) or not isinstance(model, str):
        return None
    return {suite: tables[suite][model] for suite in system_type.split(",")
            if suite in tables and model in tables[suite]}


@rule("R017", "scenario-not-in-suite", scope="row")
def scenario_not_in_suite(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """The model cannot be submitted in the row's suite in that round, or (closed and network
    divisions) the scenario is not one the suite runs for the model.

    The per-round tables are in `schemas/vocabulary/inference.json` (`suite_scenarios`),
    from the submission checker. A system of both suites may use either's scenarios. The open
    division may submit any scenario of a model valid for the suite.

    Why: such a result was rejected by the official checker or filed under the wrong suite,
    so it is compared against results it does not belong with.

    Fails: `{"version": "v4.1", "SystemType": "edge", "MlperfModel": "llama2-70b-99"}`;
    `{"SystemType": "datacenter", "MlperfModel": "resnet", "Scenario": "SingleStream",
    "Division": "closed"}`
    Passes: `{"SystemType": "edge", "MlperfModel": "resnet", "Scenario": "SingleStream"}`
    """
    if not _inference(ctx):
        return
    suites = _suite_scenarios(row, ctx)
    if suites is None or row.get("MlperfModel") not in (ctx.round or {}).get("models", []):
        return
    model, system_type = row.get("MlperfModel"), row.get("SystemType")
    if not suites:
        yield Problem(("MlperfModel",), f"{model} is not a {system_type} benchmark in "
                      f"{row.get('version')}")
        return
    scenario = row.get("Scenario")
    if not isinstance(scenario, str):
        return  # a missing or malformed scenario is the schema rule's finding
    allowed = sorted({s for scenarios in suites.values() for s in scenarios})
    if row.get("Division") in ("closed", "network") and scenario not in allowed:
        yield Problem(("Scenario",), f"{model} on a {system_type} system runs "
                      f"{', '.join(allowed)} in {row.get('version')}, not {scenario}")


@rule("R018", "inferred-not-allowed", scope="row")
def inferred_not_allowed(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A result is marked inferred where the rules allow no inference.

    Only edge systems may infer a result, and only MultiStream (from SingleStream) and
    Offline (from SingleStream or MultiStream).

    Why: an inferred result was never measured; outside those cases it is not comparable.

    Fails: `{"inferred": 1, "SystemType": "datacenter", "Scenario": "Server"}`
    Passes: `{"inferred": 1, "SystemType": "edge", "Scenario": "MultiStream"}`
    """
    if not _inference(ctx) or row.get("inferred") != 1:
        return
    system_type, scenario = str(row.get("SystemType")), row.get("Scenario")
    if "edge" not in system_type.split(","):
        yield Problem(("inferred",), f"only edge systems may infer results, not {system_type}")
    elif scenario not in ("Offline", "MultiStream"):
        yield Problem(("inferred",), f"{scenario} results cannot be inferred")


@rule("R019", "chance-level-accuracy", scope="row", severity=Severity.WARNING)
def chance_level_accuracy(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """Accuracy is at most 1.5 times that of a uniform guess (resnet: 0.1 % on ImageNet's
    1000 classes; tiny ic 10 %, kws 8.33 %, vww 50 %).

    Chance levels are in the vocabulary files (`chance_accuracy`); the factor is 1.5.

    Why: a model at chance level is broken or its accuracy was recorded in the wrong unit
    (a fraction where a percentage belongs).

    Fails: `{"MlperfModel": "resnet", "Accuracy": 0.12}`; `{"Benchmark": "vww",
    "Accuracy": 51.0}`
    Passes: `{"MlperfModel": "resnet", "Accuracy": 76.1}`
    """
    accuracy = row.get("Accuracy")
    if ctx.vocab is None or not is_number(accuracy):
        return
    if ctx.vocab.family == "inference":
        chance = (ctx.vocab.model(str(row.get("MlperfModel"))) or {}).get("chance_accuracy")
    elif ctx.vocab.family == "tiny":
        chance = ctx.vocab.data.get("chance_accuracy", {}).get(str(row.get("Benchmark")))
    else:
        return
    if chance is not None and accuracy <= CHANCE_FACTOR * chance:
        yield Problem(("Accuracy",), f"Accuracy {accuracy} is near chance level ({chance})")


@rule("R020", "accelerator-count-mismatch", scope="row", severity=Severity.WARNING)
def accelerator_count_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """The accelerator count written in `SystemName` ("8x H100") is neither
    `accelerators_per_node` nor the total over `number_of_nodes`. CPU-only systems
    (`accelerators_per_node` 0) are skipped: their names count processors.

    Why: per-accelerator comparisons divide by `accelerators_per_node`; a wrong count skews
    them by the same factor.

    Fails: `{"SystemName": "Box (8x H100-SXM)", "accelerators_per_node": 4,
    "number_of_nodes": 1}`
    Passes: `{"SystemName": "Box (8x H100-SXM)", "accelerators_per_node": 8}`
    """
    name, per_node = row.get("SystemName"), row.get("accelerators_per_node")
    nodes = row.get("number_of_nodes")
    if not _inference(ctx) or not isinstance(name, str) or not isinstance(per_node, int) \
            or per_node == 0:
        return
    match = _ACCELERATOR_COUNT.search(name)
    if match is None:
        return
    named = int(match.group(1))
    total = per_node * nodes if isinstance(nodes, int) else per_node
    if named not in (per_node, total):
        yield Problem(("accelerators_per_node",), f"SystemName says {named} accelerators, "
                      f"accelerators_per_node is {per_node}")
