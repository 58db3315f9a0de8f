"""A results repository's own configuration of the tools.

It lives in ``.mlperf-repo-tools.toml`` at the repository root (top-level keys), or in the
``[tool.mlperf-repo-tools]`` table of the root's ``pyproject.toml``; ``--config FILE`` names
either kind explicitly. The first of those found wins, as in ruff. Keys::

    select = ["M", "R"]               # rule codes, code prefixes or names (default: all)
    ignore = ["R015"]                 # taken away from the selection
    [per-file-ignores]                # fnmatch glob on the repository-relative path -> codes
    "experiment/mlperf-tiny--*/**" = ["R015"]
    [severity]                        # code, prefix or name -> "error" or "warning"
    R010 = "warning"
    [vocabulary.inference.rounds."v5.0"]   # merged into schemas/vocabulary/<family>.json
    models = ["llama3.1-405b"]

Any other key, an unknown rule code or a vocabulary that no longer fits its schema is a
``ConfigError`` that names the file; the command lines turn it into exit status 2. The lint
and fix commands both read it through ``load_config``.
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from mlperf_repo_tools.findings import Finding, Severity
from mlperf_repo_tools.rules import Rule

CONFIG_FILE = ".mlperf-repo-tools.toml"
PYPROJECT = "pyproject.toml"
TOOL_TABLE = "mlperf-repo-tools"
KEYS = ("select", "ignore", "per-file-ignores", "severity", "vocabulary")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the file and the key."""


@dataclass
class Config:
    source: Path | None = None  # where it was read from; None: the defaults
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    severity: dict[str, Severity] = field(default_factory=dict)  # resolved to rule codes
    vocabulary: dict[str, dict[str, Any]] = field(default_factory=dict)

    def rules(self, select: Iterable[str] = (), ignore: Iterable[str] = ()) -> dict[str, Rule]:
        """The rules to run: ``select`` from the command line replaces the configured one,
        ``ignore`` adds to it."""
        from mlperf_repo_tools.engine import select_rules

        select = [s for s in select if s]
        return select_rules(select or self.select, [*self.ignore, *ignore])

    def apply(self, findings: list[Finding]) -> list[Finding]:
        """Drop the findings that per-file-ignores excuse; give the others their configured
        severity."""
        if self.per_file_ignores:
            ignored = cache(self.excused_codes)
            findings = [f for f in findings if f.code not in ignored(f.location.path)]
        for finding in findings:
            finding.severity = self.severity.get(finding.code, finding.severity)
        return findings

    def excused_codes(self, path: str) -> frozenset[str]:
        """The codes that per-file-ignores excuse in the file at repository path ``path``."""
        codes: set[str] = set()
        for pattern, entries in self.per_file_ignores.items():
            if fnmatch.fnmatchcase(path, pattern):
                codes.update(entries)
        return frozenset(codes)


def find_config(root: Path) -> Path | None:
    """The configuration file of the repository at ``root``, if it has one."""
    own = root / CONFIG_FILE
    if own.is_file():
        return own
    pyproject = root / PYPROJECT
    if pyproject.is_file() and TOOL_TABLE in _read_toml(pyproject).get("tool", {}):
        return pyproject
    return None


def load_config(root: Path | None, explicit: Path | None = None) -> Config:
    """The configuration named by ``explicit``, else the one found at ``root``, else the
    defaults. Raises ConfigError for anything that cannot be used."""
    path = explicit if explicit is not None else (find_config(root) if root else None)
    if path is None:
        return Config()
    if not path.is_file():
        raise ConfigError(f"{path}: no such configuration file")
    table = _read_toml(path)
    if path.name == PYPROJECT:
        table = table.get("tool", {}).get(TOOL_TABLE, {})
    return parse_config(table, path)


