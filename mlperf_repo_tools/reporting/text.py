"""``path:line:col: CODE message``, one finding a line, other places indented below it."""

from __future__ import annotations

from mlperf_repo_tools.findings import Finding, Location

# Every character that ends a line (str.splitlines): a folder name or value holding one must
# not split a finding over two lines, or forge a line that reads as another finding.
_LINE_BREAKS = str.maketrans({c: repr(c)[1:-1]
                              for c in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _one_line(text: str) -> str:
    return text.translate(_LINE_BREAKS)


def _where(location: Location) -> str:
    if location.line:
        return f"{_one_line(location.path)}:{location.line}:{location.column}"
    return _one_line(location.path)


def render_text(findings: list[Finding]) -> str:
    lines = []
    for finding in findings:
        lines.append(f"{_where(finding.location)}: {finding.code} {_one_line(finding.message)}")
        for location, message in finding.related:
            lines.append(f"    see also {_where(location)}: {_one_line(message)}")
    return "\n".join(lines) + ("\n" if lines else "")
