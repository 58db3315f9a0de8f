"""R: derived metrics (`Inference_per_Joule`, `Accuracy_div_100`), missing or wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from mlperf_repo_tools.context import RowContext
from mlperf_repo_tools.derived import accuracy_fraction, inference_per_joule, is_number
from mlperf_repo_tools.findings import Problem
from mlperf_repo_tools.rules import rule

_FORMULAS = {
    "Offline": "Result / Result_Power", "Server": "Result / Result_Power",
    "Interactive": "Result / Result_Power", "SingleStream": "1000 / Result_Power",
    "MultiStream": "8000 / Result_Power",
}


def _derivations(row: dict[str, Any], ctx: RowContext
                 ) -> Iterator[tuple[str, float | None, Callable[[], str]]]:
    if ctx.vocab is None or ctx.vocab.family != "inference":
        return
    yield ("Inference_per_Joule", inference_per_joule(row),
           lambda: _FORMULAS.get(str(row.get("Scenario")), "?"))
    fraction = ctx.vocab.model(str(row.get("MlperfModel")))
    yield ("Accuracy_div_100", accuracy_fraction(row, ctx.vocab),
           lambda: "round(Accuracy, 5)" if fraction and fraction.get("accuracy") == "fraction"
           else "round(Accuracy / 100, 5)")


@rule("R008", "derived-missing", scope="row", fixable=True)
def derived_missing(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A derived metric is missing although its inputs are in the row.

    `Inference_per_Joule` is `Result / Result_Power` for Offline and Server (Watts),
    `1000 / Result_Power` for SingleStream and `8000 / Result_Power` for MultiStream
    (millijoules per query; a MultiStream query has 8 samples). `Accuracy_div_100` is
    `round(Accuracy / 100, 5)`, or `round(Accuracy, 5)` for models whose metric is already a
    fraction (3d-unet's DICE, rgat, pointpainting). The fix (`--derive`) adds it.

    Why: the playground plots perf/W and normalized accuracy from these keys; a missing one
    drops the result from those views.

    Fails: `{"Scenario": "Offline", "Result": 100.0, "Result_Power": 50.0}`
    Passes: the same row with `"Inference_per_Joule": 2.0`
    """
    for key, value, formula in _derivations(row, ctx):
        if value is not None and key not in row:
            yield Problem((), f"{key} is missing; {formula()} = {value!r}")


@rule("R009", "derived-wrong", scope="row", fixable=True)
def derived_wrong(row: dict[str, Any], ctx: RowContext) -> Iterator[Problem]:
    """A derived metric differs from its exact recomputation, or remains after its inputs are
    gone.

    The recomputation is the one in `derived-missing`, bit for bit. A 3d-unet row whose
    `Accuracy_div_100` is its DICE score divided by 100 (0.00861 for 0.86112) is the common
    case. The fix (`--derive`) corrects or removes it.

    Why: a wrong derived value is published as fact and ranks systems wrongly.

    Fails: `{"MlperfModel": "3d-unet-99", "Accuracy": 0.86112, "Accuracy_div_100": 0.00861}`
    Passes: `{"MlperfModel": "3d-unet-99", "Accuracy": 0.86112, "Accuracy_div_100": 0.86112}`
    """
    for key, value, formula in _derivations(row, ctx):
        if key not in row:
            continue
        stored = row[key]
        if value is None:
            if key == "Inference_per_Joule":
                yield Problem((key,), f"{key} is present but cannot be derived from this row "
                              "(its inputs are missing)")
        elif not is_number(stored) or stored != value:
            yield Problem((key,), f"{key} is {stored!r}; {formula()} = {value!r}")
