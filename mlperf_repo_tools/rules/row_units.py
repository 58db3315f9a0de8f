"""R: units of inference results and power, per round, model and scenario."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlperf_repo_tools.context import RowContext
from mlperf_repo_tools.derived import power_unit
from mlperf_repo_tools.findings import Problem
from mlperf_repo_tools.rules import rule
from mlperf_repo_tools.vocabulary import POWER_UNITS


def _is_power_unit(value: Any) -> bool:
    """A power unit; any other value, including a list or object (unhashable), is not."""
    return isinstance(value, str) and value in POWER_UNITS


def _inference(ctx: RowContext) -> bool:
    return ctx.vocab is not None and ctx.vocab.family == "inference" and ctx.round is not None


@rule("R004", "result-unit-mismatch", scope="row", unsafe_fix=True)
def result_unit_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A performance row's `Units` do not fit its round, model and scenario.

    Offline is `Samples/s`, Server `Queries/s`, SingleStream and MultiStream `Latency (ms)`;
    LLMs report `Tokens/s` from v4.1 on (gptj, llama2-70b, mixtral-8x7b Offline and Server;
    later rounds add their LLMs), looked up by canonical model (`MlperfModel`). Earlier
    rounds labelled the same token rates `Samples/s`/`Queries/s`. The v4.1 checker looked the
    unit up by benchmark folder name and so left five open rows of a renamed llama2 folder in
    `Samples/s`/`Queries/s`; their values are token rates all the same and are reported.

    Why: a unit that does not match the round's official one makes a token rate look like a
    sample rate, so cross-round comparisons are off by the tokens per sample (about 69x for
    gptj).

    Fails: `{"version": "v4.1", "Model": "llama2-70b-99", "Scenario": "Offline",
    "Units": "Samples/s"}`
    Passes: the same row with `"Units": "Tokens/s"`; a v4.0 llama2 row with `Samples/s`.
    """
    units = row.get("Units")
    if not _inference(ctx) or not isinstance(units, str) or units in POWER_UNITS:
        return
    version = str(row.get("version"))
    assert ctx.vocab is not None
    expected = ctx.vocab.expected_perf_unit(version, row)
    if expected is not None and units != expected:
        yield Problem(("Units",), f"{row.get('Model')} {row.get('Scenario')} results of "
                      f"{version} are in '{expected}', not '{units}'")


@rule("R005", "power-unit-mismatch", scope="row")
def power_unit_mismatch(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """The unit of a power result does not fit the scenario and round.

    Offline and Server power is average `Watts`; SingleStream and MultiStream report energy
    per query in `millijoules` (`Joules` was also used up to v2.1).

    Why: Watts and millijoules per query are different quantities; a mismatch makes the
    derived inferences per joule meaningless.

    Fails: `{"Scenario": "SingleStream", "Result_Power_Units": "Watts"}`
    Passes: `{"Scenario": "SingleStream", "Result_Power_Units": "millijoules"}`
    """
    if not _inference(ctx) or not ("Result_Power" in row or _is_power_unit(row.get("Units"))):
        return
    unit = power_unit(row)
    scenario = row.get("Scenario")
    assert ctx.vocab is not None
    allowed = ctx.vocab.power_units(str(row.get("version")), str(scenario))
    if unit is None:
        yield Problem(("Result_Power",), "power result has no unit (Result_Power_Units)")
    elif allowed is not None and unit not in allowed:
        key = "Result_Power_Units" if "Result_Power_Units" in row else "Units"
        yield Problem((key,), f"{scenario} power is in {' or '.join(allowed)}, not '{unit}'")


@rule("R006", "power-unit-in-result-units", scope="row", fixable=True)
def power_unit_in_result_units(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """`Result_Units` holds a power unit: a power measurement split from its performance row.

    The submission checker writes a power result as two rows; the CM importer moved the
    power value to `Result_Power` and left `Result` null, but kept the power unit in
    `Result_Units`. The fix merges the power row into its performance row (`Result_Power`,
    `Result_Power_Units`, derived `Inference_per_Joule`) and drops it.

    Why: the power row looks like a result with a null value, and its performance row lacks
    the power data, so perf/W cannot be computed from either.

    Fails: `{"Result": null, "Result_Power": 5531.2, "Result_Units": "Watts"}`
    Passes: `{"Result": 54063.2, "Result_Units": "Samples/s", "Result_Power": 5531.2,
    "Result_Power_Units": "Watts"}`
    """
    units = row.get("Result_Units")
    if ctx.vocab is not None and ctx.vocab.family == "inference" and _is_power_unit(units):
        yield Problem(("Result_Units",), f"Result_Units is the power unit '{units}': a power "
                      "row split from its performance row")
