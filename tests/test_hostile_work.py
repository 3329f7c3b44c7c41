"""Parser work and memory are bounded, not just bytes (generators in tests/hostile/work.py).  Each
case is scanned in a child process (≤ 10 s, ≤ 300 MB peak RSS of the child itself) and still finds the
ordinary package beside the bomb; the bomb is named in a notice."""
from __future__ import annotations

import json

import pytest

from .hostile import work
from .hostile.runner import MAX_RSS_KB, MAX_SECONDS, assert_bounded, cli_child, scan_child

LODASH = ("npm", "lodash", "4.17.21")
EXPECT = {
    "req-includes": "lockfile-warning",
    "pnpm-flow": "lockfile-too-complex",
    "pnpm-block": "lockfile-too-complex",
    "uv-ints": "lockfile-too-complex",
    "poetry-inline": "lockfile-too-complex",
    "npm-arrays": "lockfile-too-complex",
    "dep-graph": "graph-truncated",
    "long-version": "metadata-padded",
    "many-notices": "unsafe-path",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return work.build_all(tmp_path_factory.mktemp("work"))


@pytest.mark.parametrize("name", sorted(EXPECT))
def test_bounded_scan(corpus, name):
    assert corpus[name].stat().st_size < 10 * 1000 * 1000
    res = scan_child(corpus[name])
    assert_bounded(res)
    assert LODASH in {tuple(c) for c in res["components"]}
    assert EXPECT[name] in res["notice_counts"], res["notice_counts"]


def test_requirements_includes_read_once(corpus):
    res = scan_child(corpus["req-includes"])
    assert_bounded(res)
    assert res["elapsed"] < 5
    assert not {"lockfile-budget", "size-limit"} & set(res["notice_counts"])


def test_notices_are_aggregated(corpus):
    res = scan_child(corpus["many-notices"])
    assert res["notice_counts"]["unsafe-path"] == 1001  # 1,000 listed and one that counts the rest


def test_long_version_cut_visibly(corpus):
    from pkgscan.scan import scan_path

    inv = scan_path(corpus["long-version"])
    [c] = [c for c in inv.components if c.name == "longv"]
    assert c.version.endswith("...(truncated)") and len(c.version) < 300


@pytest.mark.parametrize("name", ["dep-graph", "many-notices", "long-version"])
def test_bounded_sbom_cli(corpus, name, tmp_path):
    out = tmp_path / "sbom.json"
    r = cli_child(["sbom", corpus[name], "-o", out], tmp_path)
    assert r["rc"] == 0, r["stderr"][-2000:]
    assert r["wall"] < MAX_SECONDS + 2 and r["maxrss_kb"] < MAX_RSS_KB, (r["wall"], r["maxrss_kb"])
    assert len(r["stderr"].splitlines()) <= 1100
    assert out.stat().st_size < 20 * 1000 * 1000
    bom = json.loads(out.read_text())
    assert any(c["name"] == "lodash" for c in bom["components"])
