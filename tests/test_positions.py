"""Line and column of an offset: counted from the nearest offset already located, in any
order of questions, the same as counting from the start."""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from mlperf_repo_tools.positions import PositionIndex


def _naive(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r{}", max_size=300), st.randoms(use_true_random=False))
def test_line_col_matches_counting_from_the_start(text: str, shuffler: random.Random) -> None:
    index = PositionIndex(text)
    offsets = list(range(len(text) + 1)) * 2
    shuffler.shuffle(offsets)
    for offset in offsets:
        assert index.line_col(offset) == _naive(text, offset)


def test_line_col_of_a_crlf_text() -> None:
    text = '[\r\n  {"a": 1},\r\n  {"b": 2}\r\n]\r\n'
    index = PositionIndex(text)
    assert index.line_col(text.index('"b"')) == (3, 4)
    assert index.line_col(text.index('"a"')) == (2, 4)
    assert index.line_col(0) == (1, 1)
