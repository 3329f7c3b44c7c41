"""No package hidden by padding its metadata, and metadata work is bounded (tests/hostile/padding.py).
Each case runs in a child process: ≤ 10 s and ≤ 300 MB peak RSS."""
from __future__ import annotations

import pytest

from .hostile import padding
from .hostile.runner import assert_bounded, scan_child


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return padding.build_all(tmp_path_factory.mktemp("padding"))


def test_padded_metadata_does_not_hide_packages(corpus):
    assert corpus["padded-metadata"].stat().st_size < 1 << 20
    res = scan_child(corpus["padded-metadata"])
    assert_bounded(res)
    found = {tuple(c) for c in res["components"]}
    assert {("pypi", "evilpy", "6.6.6"), ("pypi", "frontpad", "1.0"), ("npm", "evilnpm", "6.6.6"),
            ("npm", "trail", "2.0.0"), ("npm", "lodash", "4.17.21")} <= found, found
    padded = {n[1] for n in res["notices"] if n[0] == "metadata-padded"}
    assert len(padded) == 4 and all(n[3] for n in res["notices"] if n[0] == "metadata-padded")
    assert res["suspicious"] is True


def test_requires_dist_bomb_is_bounded(corpus):
    res = scan_child(corpus["requires-bomb"])
    assert_bounded(res)
    assert {("pypi", f"req{i}", "1.0") for i in range(12)} <= {tuple(c) for c in res["components"]}
    assert res["notice_counts"].get("metadata-truncated") == 12
