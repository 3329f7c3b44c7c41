""".NET and Ruby hostile inputs (tests/hostile/dotnet_ruby.py): bounded memory, clear notices, no
package lost that can be read, and nothing in a gemspec ever runs.

Each case is scanned in its own subprocess (the worker reports its peak resident memory); the
timeout is a hang guard, not a speed target (the figures are in bench/hostile_dotnet_ruby.py).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .hostile.dotnet_ruby import build

WORKER = Path(__file__).resolve().parent / "hostile" / "dotnet_ruby.py"
MAX_RSS_MB = 300
HANG_GUARD_S = 120


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile-dotnet-ruby")
    return base, build(base / "cases")


def _scan(path: Path) -> dict:
    r = subprocess.run([sys.executable, str(WORKER), "--scan", str(path)], capture_output=True,
                       timeout=HANG_GUARD_S, stdin=subprocess.DEVNULL, cwd=path.parent)
    assert r.returncode == 0, r.stderr.decode("utf-8", "replace")[-3000:]
    res = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert res["maxrss_mb"] < MAX_RSS_MB, res
    return res


def test_deps_json_50mb(corpus):
    _base, cases = corpus
    res = _scan(cases["deps-json-50mb"])
    # the real libraries are found, by pattern, with a notice saying why; the project is not a component
    assert res["sample"] == ["nuget:AWSSDK.Core@3.7.300.29", "nuget:Newtonsoft.Json@12.0.3"]
    assert res["notices"] == ["dotnet-deps-by-pattern"] and "larger than 8 MiB" in res["notice_text"][0]
    assert res["evidence"] == ["AWSSDK.Core:manifest-analysis:0.8", "Newtonsoft.Json:manifest-analysis:0.8"]


def test_deps_json_too_deep_for_the_json_reader(corpus):
    _base, cases = corpus
    res = _scan(cases["deps-json-deep-small"])
    assert res["sample"] == ["nuget:AWSSDK.Core@3.7.300.29", "nuget:Newtonsoft.Json@12.0.3"]
    assert "nested too deep" in res["notice_text"][0]


def test_deps_json_many_libraries_capped(corpus):
    _base, cases = corpus
    res = _scan(cases["deps-json-many-libraries"])
    assert res["components"] == 20_000
    # read as JSON (no targets: every package library counts): the cap applies there too
    assert res["notices"] == ["dotnet-no-runtime-target", "dotnet-too-many-libraries"]


def test_gemspec_code_never_runs(corpus):
    base, cases = corpus
    res = _scan(cases["gemspec-code"])
    assert not list((base / "cases").glob("CANARY*"))  # no system/backtick/%x/eval/exec/open ever ran
    assert res["sample"] == ["gem:bigfiles@5.0.0", "gem:evil@1.0.0", "gem:heredoc@3.0.0", "gem:huge@4.0.0",
                             "gem:sneaky@2.1.0"]
    # literal name and version despite the code around them; the heredoc's "hidden-in-heredoc" never counts
    assert "evil:manifest-analysis:1.0" in res["evidence"]
    # an interpolated version, an unterminated heredoc and an oversized spec: the file name, weaker evidence
    assert {"sneaky:filename:0.6", "heredoc:filename:0.6", "huge:filename:0.6"} <= set(res["evidence"])
    assert {"gemspec-by-filename", "malformed-metadata", "member-too-large"} <= set(res["notices"])


def test_gemfile_lock_million_lines(corpus):
    _base, cases = corpus
    res = _scan(cases["gemfile-lock-million"])
    assert res["components"] == 3 and res["declared_only"] == 20_000
    assert any("more than 20000 gems: 479995 more were not read" in t for t in res["notice_text"])


def test_gemfile_lock_one_gem_million_deps(corpus):
    _base, cases = corpus
    res = _scan(cases["gemfile-lock-one-gem-million-deps"])
    assert res["declared_only"] == 1
    assert any("999000 dependency lines beyond 1000 per gem" in t for t in res["notice_text"])
