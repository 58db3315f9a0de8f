"""GitHub Actions workflow commands: one ``::error`` or ``::warning`` line per finding, which
GitHub shows as an annotation on the pull request's diff, plus the Markdown step summary."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from mlperf_repo_tools.findings import Finding, Location, Severity

SUMMARY_FINDINGS = 20  # the step summary lists this many findings in full


def _data(text: str) -> str:
    """Escape a command's message as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _where(location: Location) -> str:
    if location.line:
        return f"{location.path}:{location.line}:{location.column}"
    return location.path


def render_github(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        level = "error" if finding.severity is Severity.ERROR else "warning"
        location = finding.location
        properties = [f"file={_property(location.path)}"]
        if location.line:
            properties += [f"line={location.line}", f"col={max(location.column, 1)}"]
        properties.append(f"title={_property(finding.code)}")
        message = "\n".join([f"{finding.message} [{finding.name}]",
                             *(f"see also {_where(loc)}: {note}" for loc, note in
                               finding.related)])
        lines.append(f"::{level} {','.join(properties)}::{_data(message)}")
    return "".join(line + "\n" for line in lines)


@dataclass
class RunTotals:
    """What the summary says about the run besides the findings."""

    files_checked: int = 0
    rows_checked: int = 0
    known: int = 0  # findings the baseline holds, not shown
    stale: int = 0  # baseline entries that match nothing any more


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_step_summary(findings: list[Finding], totals: RunTotals) -> str:
    """Markdown for ``$GITHUB_STEP_SUMMARY``: totals, counts per rule, the first findings."""
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    lines = ["## mlperf-repo-lint", ""]
    checked = f"{totals.files_checked} files, {totals.rows_checked} rows checked"
    if not findings:
        lines.append(f"No findings ({checked}).")
    else:
        lines.append(f"**{len(findings)} findings** ({errors} errors, "
                     f"{len(findings) - errors} warnings; {checked}).")
    if totals.known or totals.stale:
        lines += ["", f"The baseline holds {totals.known} more findings, not shown; "
                      f"{totals.stale} of its entries are fixed and can be dropped."]
    if findings:
        lines += ["", "| rule | name | severity | findings |", "| --- | --- | --- | ---: |"]
        counts = Counter(f.code for f in findings)
        first = {f.code: f for f in reversed(findings)}
        for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
            lines.append(f"| {code} | {first[code].name} | {first[code].severity} | {count} |")
        shown = findings[:SUMMARY_FINDINGS]
        lines += ["", f"First {len(shown)} of {len(findings)} findings:", ""]
        lines += [f"- `{_where(f.location)}` {f.code} {_cell(f.message)}" for f in shown]
    return "\n".join(lines) + "\n"
