"""Hostile file systems around a Lambda scan: API values that are paths, links planted in the output
directory, in shard directories given to ``merge``, in the code cache and in the vulnerability
database directory; cache entries that are FIFOs or links to /dev/zero; malformed part documents.

Each ``plant_*`` generator writes one situation under a base directory and returns the paths a test
needs; the victims (files a followed link would overwrite, delete or read) live in ``outside/`` next
to it.  ``python fs_aws.py --op NAME BASE`` runs one operation against an already planted BASE in
this process and prints a JSON line with the outcome, the wall time and this process's own peak RSS
(tests/test_hostile_fs.py runs it as a child, under a wall-clock timeout).
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HOSTILE_ACCOUNT = "../../../../outside/acct"
HOSTILE_REGION = ".."
HOSTILE_NAME = "../../../outside/fn"
VICTIM = b"victim: must stay intact\n"


def _victims(base: Path) -> Path:
    outside = base / "outside"
    outside.mkdir(parents=True, exist_ok=True)
    for name in ("summary.json", "part.json", "sbom.cdx.json", "cache-entry.json", "db.lock", "keep.txt"):
        (outside / name).write_bytes(VICTIM)
    (outside / "dir").mkdir(exist_ok=True)
    (outside / "dir" / "keep.txt").write_bytes(VICTIM)
    return outside


def snapshot(d: Path) -> dict[str, tuple[int, bytes | None]]:
    """Every path under ``d`` with its mode and (for regular files) contents."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(d):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            data = Path(p).read_bytes() if os.path.isfile(p) and not os.path.islink(p) else None
            out[os.path.relpath(p, d)] = (st.st_mode, data)
    return out


def hostile_result():
    """An AccountResult whose account, region, function and layer names come from a hostile API."""
    from pkgscan.aws.model import AccountResult, FunctionResult, LayerResult, RegionResult

    fns = [
        FunctionResult(arn="arn:aws:lambda:us-east-1:111122223333:function:ok", account="111122223333",
                       region="us-east-1", name="ok", version="$LATEST", status="scanned"),
        FunctionResult(arn="arn:x:1", account=HOSTILE_ACCOUNT, region=HOSTILE_REGION, name=HOSTILE_NAME,
                       version="$LATEST", status="scanned"),
        FunctionResult(arn="arn:x:2", account="111122223333", region="us-east-1", name="..", version="..",
                       status="scanned"),
        FunctionResult(arn="arn:x:3", account="/abs", region="us-east-1/../..", name="fn\x00\n", version="1",
                       status="scanned"),
    ]
    layers = [LayerResult(arn="arn:l:1", account=HOSTILE_ACCOUNT, region="..", name="../../lay", version="1",
                          status="scanned")]
    return AccountResult(account=HOSTILE_ACCOUNT, functions=fns, layers=layers,
                         regions=[RegionResult(region=HOSTILE_REGION, status="scanned")])


def plant_outdir(base: Path) -> dict:
    """An --out-dir where an earlier (hostile) user left links to files and directories outside."""
    outside = _victims(base)
    out = base / "out"
    out.mkdir()
    os.symlink(outside / "summary.json", out / "summary.json")
    os.symlink(outside / "keep.txt", out / "summary.md")
    os.symlink(outside / "dir", out / "functions")
    os.symlink(outside / "dir", out / "parts")
    os.symlink(outside / "keep.txt", out / "shard.json.tmp")
    return {"out": out, "outside": outside}


def _part(account: str = "111122223333", region: str = "us-east-1") -> dict:
    from pkgscan.aws import results as res

    return {"schema": res.SCHEMA, "accounts": [{"account": account, "name": "", "status": "scanned", "reason": ""}],
            "regions": [{"region": region, "status": "scanned", "reason": "", "functions": 1, "layers": 0,
                         "account": account}],
            "functions": [{"arn": f"arn:aws:lambda:{region}:{account}:function:f", "account": account, "region": region,
                           "name": "f", "version": "$LATEST", "status": "scanned", "reason": "", "runtime": "python3.12",
                           "layers": [], "findings": [], "signing": {"verdict": None, "class": None},
                           "runtime_verdict": None}],
            "layers": [], "warnings": []}


MALFORMED_PARTS = {
    "missing-keys": lambda p: {**p, "functions": [{"arn": "x"}]},
    "wrong-types": lambda p: {**p, "functions": [{**p["functions"][0], "layers": 7, "findings": "none"}]},
    "wrong-account-type": lambda p: {**p, "accounts": [{"account": 5, "status": []}]},
    "not-object": lambda p: [p],
    "finding-not-object": lambda p: {**p, "functions": [{**p["functions"][0], "findings": [1]}]},
}


