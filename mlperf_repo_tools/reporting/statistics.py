"""``--statistics``: how many findings each rule has, most first."""

from __future__ import annotations

import json
from collections import Counter

from mlperf_repo_tools.findings import Finding


def rule_counts(findings: list[Finding]) -> list[tuple[Finding, int]]:
    """One finding of each rule (for its name and severity) with the rule's count."""
    counts = Counter(f.code for f in findings)
    first = {f.code: f for f in reversed(findings)}
    return [(first[code], count)
            for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def render_statistics(findings: list[Finding], output_format: str = "text") -> str:
    rows = rule_counts(findings)
    if output_format == "json":
        return json.dumps([{"code": f.code, "name": f.name, "severity": str(f.severity),
                            "count": n} for f, n in rows], indent=2) + "\n"
    width = max((len(str(n)) for _, n in rows), default=1)
    return "".join(f"{n:>{width}}  {f.code}  {f.name:<32} {f.severity}\n" for f, n in rows)
