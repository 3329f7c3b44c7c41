"""pkgscan against a corpus of hostile deployment packages (tests/hostile/make_corpus.py).

The corpus is built once per session in a tmp dir.  Every case is scanned and checked against the
expectation it records: an InputError (and, from the CLI, exit 2 with a single line), or a partial
result with the packages that must still be found and the notices that must be raised.

Heavy cases (bombs, 100k entries, deep nesting, FIFOs, known quadratic inputs) run in a subprocess
capped at 1 GiB of address space (RLIMIT_AS) with a wall-clock timeout, so a regression fails instead
of hanging or eating the machine; two run at a time.  Known pkgscan bugs are strict xfails whose
reason says what is wrong.
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from pkgscan.scan import scan_path

from .hostile.make_corpus import ESC_NAME, HTML_NAME, SYMLINKS, TRAVERSAL_NAMES, Case, build_corpus, list_cases, summarize

ROOT = Path(__file__).resolve().parent.parent
MAKE_CORPUS = Path(__file__).resolve().parent / "hostile" / "make_corpus.py"
RLIMIT_AS = 1 << 30
CASES = {c.name: c for c in list_cases()}
INPUT_ERRORS = {"InputError", "ArchiveError"}
# raw bytes no terminal / SBOM output may carry: ESC, BEL, and C1 CSI (U+009B) in UTF-8
RAW_CONTROL = (b"\x1b", b"\x07", b"\xc2\x9b")


def _marks(c: Case, *, cli: bool = False) -> list:
    marks = []
    bug = c.cli_bug if cli else c.bug
    if bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"bug: {bug}"))
    if c.heavy and not cli:
        marks.append(pytest.mark.slow)
    return marks


def _params(cases, cli: bool = False):
    return [pytest.param(c.name, id=c.name, marks=_marks(c, cli=cli)) for c in cases]


def _needs_missing(c: Case) -> bool:
    return bool(c.needs) and importlib.util.find_spec(f"pkgscan.inventory.lockfiles.{c.needs}") is None


# `python -c BOOT sbom ...`: the CLI under the same 1 GiB address-space cap as the scan worker (set in
# the child itself: preexec_fn is not safe with the job threads)
_CLI_BOOT = (
    "import resource, runpy, sys; "
    f"resource.setrlimit(resource.RLIMIT_AS, ({RLIMIT_AS}, {RLIMIT_AS})); "
    "sys.argv = ['pkgscan'] + sys.argv[1:]; runpy.run_module('pkgscan', run_name='__main__', alter_sys=True)"
)


# ------------------------------------------------------------------------ the subprocess jobs
def _scan_in_subprocess(c: Case, cwd: Path) -> dict:
    cmd = [sys.executable, str(MAKE_CORPUS), "--scan", c.path, "--limits", json.dumps(dict(c.limits)),
           "--rlimit-as", str(RLIMIT_AS)]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=c.timeout, cwd=cwd, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "wall": time.perf_counter() - t0}
    lines = r.stdout.decode("utf-8", "replace").strip().splitlines()
    if r.returncode != 0 or not lines:
        return {"status": "crash", "message": f"worker exit {r.returncode}", "traceback": r.stderr.decode("utf-8", "replace")[-4000:]}
    res = json.loads(lines[-1])
    res["wall"] = time.perf_counter() - t0
    return res


def _scan_in_thread(c: Case) -> dict:
    """Light cases: in-process, but on a daemon thread so that a hang fails the test."""
    box: dict = {}

    def work() -> None:
        try:
            box["res"] = summarize(c.path, dict(c.limits))
        except BaseException as exc:  # noqa: BLE001
            import traceback

            box["res"] = {"status": "crash", "message": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()[-4000:]}

    t = threading.Thread(target=work, daemon=True)
    t.start()
    t.join(c.timeout)
    return box.get("res") or {"status": "timeout"}


def _run_cli(c: Case, fmt: str, outdir: Path, cwd: Path) -> dict:
    out = outdir / f"{c.name}.{fmt}"
    cmd = [sys.executable, "-c", _CLI_BOOT, "sbom", c.path, "-o", str(out), "--format", fmt]
    cmd += [f"--{k.replace('_', '-')}={v}" for k, v in c.limits if k == "max_entries"]
    env = dict(os.environ, SOURCE_DATE_EPOCH="0")
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, timeout=max(c.timeout, 30), cwd=cwd, env=env,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"rc": None, "stdout": b"", "stderr": b"", "output": None, "wall": time.perf_counter() - t0}
    return {"rc": r.returncode, "stdout": r.stdout, "stderr": r.stderr,
            "output": out.read_bytes() if out.exists() else None, "wall": time.perf_counter() - t0}


class Runner:
    """Session-wide: the corpus, a scratch cwd for every scan, and a pool of two job slots."""

    def __init__(self, base: Path):
        self.base = base
        self.cwd = base / "cwd"  # every scan runs here: it must stay empty
        self.outdir = base / "out"  # the only place the CLI is told to write
        self.cwd.mkdir()
        self.outdir.mkdir()
        self.cases = {c.name: c for c in build_corpus(base / "corpus")}
        self.pool = ThreadPoolExecutor(max_workers=2)
        self.jobs: dict[tuple, Future] = {}
        self.lock = threading.Lock()

    def submit(self, key: tuple, fn, *args) -> Future:
        with self.lock:
            if key not in self.jobs:
                self.jobs[key] = self.pool.submit(fn, *args)
            return self.jobs[key]

    def scan(self, name: str) -> dict:
        c = self.cases[name]
        if c.heavy:
            return self.submit(("scan", name), _scan_in_subprocess, c, self.cwd).result()
        return _scan_in_thread(c)

    def cli(self, name: str, fmt: str) -> dict:
        return self.submit(("cli", name, fmt), _run_cli, self.cases[name], fmt, self.outdir, self.cwd).result()


def _traversal_targets(base: Path) -> list[Path]:
    """Where a naive extractor would have written the traversal / symlink entries."""
    out = []
    for start in (base / "cwd", base / "corpus", base / "out", Path.cwd()):
        for name in TRAVERSAL_NAMES + ["up", "../up", "pwned-by-yaml"]:
            if "\x00" not in name:
                out.append(Path(os.path.normpath(start / name.replace("\\", "/"))))
        out.append(start / "C:\\win\\x")
    out += [Path("/abs/path"), Path("/etc/x"), Path("/b"), Path("/winx")]
    return out


@pytest.fixture(scope="session")
def runner(request, tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    targets = _traversal_targets(base)
    existed = {p for p in targets if os.path.lexists(p)}
    r = Runner(base)
    r.snapshot = _snapshot(base / "corpus")
    r.targets, r.existed = targets, existed
    # Start every heavy job the selected tests will need, longest first, two at a time.
    wanted: list[tuple[float, tuple, object, tuple]] = []
    for item in request.session.items:
        name = getattr(getattr(item, "callspec", None), "params", {}).get("case_name")
        if name not in r.cases or _needs_missing(r.cases[name]):
            continue
        c = r.cases[name]
        fn = getattr(item, "originalname", item.name)
        if fn == "test_case" and c.heavy:
            wanted.append((c.timeout, ("scan", name), _scan_in_subprocess, (c, r.cwd)))
        elif fn in ("test_cli_error", "test_cli_sbom"):
            for fmt in ("cyclonedx-json", "cyclonedx-xml") if fn == "test_cli_sbom" else ("cyclonedx-json",):
                wanted.append((c.timeout / 2, ("cli", name, fmt), _run_cli, (c, fmt, r.outdir, r.cwd)))
    for _, key, fn, args in sorted(wanted, key=lambda w: -w[0]):
        r.submit(key, fn, *args)
    yield r
    r.pool.shutdown(wait=True, cancel_futures=True)


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    snap = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            snap[os.path.relpath(p, root)] = (st.st_mode, st.st_size if not os.path.isdir(p) else 0)
    return snap


# ------------------------------------------------------------------------------ every case
@pytest.mark.parametrize("case_name", _params(CASES.values()))
def test_case(case_name, runner):
    c = runner.cases[case_name]
    if _needs_missing(c):
        pytest.skip(f"lockfile parser pkgscan.inventory.lockfiles.{c.needs} does not exist yet")
    res = runner.scan(case_name)
    status = res["status"]
    assert status != "timeout", f"{c.name}: no result within {c.timeout} s ({c.description})"
    assert status != "crash", f"{c.name}: pkgscan crashed: {res.get('message')}\n{res.get('traceback', '')}"
    if "maxrss_kb" in res:
        assert res["maxrss_kb"] < RLIMIT_AS // 1024
    if c.expect == "error":
        assert status == "error", f"{c.name}: expected an InputError, got a result: {res.get('notice_counts')}"
        assert res["error_class"] in INPUT_ERRORS
        assert c.error_substring.lower() in res["message"].lower(), res["message"]
        return
    assert status == "ok", f"{c.name}: expected a partial result, got {res.get('error_class')}: {res.get('message')}"
    found = {tuple(x) for x in res["components"]}
    assert c.components <= found, f"missing {c.components - found}; found {sorted(found)}"
    leaked = {(e, n) for e, n, _ in found} & c.absent
    assert not leaked, f"reported packages that must not be: {leaked}"
    codes = set(res["notice_counts"])
    assert c.notice_codes <= codes, f"missing notices {c.notice_codes - codes}; got {res['notice_counts']}"
    if c.notice_any:
        assert c.notice_any & codes, f"expected one of {sorted(c.notice_any)}; got {res['notice_counts']}"
    if c.suspicious is not None:
        assert res["suspicious"] is c.suspicious, res["notices"][:10]


# --------------------------------------------------------------------------------- the CLI
ERROR_CASES = [c for c in CASES.values() if c.expect == "error" and c.cli]
CLI_PARTIAL = [c for c in CASES.values() if c.expect == "partial" and c.cli]


@pytest.mark.parametrize("case_name", _params(ERROR_CASES, cli=True))
def test_cli_error(case_name, runner):
    """Unscannable input: exit 2, one line on stderr, no traceback, no output file."""
    r = runner.cli(case_name, "cyclonedx-json")
    assert r["rc"] == 2, (r["rc"], r["stderr"][-2000:])
    err = r["stderr"].decode("utf-8", "replace")
    assert err.startswith("pkgscan: error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    assert r["stdout"] == b""
    assert r["output"] is None


@pytest.mark.parametrize("case_name", _params(CLI_PARTIAL, cli=True))
def test_cli_sbom(case_name, runner):
    """A partial result: exit 0; no raw terminal escapes on stderr or in either SBOM; every stderr
    line is one of pkgscan's own; the JSON and the XML parse and carry the hostile names as text."""
    c = runner.cases[case_name]
    if _needs_missing(c):
        pytest.skip(f"lockfile parser {c.needs} does not exist yet")
    scanned = runner.scan(case_name)
    assert scanned["status"] == "ok", scanned
    n_notices = sum(scanned["notice_counts"].values())
    docs = {}
    for fmt in ("cyclonedx-json", "cyclonedx-xml"):
        r = runner.cli(case_name, fmt)
        assert r["rc"] == 0, (fmt, r["rc"], r["stderr"][-2000:])
        for ch in RAW_CONTROL:
            assert ch not in r["stderr"], (fmt, "stderr", ch, r["stderr"][:500])
            assert ch not in r["output"], (fmt, "sbom", ch)
        lines = r["stderr"].decode("utf-8", "replace").splitlines()
        for line in lines:
            assert line.startswith("pkgscan: warning: "), f"forged or foreign stderr line: {line!r}"
        if n_notices <= 10:  # one line per notice: a name cannot add lines of its own
            assert len(lines) == n_notices, lines
        assert b"\r" not in r["stderr"]
        docs[fmt] = r["output"]
    bom = json.loads(docs["cyclonedx-json"])
    json_names = {comp["name"] if "group" not in comp else f"{comp['group']}/{comp['name']}" for comp in bom.get("components", [])}
    tree = ET.fromstring(docs["cyclonedx-xml"])
    ns = tree.tag.split("}")[0] + "}"
    xml_names = {n.text for comp in tree.iter(f"{ns}component") for n in comp.findall(f"{ns}name")}
    assert "lodash" in json_names and "lodash" in xml_names
    if case_name == "escapes":
        # the HTML survives as text (escaped on the wire, intact once parsed); escapes are neutralized
        assert HTML_NAME in json_names and HTML_NAME in xml_names
        assert b"<script>" not in docs["cyclonedx-xml"] and b"<img" not in docs["cyclonedx-xml"]
        assert any(n.startswith("esc") and "pwned" in n for n in xml_names), xml_names
        assert ESC_NAME not in xml_names


