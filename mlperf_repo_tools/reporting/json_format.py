"""A JSON array of findings, for scripts: one finding per line (the standard library writes
indented JSON in Python, ten times slower than its C encoder, which a full run would feel)."""

from __future__ import annotations

import json
from typing import Any

from mlperf_repo_tools.findings import Finding, Location


def _location(location: Location) -> dict[str, Any]:
    return {"path": location.path, "line": location.line, "column": location.column,
            "pointer": location.pointer}


def render_json(findings: list[Finding]) -> str:
    items = [{"code": f.code, "name": f.name, "severity": str(f.severity), "message": f.message,
              **_location(f.location),
              "related": [{**_location(loc), "message": msg} for loc, msg in f.related]}
             for f in findings]
    if not items:
        return "[]\n"
    return "[\n  " + ",\n  ".join(map(json.dumps, items)) + "\n]\n"
