"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.

The log is indented, except each result, which takes one line: the standard library indents
JSON in Python, and a full repository has tens of thousands of results (1.7 s indented, 0.3 s
this way)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from mlperf_repo_tools import __version__
from mlperf_repo_tools.findings import Finding, Location, Severity
from mlperf_repo_tools.rules import all_rules

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


@lru_cache(maxsize=4096)
def _uri(path: str) -> str:
    # A SARIF uri is a URI reference: a space or '%' in a folder name must be escaped.
    return quote(path, safe="/")


def _physical(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": _uri(location.path),
                                                     "uriBaseId": "%SRCROOT%"}}
    if location.line:
        physical["region"] = {"startLine": location.line, "startColumn": max(location.column, 1)}
    return {"physicalLocation": physical}


def _result(finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.code,
        "ruleIndex": rule_index[finding.code],
        "level": "error" if finding.severity is Severity.ERROR else "warning",
        "message": {"text": finding.message},
        "locations": [_physical(finding.location)],
    }
    if finding.location.pointer:
        result["properties"] = {"jsonPointer": finding.location.pointer}
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, **_physical(loc), "message": {"text": msg}}
            for i, (loc, msg) in enumerate(finding.related, start=1)]
    return result


def render_sarif(findings: list[Finding]) -> str:
    rules = list(all_rules().values())
    rule_index = {r.code: i for i, r in enumerate(rules)}
    driver = {
        "name": "mlperf-repo-lint",
        "version": __version__,
        "informationUri": "https://github.com/mlcommons/cm4mlperf-results",
        "rules": [{"id": r.code, "name": r.name,
                   "shortDescription": {"text": r.summary},
                   "fullDescription": {"text": r.doc},
                   "defaultConfiguration": {"level": "error" if r.severity is Severity.ERROR
                                            else "warning"}} for r in rules],
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0",
           "runs": [{"tool": {"driver": driver},
                     # columns count characters, not the SARIF default UTF-16 code units
                     "columnKind": "unicodeCodePoints",
                     "originalUriBaseIds": {"%SRCROOT%": {"uri": "./"}},
                     "results": [_RESULTS]}]}
    text = json.dumps(log, indent=2)
    results = [json.dumps(_result(f, rule_index)) for f in findings]
    if not results:
        return text.replace(f"[\n        {json.dumps(_RESULTS)}\n      ]", "[]") + "\n"
    return text.replace(json.dumps(_RESULTS), ",\n        ".join(results)) + "\n"


# Stands in for the results in the indented log; no rule text can hold it.
_RESULTS = "\u0000results\u0000"