# --------------------------------------------------------------------------- finer checks
def test_symlink_notices_tell_inside_from_outside(runner):
    inv = scan_path(runner.cases["symlinks"].path)
    by_path = {n.path: n for n in inv.notices if n.code == "symlink"}
    assert set(SYMLINKS) - {"inside"} <= set(by_path), sorted(by_path)
    assert "inside" not in by_path  # within the package: summarized, not a warning of its own
    [inside] = [n for n in inv.notices if n.code == "symlinks-inside"]
    assert not inside.suspicious and "inside -> " in inside.message
    for name in ("passwd", "up", "deep/up2", "winlink", "node_modules/evil/package.json"):
        assert by_path[name].suspicious is True, name
    assert "/etc/passwd" in by_path["passwd"].message


def test_traversal_notices_name_each_entry(runner):
    inv = scan_path(runner.cases["traversal"].path)
    skipped = {n.path for n in inv.notices if n.code == "unsafe-path"}
    assert set(TRAVERSAL_NAMES) <= skipped
    assert all(n.suspicious for n in inv.notices if n.code == "unsafe-path")


def test_duplicate_entry_last_one_wins(runner):
    """Which duplicate wins: the last one in the central directory (what unzip -o / extractall
    leave on disk), and the scan says so with a suspicious duplicate-entry notice."""
    inv = scan_path(runner.cases["duplicates"].path)
    assert inv.component("npm", "dup", "2.0.0") is not None
    assert inv.component("npm", "dup", "1.0.0") is None
    dups = [n for n in inv.notices if n.code == "duplicate-entry"]
    assert {n.path for n in dups} == {"node_modules/dup/package.json", "node_modules/dup2/package.json"}
    assert all(n.suspicious for n in dups)


def test_many_entries_found_in_time(runner):
    res = runner.scan("many-entries")
    assert res["status"] == "ok" and res["entries"] >= 120_000
    assert res["elapsed"] < 20


def test_fifo_not_opened_in_directory(runner):
    res = runner.scan("dir-hostile")
    assert res["status"] == "ok", res
    special = {n[1] for n in res["notices"] if n[0] == "special-file"}
    assert {"node_modules/fifo/package.json", "requirements.txt"} <= special


def test_zz_nothing_written_outside(runner):
    """After every scan and CLI run (named zz_ to run last): the scratch cwd is empty, the corpus is
    unchanged, no traversal target appeared, and the CLI wrote only the -o files it was given."""
    for f in list(runner.jobs.values()):
        f.exception()  # wait; failures are reported by their own tests
    assert sorted(os.listdir(runner.cwd)) == []
    assert _snapshot(runner.base / "corpus") == runner.snapshot
    appeared = [p for p in runner.targets if os.path.lexists(p) and p not in runner.existed]
    assert not appeared, appeared
    for p in runner.outdir.iterdir():
        assert p.suffix in (".cyclonedx-json", ".cyclonedx-xml"), p
    assert sorted(os.listdir(runner.base)) == ["corpus", "cwd", "out"]
