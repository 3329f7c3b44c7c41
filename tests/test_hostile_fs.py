"""Hostile file systems around Lambda results (generators in tests/hostile/fs_aws.py): API values that
are paths, links planted in --out-dir, in merge's shard directories, in the code cache and in the
database directory, cache entries that are FIFOs or /dev/zero, malformed part documents.  Nothing is
written, read or deleted outside the intended directory; errors are one clear line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pkgscan.errors import InputError

from .hostile import fs_aws

WORKER = Path(fs_aws.__file__)
ROOT = Path(__file__).resolve().parent.parent


def _child(op: str, base: Path, timeout: float = 10) -> dict:
    """One operation in a child process: wall-clock timeout, its own peak RSS reported."""
    r = subprocess.run([sys.executable, str(WORKER), "--op", op, str(base)], capture_output=True, timeout=timeout,
                       cwd=ROOT, stdin=subprocess.DEVNULL)
    res = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert res["status"] == "ok", res
    assert res["elapsed"] < 10 and res["maxrss_kb"] < 300 * 1024, res
    return res


def _inside(root: Path, p: Path) -> bool:
    return os.path.realpath(p).startswith(os.path.realpath(root) + os.sep)


# ---------------------------------------------------------------------------- output paths
def test_api_values_never_leave_out_dir(tmp_path):
    from pkgscan.aws import results

    out = tmp_path / "out"
    before = fs_aws.snapshot(tmp_path)
    results.write(fs_aws.hostile_result(), out)
    written = [Path(dp) / f for dp, _d, fs in os.walk(out) for f in fs]
    assert all(_inside(out, p) for p in written), written
    new = set(fs_aws.snapshot(tmp_path)) - set(before)
    assert all(p == "out" or p.startswith("out/") for p in new), sorted(new)
    names = {str(p.relative_to(out)) for p in written}
    # the valid function: readable "@latest"; hostile values: sanitized, marked invalid, no "..", no hidden files
    assert "functions/111122223333/us-east-1/ok@latest.cdx.json" in names, names
    assert all(".." not in n and "/." not in n and "$" not in n and "\x00" not in n for n in names), names
    assert any(n.startswith("functions/invalid-") for n in names), names


def test_fleet_part_names_are_validated(tmp_path):
    from pkgscan.aws import fleet

    fleet.write_fleet([fs_aws.hostile_result()], [], tmp_path / "out")
    parts = sorted(os.listdir(tmp_path / "out" / "parts"))
    assert len(parts) == 1 and parts[0].startswith("invalid-") and ".." not in parts[0], parts
    assert sorted(os.listdir(tmp_path)) == ["out"]


def test_planted_links_in_out_dir_are_replaced_not_followed(tmp_path):
    from pkgscan.aws import fleet, results

    p = fs_aws.plant_outdir(tmp_path)
    before = fs_aws.snapshot(p["outside"])
    result = fs_aws.hostile_result()
    fleet.write_fleet([result], [], p["out"], shard_spec=(0, 1))
    results.write(result, p["out"])
    assert fs_aws.snapshot(p["outside"]) == before  # no victim written, truncated or deleted
    for name in ("summary.json", "summary.md", "functions", "parts", "shard.json"):
        assert not (p["out"] / name).is_symlink(), name
    assert json.loads((p["out"] / "summary.json").read_text())["schema"] == results.SCHEMA


# ----------------------------------------------------------------------------------- merge
@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return fs_aws.plant_shards(tmp_path_factory.mktemp("shards"))


@pytest.mark.parametrize("name", [*fs_aws.MALFORMED_PARTS, "deep", "not-json", "fifo-part"])
def test_merge_malformed_part_is_one_line_error(shards, name, tmp_path):
    from pkgscan.aws import fleet

    with pytest.raises(InputError) as ei:
        fleet.merge([shards["good"], shards["bad"][name]], tmp_path / "merged")
    msg = str(ei.value)
    assert "\n" not in msg and str(shards["bad"][name]) in msg, msg
    assert not (tmp_path / "merged").exists()  # validated before anything is written


def test_merge_cli_malformed_part_exit_2(shards, tmp_path):
    r = subprocess.run([sys.executable, "-m", "pkgscan", "merge", str(shards["good"]), str(shards["bad"]["deep"]),
                        "--out-dir", str(tmp_path / "m")], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert r.returncode == 2, r.stderr
    assert r.stderr.startswith("pkgscan: error: ") and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_merge_does_not_copy_or_follow_links(shards, tmp_path):
    from pkgscan.aws import fleet

    before = fs_aws.snapshot(shards["outside"])
    out = tmp_path / "merged"
    out.mkdir()
    os.symlink(shards["outside"] / "summary.json", out / "summary.json")
    (out / "parts").mkdir()
    os.symlink(shards["outside"] / "part.json", out / "parts" / "111122223333--us-east-1.json")
    doc = fleet.merge([shards["good"], shards["linked"]], out)
    assert fs_aws.snapshot(shards["outside"]) == before
    assert {f["account"] for f in doc["functions"]} == {"111122223333", "222233334444"}
    assert not (out / "functions" / "222233334444" / "eu-west-1" / "stolen@1.cdx.json").exists()
    assert not (out / "summary.json").is_symlink() and not (out / "parts" / "111122223333--us-east-1.json").is_symlink()
    assert fs_aws.VICTIM not in b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    with pytest.raises(InputError, match="not a regular file"):
        fleet.merge([shards["linked_part"]], tmp_path / "m2")


# ------------------------------------------------------------------------------- the cache
@pytest.mark.parametrize("key", ["fifo", "zero", "link", "subdir"])
def test_cache_special_entries_are_misses(tmp_path, key):
    p = fs_aws.plant_cache(tmp_path)
    before = fs_aws.snapshot(p["outside"])
    res = _child(f"cache-get-{key}", tmp_path)
    assert res["hit"] is False and res["usable"] is True
    assert fs_aws.snapshot(p["outside"]) == before


def test_cache_writes_and_eviction_stay_inside(tmp_path):
    p = fs_aws.plant_cache(tmp_path)
    before = fs_aws.snapshot(p["outside"])
    res = _child("cache-put", tmp_path)
    assert res["put"] == [True, True], res
    assert fs_aws.snapshot(p["outside"]) == before  # eviction deleted nothing through the linked "dd"
    assert not (p["cache"] / "dd").is_symlink() and (p["cache"] / "dd").is_dir()
    assert not (p["cache"] / "ff" / f"{'ff' * 32}.function.json").exists()  # our own old entry was evicted


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to plant a directory owned by another user")
def test_foreign_world_writable_cache_is_ignored_with_a_warning(tmp_path):
    fs_aws.plant_cache(tmp_path, foreign=True)
    res = _child("cache-get-planted", tmp_path)
    assert res["hit"] is False and res["usable"] is False  # the planted empty inventory is not trusted
    assert res["warnings"] and "not used" in res["warnings"][0]


def test_world_writable_cache_is_ignored(tmp_path):
    from pkgscan.aws.cache import CodeCache

    d = tmp_path / "c"
    d.mkdir()
    os.chmod(d, 0o777)
    c = CodeCache(d)
    assert not c.usable and "writable by every user" in c.warnings[0]
    assert c.get("ab" * 32, "function") is None


# ---------------------------------------------------------------------- the database lock
def test_db_lock_link_creates_nothing(tmp_path):
    from pkgscan.vulns.store import writer

    outside = tmp_path / "outside"
    outside.mkdir()
    db = tmp_path / "db"
    db.mkdir()
    os.symlink(outside / "created-by-lock", db / ".lock")
    os.symlink(outside, db / "x")
    with writer(db):
        pass
    assert os.listdir(outside) == []
    assert (db / ".lock").is_file() and not (db / ".lock").is_symlink()


def test_db_lock_fifo_refused(tmp_path):
    from pkgscan.vulns.store import DatabaseError, writer

    os.mkfifo(tmp_path / ".lock")
    with pytest.raises(DatabaseError, match="not a regular file"):
        with writer(tmp_path):
            pass
