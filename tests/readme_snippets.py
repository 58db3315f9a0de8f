"""The copy-paste snippets of the README, found by the marker line before each of them
(``<!-- snippet: NAME -->``), so tests run exactly what users copy."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_snippet(name: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- snippet: {re.escape(name)} -->\n```\w*\n(.*?)\n```", text,
                      re.DOTALL)
    assert match, f"README.md has no snippet '{name}'"
    return match.group(1) + "\n"
