"""The rule registry. Every rule has a stable code, a kebab-case name, a severity and a
docstring (summary, why it matters, a failing and a passing example) from which the ``rules``
and ``--explain`` output are generated.

Rule families, one module each:

- ``F`` files: reading and parsing (``files.py``)
- ``M`` experiment metas, folders and tags (``meta.py``)
- ``R`` result rows (``rows.py``, ``row_units.py``, ``row_derived.py``, ``row_truth.py``)
- ``C`` the repository meta ``cmr.yaml`` (``repo_meta.py``)
- ``X`` consistency across rows, files and experiments (``consistency.py``)
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlperf_repo_tools.findings import Severity

SCOPES = ("load", "repository", "experiment", "result-file", "row", "repo-meta", "rows")
_MODULES = ("files", "meta", "rows", "row_units", "row_derived", "row_truth", "repo_meta",
            "consistency")


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    severity: Severity
    scope: str
    check: Callable[..., Any] | None
    doc: str
    fixable: bool = False
    unsafe_fix: bool = False  # fixed only with --unsafe-fixes

    @property
    def summary(self) -> str:
        """The docstring's first paragraph, on one line."""
        return " ".join(self.doc.strip().split("\n\n")[0].split())


REGISTRY: dict[str, Rule] = {}


def _register(rule: Rule) -> None:
    if rule.code in REGISTRY:
        raise ValueError(f"rule code {rule.code} registered twice")
    if rule.scope not in SCOPES:
        raise ValueError(f"rule {rule.code}: unknown scope {rule.scope}")
    REGISTRY[rule.code] = rule


def rule(code: str, name: str, scope: str, severity: Severity = Severity.ERROR,
         fixable: bool = False, unsafe_fix: bool = False
         ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a check function as a rule; its docstring is the rule's documentation.
    ``unsafe_fix``: its fix runs only with ``--unsafe-fixes``."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        _register(Rule(code, name, severity, scope, func, inspect.getdoc(func) or "",
                       fixable or unsafe_fix, unsafe_fix))
        return func

    return decorate


def declare(code: str, name: str, doc: str, severity: Severity = Severity.ERROR) -> None:
    """Register a rule whose findings are raised while loading files, not by a check function."""
    _register(Rule(code, name, severity, "load", None, inspect.cleandoc(doc)))


def all_rules() -> dict[str, Rule]:
    for module in _MODULES:
        importlib.import_module(f"mlperf_repo_tools.rules.{module}")
    return dict(sorted(REGISTRY.items()))
