"""Where the schemas and vocabulary files are: inside the installed package, or at the top of a
source checkout (the wheel copies the top-level ``schemas/`` folder into the package)."""

from __future__ import annotations

from functools import cache
from pathlib import Path


@cache
def schemas_dir() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "schemas", here.parent / "schemas"):
        if (candidate / "common.schema.json").is_file():
            return candidate
    raise FileNotFoundError("the schemas folder is missing from this installation")
