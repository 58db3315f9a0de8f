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
        self._quick = {k: q for k, sub in self.properties.items()
                       if (q := _quick_check(sub)) is not None}
        self._type_only = {k: t for k, sub in self.properties.items()
                           if (t := _type_only(sub)) is not None}
        self._value_cache: dict[tuple[str, type, Any], list[SchemaError]] = {}
        self._shape_cache: dict[tuple[str, ...], list[SchemaError]] = {}

    def _is_numeric(self, subschema: Any) -> bool:
        if isinstance(subschema, dict) and "$ref" in subschema:
            target = registry().resolver().lookup(subschema["$ref"]).contents
            return bool(subschema.get("x-numeric") or self._is_numeric(target))
        return bool(isinstance(subschema, dict) and subschema.get("x-numeric"))

    def errors(self, row: dict[str, Any]) -> Iterator[SchemaError]:
        keys = tuple(row)
        shape = self._shape_cache.get(keys)
        if shape is None:
            found = self._shape.iter_errors(dict.fromkeys(keys))
            shape = [SchemaError(tuple(e.absolute_path), e.message, str(e.validator))
                     for e in found]
            self._shape_cache[keys] = shape
        yield from shape
        quick, properties, cache_ = self._quick, self.properties, self._value_cache
        type_only = self._type_only
        for key, value in row.items():
            allowed = type_only.get(key)
            if allowed is not None:
                if type(value) in allowed:
                    continue
            else:
                check = quick.get(key)
                if check is not None and check(value):
                    continue
            subschema = properties.get(key)
            if subschema is None:
                continue
            if isinstance(value, (dict, list)):
                yield from self._check_value(key, value, subschema)
                continue
            cache_key = (key, type(value), value)
            cached = cache_.get(cache_key)
            if cached is None:
                cached = cache_[cache_key] = self._check_value(key, value, subschema)
            yield from cached

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
_ANNOTATIONS = {"description", "title", "x-numeric", "$comment"}


def _type_only(subschema: Any) -> frozenset[type] | None:
    """For a subschema that only constrains the type, the Python types that satisfy it."""
    if not isinstance(subschema, dict) or not set(subschema) <= _ANNOTATIONS | {"type"}:
        return None
    types = subschema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if not names or any(name not in _PY_TYPES for name in names):
        return None
    return frozenset().union(*(_PY_TYPES[name] for name in names))


def _quick_check(subschema: Any) -> Callable[[Any], bool] | None:
    """A predicate that is True only when a value certainly satisfies ``subschema``, with
    jsonschema's semantics, for subschemas made of a few simple keywords; None for others.
    A False answer means: ask jsonschema, which also writes the message."""
    if not isinstance(subschema, dict) or not set(subschema) <= _QUICK_KEYWORDS:
        return None
    types = subschema.get("type")
    names = [types] if isinstance(types, str) else list(types or [])
    if any(name not in _JSON_TYPES for name in names):
        return None
    type_checks = [_JSON_TYPES[name] for name in names]
    # Exact Python types that pass the type test at once; others take the JSON-type checks.
    exact = frozenset().union(*(_PY_TYPES[name] for name in names)) if names else frozenset()
    pattern = _regex(subschema["pattern"]) if "pattern" in subschema else None
    min_length = subschema.get("minLength", 0)
    minimum = subschema.get("minimum")
    enum = subschema.get("enum")
    if enum is not None and not all(_is_integer(v) and not isinstance(v, float) for v in enum):
        return None  # only integer enums: jsonschema compares booleans and numbers apart

    def check(value: Any) -> bool:
        kind = type(value)
        if type_checks and kind not in exact and not any(t(value) for t in type_checks):
            return False
        if isinstance(value, str) and (
                len(value) < min_length or (pattern is not None and not pattern.search(value))):
            return False
        if minimum is not None and _is_number(value) and value < minimum:
            return False
        return enum is None or (_is_integer(value) and not isinstance(value, float)
                                and value in enum)

    return check


@cache
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@cache
def row_schema(family: str) -> RowSchema:
    return RowSchema(f"{family}-row")