def plant_shards(base: Path) -> dict:
    """Shard directories for ``merge``: one good; one per malformed part; one whose parts/ holds a link
    to a file outside and whose SBOM is a link to a file outside; deep nesting; not JSON."""
    outside = _victims(base)
    shards = base / "shards"
    good = shards / "good"
    (good / "parts").mkdir(parents=True)
    (good / "parts" / "111122223333--us-east-1.json").write_text(json.dumps(_part()))
    sb = good / "functions" / "111122223333" / "us-east-1"
    sb.mkdir(parents=True)
    (sb / "f@latest.cdx.json").write_text("{}")
    bad = {}
    for name, make in MALFORMED_PARTS.items():
        d = shards / name
        (d / "parts").mkdir(parents=True)
        (d / "parts" / "p.json").write_text(json.dumps(make(_part("444455556666"))))
        bad[name] = d
    d = shards / "deep"
    (d / "parts").mkdir(parents=True)
    (d / "parts" / "p.json").write_text('{"schema": "pkgscan/lambda-results/v1", "functions": ' + "[" * 200_000 + "]" * 200_000 + "}")
    bad["deep"] = d
    d = shards / "not-json"
    (d / "parts").mkdir(parents=True)
    (d / "parts" / "p.json").write_bytes(b"\xff\xfe not json")
    bad["not-json"] = d
    d = shards / "fifo-part"
    (d / "parts").mkdir(parents=True)
    os.mkfifo(d / "parts" / "p.json")
    bad["fifo-part"] = d
    linked = shards / "linked"
    (linked / "parts").mkdir(parents=True)
    (linked / "parts" / "222233334444--eu-west-1.json").write_text(json.dumps(_part("222233334444", "eu-west-1")))
    lsb = linked / "functions" / "222233334444" / "eu-west-1"
    lsb.mkdir(parents=True)
    os.symlink(outside / "sbom.cdx.json", lsb / "stolen@1.cdx.json")  # its target must not be copied
    os.symlink(outside / "dir", linked / "layers")
    linked_part = shards / "linked-part"
    (linked_part / "parts").mkdir(parents=True)
    os.symlink(outside / "part.json", linked_part / "parts" / "x.json")
    return {"good": good, "bad": bad, "linked": linked, "linked_part": linked_part, "outside": outside,
            "out": base / "merged"}


def plant_cache(base: Path, *, foreign: bool = False) -> dict:
    """A code cache with a linked sub-directory (writes and eviction would go outside), an entry that
    is a FIFO, one linked to /dev/zero, one linked to a file outside; with ``foreign``, the cache is
    world-writable and owned by another user (uid 65534) and holds a planted empty inventory for the
    key the test asks for."""
    from pkgscan import __version__
    from pkgscan.aws.serialize import inventory_to_dict
    from pkgscan.model import Artifact, Inventory

    outside = _victims(base)
    cache = base / "cache"
    cache.mkdir(mode=0o700)
    os.chmod(cache, 0o700)
    keys = {"fifo": "aa" * 32, "zero": "bb" * 32, "link": "cc" * 32, "subdir": "dd" * 32, "planted": "ee" * 32}
    (cache / "aa").mkdir()
    os.mkfifo(cache / "aa" / f"{keys['fifo']}.function.json")
    (cache / "bb").mkdir()
    os.symlink("/dev/zero", cache / "bb" / f"{keys['zero']}.function.json")
    (cache / "cc").mkdir()
    os.symlink(outside / "cache-entry.json", cache / "cc" / f"{keys['link']}.function.json")
    os.symlink(outside / "dir", cache / "dd")  # a linked sub-directory
    os.symlink(outside / "keep.txt", cache / "dd-victim.json")
    # an old entry of ours to make eviction run: it must be the only file deleted
    (cache / "ff").mkdir()
    old = cache / "ff" / f"{'ff' * 32}.function.json"
    old.write_text(json.dumps({"pkgscan": "0.0-old", "inventory": {}}))
    os.utime(old, (1, 1))
    (outside / "dir" / f"{'dd' * 32}.function.json").write_bytes(VICTIM)
    os.utime(outside / "dir" / f"{'dd' * 32}.function.json", (0, 0))  # oldest: eviction's first pick
    if foreign:
        p = cache / "ee"
        p.mkdir()
        inv = Inventory(artifact=Artifact("planted", "", "zip", "function"))
        (p / f"{keys['planted']}.function.json").write_text(
            json.dumps({"pkgscan": __version__, "inventory": inventory_to_dict(inv)}))
        for q in (cache, p, p / f"{keys['planted']}.function.json"):
            os.chown(q, 65534, 65534)
        os.chmod(cache, 0o777)
    return {"cache": cache, "outside": outside, "keys": keys}


# ------------------------------------------------------------------------------- the worker
def _op(name: str, base: Path) -> dict:
    if name.startswith("cache-get-"):
        from pkgscan import __version__
        from pkgscan.aws.cache import CodeCache

        key = name[len("cache-get-"):]
        keys = {"fifo": "aa" * 32, "zero": "bb" * 32, "link": "cc" * 32, "subdir": "dd" * 32, "planted": "ee" * 32}
        c = CodeCache(base / "cache", version=__version__)
        inv = c.get(keys[key], "function")
        return {"hit": inv is not None, "warnings": c.warnings, "usable": c.usable}
    if name == "cache-put":
        from pkgscan import __version__
        from pkgscan.aws.cache import CodeCache
        from pkgscan.model import Artifact, Inventory

        c = CodeCache(base / "cache", max_bytes=1, version=__version__)  # every put evicts
        inv = Inventory(artifact=Artifact("x", "", "zip", "function"))
        ok = [c.put(k * 32, "function", inv) for k in ("dd", "12")]
        return {"put": ok, "warnings": c.warnings}
    raise SystemExit(f"unknown op {name}")


def main(argv: list[str]) -> int:
    if argv[:1] != ["--op"] or len(argv) != 3:
        print("usage: fs_aws.py --op NAME BASE", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    try:
        res = {"status": "ok", **_op(argv[1], Path(argv[2]))}
    except BaseException as exc:  # noqa: BLE001 - report anything at all
        import traceback

        res = {"status": "crash", "message": f"{type(exc).__name__}: {exc}"[:2000], "traceback": traceback.format_exc()[-3000:]}
    res["elapsed"] = time.perf_counter() - t0
    res["maxrss_kb"] = _peak_rss_kb()
    sys.stdout.write(json.dumps(res) + "\n")
    return 0


def _peak_rss_kb() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
