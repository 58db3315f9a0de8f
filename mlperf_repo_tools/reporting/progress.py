"""A progress bar on stderr, for long runs in a terminal only.

It appears once a run has lasted ``delay`` seconds, so short runs never show it, and never
when stderr is not a terminal (piped output, CI logs) or when ``CI`` is set.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import TextIO

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: TextIO, delay: float = 1.0,
                 clock: Callable[[], float] = time.monotonic,
                 environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        self.stream = stream
        self.enabled = stream.isatty() and not environ.get("CI") and \
            environ.get("GITHUB_ACTIONS") != "true"
        self.clock = clock
        self.start = clock()
        self.delay = delay
        self.last_drawn = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.start < self.delay or (now - self.last_drawn < 0.1 and done < total):
            return
        filled = WIDTH * done // max(total, 1)
        self.stream.write(f"\r[{'#' * filled}{' ' * (WIDTH - filled)}] "
                          f"{done}/{total} result files")
        self.stream.flush()
        self.last_drawn, self.drawn = now, True

    def finish(self) -> None:
        """Erase the bar, so the summary line starts on a clean line."""
        if self.drawn:
            self.stream.write("\r" + " " * (WIDTH + 40) + "\r")
            self.stream.flush()
            self.drawn = False