def parse_config(table: dict[str, Any], source: Path) -> Config:
    unknown = [key for key in table if key not in KEYS]
    if unknown:
        raise ConfigError(f"{source}: unknown key '{unknown[0]}' (known: {', '.join(KEYS)})")
    config = Config(source=source)
    config.select = _codes(table, "select", source)
    config.ignore = _codes(table, "ignore", source)
    config.per_file_ignores = _per_file_ignores(table.get("per-file-ignores", {}), source)
    config.severity = _severities(table.get("severity", {}), source)
    config.vocabulary = _vocabulary(table.get("vocabulary", {}), source)
    return config


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc


def _codes(table: dict[str, Any], key: str, source: Path) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: '{key}' must be a list of rule codes")
    for entry in value:
        _matching_codes(entry, f"{source}: {key}")
    return list(value)


def _matching_codes(entry: str, where: str) -> set[str]:
    from mlperf_repo_tools.engine import SelectionError, select_rules

    try:
        return set(select_rules([entry]))
    except SelectionError:
        raise ConfigError(f"{where}: unknown rule code or name '{entry}'") from None


def _per_file_ignores(value: Any, source: Path) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: 'per-file-ignores' must map globs to rule codes")
    result = {}
    for pattern, entries in value.items():
        if isinstance(entries, str):
            entries = [entries]
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise ConfigError(f"{source}: per-file-ignores '{pattern}' must list rule codes")
        where = f"{source}: per-file-ignores '{pattern}'"
        result[pattern] = sorted(set().union(*(_matching_codes(e, where) for e in entries)))
    return result


def _severities(value: Any, source: Path) -> dict[str, Severity]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: 'severity' must map rule codes to error or warning")
    resolved: list[tuple[int, set[str], Severity]] = []
    for entry, level in value.items():
        if level not in ("error", "warning"):
            raise ConfigError(f"{source}: severity of '{entry}' must be 'error' or 'warning', "
                              f"not {level!r}")
        codes = _matching_codes(entry, f"{source}: severity")
        resolved.append((len(codes), codes, Severity(level)))
    result: dict[str, Severity] = {}
    for _, codes, level in sorted(resolved, key=lambda item: -item[0]):  # broad first
        result.update(dict.fromkeys(codes, level))
    return result


def _vocabulary(value: Any, source: Path) -> dict[str, dict[str, Any]]:
    from mlperf_repo_tools.schemas import validator
    from mlperf_repo_tools.vocabulary import FAMILIES, base_vocabularies, merge_vocabulary

    if not isinstance(value, dict):
        raise ConfigError(f"{source}: 'vocabulary' must be a table of families")
    for family, extension in value.items():
        if family not in FAMILIES:
            raise ConfigError(f"{source}: unknown vocabulary family '{family}' "
                              f"(known: {', '.join(FAMILIES)})")
        if not isinstance(extension, dict):
            raise ConfigError(f"{source}: vocabulary.{family} must be a table")
        schema = validator("vocabulary").schema
        unknown = _unknown_vocabulary_key(extension, schema, family)
        if unknown:
            raise ConfigError(f"{source}: unknown vocabulary key 'vocabulary.{unknown}'")
        merged = merge_vocabulary(base_vocabularies()[family], extension)
        for error in validator("vocabulary").iter_errors(merged):
            where = "/".join(str(p) for p in error.absolute_path)
            raise ConfigError(f"{source}: vocabulary.{family}: {error.message} (at '{where}')")
    return value


def _unknown_vocabulary_key(extension: Any, schema: Any, where: str) -> str | None:
    """The dotted name of the first key the vocabulary schema does not know (its schema
    allows any key, so a misspelt one would otherwise be merged and never read)."""
    if not isinstance(extension, dict) or not isinstance(schema, dict):
        return None
    properties = schema.get("properties", {})
    open_schema = schema.get("additionalProperties")
    for key, value in extension.items():
        name = f"{where}.{key}"
        if key in properties:
            sub = properties[key]
        elif isinstance(open_schema, dict):
            sub = open_schema
        else:
            return name
        unknown = _unknown_vocabulary_key(value, sub, name)
        if unknown:
            return unknown
    return None
