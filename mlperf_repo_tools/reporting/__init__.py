"""Output formats. Each reporter turns the sorted findings into text for stdout."""

from __future__ import annotations

from collections.abc import Callable

from mlperf_repo_tools.findings import Finding
from mlperf_repo_tools.reporting.github import render_github
from mlperf_repo_tools.reporting.json_format import render_json
from mlperf_repo_tools.reporting.sarif import render_sarif
from mlperf_repo_tools.reporting.text import render_text

Reporter = Callable[[list[Finding]], str]
REPORTERS: dict[str, Reporter] = {"text": render_text, "json": render_json, "sarif": render_sarif,
                                  "github": render_github}


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 finding', '2 findings': the counts of the status lines."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
