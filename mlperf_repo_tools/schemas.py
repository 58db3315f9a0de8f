"""The JSON Schemas of the format, and fast validation of result rows against them.

Result rows are flat objects, and their schemas only use top-level keywords that look at one
property at a time (``properties``) or at the set of keys (``required``,
``additionalProperties``). Such a schema can be checked in two independent parts with exactly
the same outcome as a whole-row validation: each (key, value) pair against its property's
subschema, and the tuple of keys against the schema with every property subschema replaced by
``true``. Both parts repeat heavily across 48,000 rows, so each distinct one is validated once
by jsonschema and remembered.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from mlperf_repo_tools.resources import schemas_dir

SCHEMA_FILES = {
    "common": "common.schema.json",
    "experiment-meta": "experiment-meta.schema.json",
    "cmr": "cmr.schema.json",
    "inference-row": "inference-row.schema.json",
    "tiny-row": "tiny-row.schema.json",
    "training-row": "training-row.schema.json",
    "vocabulary": "vocabulary.schema.json",
}
# Keywords a row schema may use at its top level and still be checked property by property.
_DECOMPOSABLE = {"$schema", "$id", "title", "description", "type", "required", "properties",
                 "additionalProperties"}


@dataclass(frozen=True)
class SchemaError:
    parts: tuple[str | int, ...]
    message: str
    keyword: str


@cache
def load_schemas() -> dict[str, dict[str, Any]]:
    folder = schemas_dir()
    result = {}
    for name, filename in SCHEMA_FILES.items():
        with (folder / filename).open(encoding="utf-8") as handle:
            result[name] = json.load(handle)
    return result


@cache
def registry() -> Registry:
    resources = [(schema["$id"], Resource.from_contents(schema))
                 for schema in load_schemas().values()]
    return Registry().with_resources(resources)


@cache
def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(load_schemas()[name], registry=registry())


def document_errors(name: str, instance: Any) -> list[SchemaError]:
    """Validate a whole (small) document, such as an experiment meta or cmr.yaml."""
    errors = validator(name).iter_errors(instance)
    return [SchemaError(tuple(e.absolute_path), e.message, str(e.validator)) for e in errors]


# Of a row signature: its shape's errors, and each key to check with its quick test or None.
_Plan = tuple[list[SchemaError], tuple[tuple[str, Callable[[Any], Any] | None], ...]]


# Bound of the per-signature caches of row checks (hostile input: a key order per row).
MAX_PLANS = 4096


class RowSchema:
    """Validates result rows against one row schema, property by property, with memoization."""

    def __init__(self, name: str) -> None:
        schema = load_schemas()[name]
        extra = set(schema) - _DECOMPOSABLE
        if extra or not isinstance(schema.get("additionalProperties", True), bool):
            raise ValueError(f"row schema {name} uses {sorted(extra)}: it cannot be checked "
                             "property by property")
        self.name = name
        self._validator = validator(name)
        self.properties: dict[str, Any] = {
            key: _inline_ref(sub) for key, sub in schema.get("properties", {}).items()}
        shape = {k: v for k, v in schema.items() if k != "properties"}
        shape["properties"] = {key: True for key in self.properties}
        self._shape = Draft202012Validator(shape, registry=registry())
        self.numeric = frozenset(k for k, sub in self.properties.items() if self._is_numeric(sub))
        self._value_cache: dict[tuple[str, type, Any], list[SchemaError]] = {}
        self._shape_cache: dict[tuple[str, ...], list[SchemaError]] = {}
        self._plans: dict[tuple[tuple[str, ...], tuple[type, ...]], _Plan] = {}
        self._tests: dict[tuple[str, type], Callable[[Any], Any] | bool] = {}

    def _is_numeric(self, subschema: Any) -> bool:
        if isinstance(subschema, dict) and "$ref" in subschema:
            target = registry().resolver().lookup(subschema["$ref"]).contents
            return bool(subschema.get("x-numeric") or self._is_numeric(target))
        return bool(isinstance(subschema, dict) and subschema.get("x-numeric"))

    def errors(self, row: dict[str, Any]) -> Iterator[SchemaError]:
        # Rows of a file share their keys and value types, so the plan for a row (its shape's
        # errors, and which values need more than a type test) is worked out once per
        # signature; most values are then settled without a look.
        signature = (tuple(row), tuple(map(type, row.values())))
        plan = self._plans.get(signature)
        if plan is None:
            if len(self._plans) >= MAX_PLANS:  # hostile input: a key order per row
                self._plans.clear()
            plan = self._plans[signature] = self._plan(*signature)
        shape, to_check = plan
        yield from shape
        properties, cache_ = self.properties, self._value_cache
        for key, check in to_check:
            value = row[key]
            if check is not None and check(value):
                continue
            subschema = properties[key]
            if isinstance(value, (dict, list)):
                yield from self._check_value(key, value, subschema)
                continue
            cache_key = (key, type(value), value)
            cached = cache_.get(cache_key)
            if cached is None:
                cached = cache_[cache_key] = self._check_value(key, value, subschema)
            yield from cached

    def _plan(self, keys: tuple[str, ...], types: tuple[type, ...]) -> _Plan:
        """The errors of a row shape (required and unknown keys), and the keys whose values
        must be checked one by one, each with a quick test of its values when there is one
        (a value that fails it goes to jsonschema)."""
        shape = self._shape_cache.get(keys)
        if shape is None:
            found = self._shape.iter_errors(dict.fromkeys(keys))
            shape = [SchemaError(tuple(e.absolute_path), e.message, str(e.validator))
                     for e in found]
            self._shape_cache[keys] = shape
        to_check = []
        for key, kind in zip(keys, types, strict=True):
            if key in self.properties:
                quick = self._tests.get((key, kind))
                if quick is None:
                    quick = self._tests[key, kind] = _quick_test(self.properties[key], kind)
                if quick is not True:
                    to_check.append((key, quick or None))
        return shape, tuple(to_check)

    def _check_value(self, key: str, value: Any, subschema: Any) -> list[SchemaError]:
        found = self._validator.descend(value, subschema, path=key)
        return [SchemaError(tuple(e.absolute_path), e.message, str(e.validator)) for e in found]


def _inline_ref(subschema: Any) -> Any:
    """Replace a property's lone ``$ref`` by its target, so checks need no reference lookup."""
    if isinstance(subschema, dict) and "$ref" in subschema:
        target = registry().resolver().lookup(subschema["$ref"]).contents
        if isinstance(target, dict) and "$ref" not in target:
            merged = {**target, **subschema}
            del merged["$ref"]
            return merged
    return subschema


