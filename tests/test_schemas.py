"""The row schema checker answers exactly as jsonschema does on the whole row schema: it only
skips work, never changes a verdict or a message."""

from __future__ import annotations

from typing import Any

import pytest
from builders import inference_row, tiny_row, training_row

from mlperf_repo_tools.schemas import RowSchema, validator

# Values that sit on the edges of the simple keywords: types, integral floats, booleans
# (not numbers to JSON Schema), negatives, empty and patterned strings, containers.
EDGE_VALUES: list[Any] = [None, True, False, 0, 1, -1, 2.0, 2.5, -0.5, 10**30, "", " ", "x",
                          "N/A", "v4.0", "1a2b3c4d5e6f7081", "0123456789ABCDEF", [], [1],
                          {"a": 1}]

BASES = {"inference": inference_row(), "tiny": tiny_row(), "training": training_row()}


def _jsonschema_errors(family: str, row: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    found = validator(f"{family}-row").iter_errors(row)
    return sorted((tuple(e.absolute_path), e.message) for e in found)


def _our_errors(schema: RowSchema, row: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    return sorted((e.parts, e.message) for e in schema.errors(row))


@pytest.mark.parametrize("family", sorted(BASES))
def test_row_schema_agrees_with_jsonschema(family: str) -> None:
    schema = RowSchema(f"{family}-row")
    base = BASES[family]
    assert _our_errors(schema, base) == _jsonschema_errors(family, base) == []
    checked = disagreements = 0
    for key in [*schema.properties, "not_a_known_key"]:
        for value in EDGE_VALUES:
            row = {**base, key: value}
            checked += 1
            # Twice: the second answer comes from the caches and must not differ.
            for _ in range(2):
                if _our_errors(schema, row) != _jsonschema_errors(family, row):
                    disagreements += 1
        without = {k: v for k, v in base.items() if k != key}
        assert _our_errors(schema, without) == _jsonschema_errors(family, without)
    assert checked > 400
    assert disagreements == 0


def test_row_schema_failing_and_passing_value() -> None:
    schema = RowSchema("inference-row")
    assert _our_errors(schema, inference_row()) == []
    bad = inference_row(uid="42")
    assert [parts for parts, _ in _our_errors(schema, bad)] == [("uid",)]


def test_plans_stay_bounded_under_a_key_order_per_row() -> None:
    """Hostile input can give every row its own key order: the caches must not grow with it,
    and the answers must stay right when they are cleared."""
    import random

    from mlperf_repo_tools import consistency, schemas

    schema = RowSchema("inference-row")
    base = inference_row()
    keys = list(base)
    shuffler = random.Random(7)
    # Every row its own key order, and an odd type for one value (a different key each time).
    odd_values: list[object] = [None, True, 1, 1.5, "x"]
    for number in range(schemas.MAX_PLANS + 500):
        shuffler.shuffle(keys)
        row = {k: base[k] for k in keys}
        row[keys[0]] = odd_values[number % len(odd_values)]
        expected = sorted((tuple(e.absolute_path), e.message)
                          for e in schemas.validator("inference-row").iter_errors(row))
        assert sorted((e.parts, e.message) for e in schema.errors(row)) == expected
        consistency.content_key(row, "uid")
    assert len(schema._plans) <= schemas.MAX_PLANS
    # one quick test per property and Python type seen, not one per row
    assert len(schema._tests) <= len(schema.properties) * len(odd_values) + len(base)
    assert len(consistency._PLANS) <= schemas.MAX_PLANS
