"""``path:line:col: CODE message``, one finding a line, other places indented below it."""

from __future__ import annotations

from mlperf_repo_tools.findings import Finding, Location


def _where(location: Location) -> str:
    if location.line:
        return f"{location.path}:{location.line}:{location.column}"
    return location.path


def render_text(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        lines.append(f"{_where(finding.location)}: {finding.code} {finding.message}")
        for location, message in finding.related:
            lines.append(f"    see also {_where(location)}: {message}")
    return "\n".join(lines) + ("\n" if lines else "")