_QUICK_KEYWORDS = {"type", "pattern", "minLength", "minimum", "enum", "description", "title",
                   "x-numeric", "$comment"}


def _is_integer(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}


# Python types that certainly satisfy a JSON Schema type (integral floats take the slow path).
_PY_TYPES: dict[str, set[type]] = {"string": {str}, "integer": {int}, "number": {int, float},
                                   "boolean": {bool}, "null": {type(None)}}


def _quick_test(subschema: Any, kind: type) -> Callable[[Any], Any] | bool:
    """How a value of Python type ``kind`` is checked against ``subschema``, with jsonschema's
    semantics, for subschemas made of a few simple keywords: True when every such value
    passes, else a test that is true only when the value certainly passes (a value that fails
    it goes to jsonschema, which also writes the message); False for other subschemas."""
    if not isinstance(subschema, dict) or not set(subschema) <= _QUICK_KEYWORDS:
        return False
    types = subschema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if any(name not in _JSON_TYPES for name in names):
        return False
    enum = subschema.get("enum")
    if enum is not None and not all(_is_integer(v) and not isinstance(v, float) for v in enum):
        return False  # only integer enums: jsonschema compares booleans and numbers apart
    # Exact Python types that pass the type test at once; others take the JSON-type checks.
    exact = frozenset().union(*(_PY_TYPES[name] for name in names)) if names else frozenset()
    if (names and kind not in exact) or enum is not None:
        return _general_test(subschema, names, enum)
    if kind is str:
        pattern = _regex(subschema["pattern"]) if "pattern" in subschema else None
        min_length = subschema.get("minLength", 0)
        if pattern is not None:
            return lambda value: len(value) >= min_length and pattern.search(value)
        return (lambda value: len(value) >= min_length) if min_length else True
    minimum = subschema.get("minimum")
    if minimum is not None and kind in (int, float):
        return lambda value: value >= minimum
    return True


def _general_test(subschema: dict[str, Any], names: list[str], enum: list[Any] | None
                  ) -> Callable[[Any], bool]:
    type_checks = [_JSON_TYPES[name] for name in names]
    pattern = _regex(subschema["pattern"]) if "pattern" in subschema else None
    min_length = subschema.get("minLength", 0)
    minimum = subschema.get("minimum")

    def test(value: Any) -> bool:
        if type_checks and not any(t(value) for t in type_checks):
            return False
        if isinstance(value, str) and (
                len(value) < min_length or (pattern is not None and not pattern.search(value))):
            return False
        if minimum is not None and _is_number(value) and value < minimum:
            return False
        return enum is None or (_is_integer(value) and not isinstance(value, float)
                                and value in enum)

    return test


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def row_schema(family: str) -> RowSchema:
    return RowSchema(f"{family}-row")
