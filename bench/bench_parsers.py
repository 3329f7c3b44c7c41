"""Lockfile parsers on hostile and large input: time against a baseline measured in the same run.

Run from the repository root (nothing to build first; about 20 s):

    .venv/bin/python -m bench.bench_parsers            # table of times and ratios
    .venv/bin/python -m bench.bench_parsers --check    # exit 1 when a ratio is over its target

The unit tests (tests/test_lockfiles_python.py, tests/test_lockfiles_node.py) check what these inputs
parse to and that nothing raises; how long that takes is measured here, never in a timed test.
Each case is timed (best of ``--repeat``) next to a baseline of the same size that any parser handles
in linear time: the standard library's json / tomllib on the same data, or a benign input of the same
length.  The target is a ratio, so a slow or busy machine moves both figures alike.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from typing import Callable

from pkgscan.inventory.lockfiles import LockfileError, npm_lock, pnpm_lock, poetry_lock, requirements

REQUIREMENTS_HOSTILE = [
    b"a" + b" " * 200_000 + b"x\n",
    b"a @ http://x" + b" " * 200_000 + b";x\n",
    b"a" + b"-a" * 100_000 + b"-==1\n",
    b"a[" + b"b," * 100_000 + b"\n",
    b"./" + b"a-" * 100_000 + b".whl\n",
    b"a" + b">=1," * 50_000 + b"\n",
    b"x" * 3_000_000,
    b"a\\\n" * 200_000,
    b"\x00\xff\xfe\x80 junk == == \n\x1b[31m==1\n" * 1000,
    bytes(range(256)) * 100,
]


def _best(fn: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            fn()
        except LockfileError:
            pass
        best = min(best, time.perf_counter() - t0)
    return best


def _benign_requirements(size: int) -> bytes:
    lines, n, i = [], 0, 0
    while n < size:
        line = f"package-{i}==1.{i}.0\n".encode()
        lines.append(line)
        n += len(line)
        i += 1
    return b"".join(lines)[:size]


def _pnpm_merge_bomb() -> bytes:
    bomb = ["lockfileVersion: '5.4'", "a0: &a0 {x: 1, y: 2}"]
    for i in range(1, 40):
        bomb.append(f"a{i}: &a{i} {{<<: [*a{i - 1}, *a{i - 1}], k{i}: 1}}")
    return "\n".join(bomb).encode()


def _pnpm_alias_fanout() -> bytes:
    deps = ", ".join(f"d{i}: 1.0.0" for i in range(3000))
    lines = ["lockfileVersion: '5.4'", "packages:", f"  /x/1.0.0: &p {{dependencies: {{{deps}}}, dev: false}}"]
    lines += [f"  /p{i}/1.0.0: *p" for i in range(3000)]
    return "\n".join(lines).encode()


def _pnpm_benign(n: int) -> bytes:
    lines = ["lockfileVersion: '5.4'", "packages:"]
    lines += [f"  /p{i}/1.0.0: {{dependencies: {{d{i}: 1.0.0}}, dev: false}}" for i in range(n)]
    return "\n".join(lines).encode()


def _package_lock() -> bytes:
    names = [f"pkg-{i}" if i % 5 else f"@scope{i % 7}/pkg-{i}" for i in range(430)]
    packages = {"": {"name": "root", "version": "1.0.0", "dependencies": {n: "^1.0.0" for n in names[:30]}}}
    for i, n in enumerate(names):
        key = f"node_modules/{n}" if i % 9 else f"node_modules/{names[i - 1]}/node_modules/{n}"
        packages[key] = {
            "version": f"1.{i}.0", "resolved": f"https://registry.npmjs.org/{n}/-/{n.split('/')[-1]}-1.{i}.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==", "dev": i % 4 == 0, "license": "MIT",
            "dependencies": {names[(i * 7 + k) % 430]: "^1.0.0" for k in range(3)}, "engines": {"node": ">=12"}}
    return json.dumps({"name": "root", "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2).encode()


def _poetry_big() -> bytes:
    return "".join(f'[[package]]\nname = "p{i}"\nversion = "1.{i}"\n'
                   f'description = """\nname = "fake"\n[[package]]\n"""\n' for i in range(20_000)).encode()


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object], float]]:
    """(name, pkgscan's parse, the baseline, the highest acceptable ratio)."""
    out = []
    for n, data in enumerate(REQUIREMENTS_HOSTILE):
        benign = _benign_requirements(len(data))
        out.append((f"requirements hostile #{n} ({len(data) // 1000} kB)",
                    lambda d=data: requirements.parse(d, "requirements.txt", lambda rel: None),
                    lambda b=benign: requirements.parse(b, "requirements.txt", lambda rel: None), 10.0))
    bomb, fan = _pnpm_merge_bomb(), _pnpm_alias_fanout()
    out.append(("pnpm merge-key bomb", lambda: pnpm_lock.parse(bomb, "p"),
                lambda b=_pnpm_benign(40): pnpm_lock.parse(b, "p"), 50.0))
    out.append(("pnpm alias fan-out (3000 x 3000)", lambda: pnpm_lock.parse(fan, "p"),
                lambda b=_pnpm_benign(3000): pnpm_lock.parse(b, "p"), 20.0))
    lock = _package_lock()
    out.append(("package-lock, 430 packages", lambda: npm_lock.parse(lock, "package-lock.json"),
                lambda: json.loads(lock), 40.0))
    big = _poetry_big()
    out.append(("poetry.lock, 20000 packages", lambda: poetry_lock.parse(big, "poetry.lock"),
                lambda: tomllib.loads(big.decode()), 10.0))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="best of N runs per measurement (default 3)")
    ap.add_argument("--check", action="store_true", help="exit 1 when a case is over its target ratio")
    args = ap.parse_args(argv)
    failed = []
    print(f"{'case':44} {'pkgscan':>10} {'baseline':>10} {'ratio':>7} {'target':>7}")
    for name, ours, base, target in cases():
        t_ours, t_base = _best(ours, args.repeat), _best(base, args.repeat)
        ratio = t_ours / max(t_base, 1e-6)
        flag = "" if ratio <= target else "  OVER"
        print(f"{name:44} {t_ours * 1000:8.1f}ms {t_base * 1000:8.1f}ms {ratio:7.1f} {target:7.1f}{flag}")
        if flag:
            failed.append(name)
    if args.check and failed:
        print(f"over target: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
