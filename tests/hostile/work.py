"""Small inputs that cost a lot of parser work or memory (not bytes): each is a Lambda zip under
10 MB (most well under 1 MB) that a scan must finish in ≤ 10 s and ≤ 300 MB peak RSS, still finding
the ordinary package (``lodash 4.17.21`` in ``node_modules``) beside the bomb.

* ``req-includes``: ten 1 MiB requirements files, each ``-r``-including all the others.
* ``pnpm-flow``: pnpm-lock.yaml holding a 30 MiB flow sequence ``[a0, a3, a1, ...]``.
* ``pnpm-block``: pnpm-lock.yaml holding a block sequence of 1.9 M short items (under the generic
  token limit; PyYAML alone would take 15 s and 900 MB).
* ``uv-ints``: uv.lock with an array of 15 M one-digit integers.
* ``poetry-inline``: poetry.lock with an array of 5 M inline tables.
* ``npm-arrays``: package-lock.json with 8 M small arrays.
* ``dep-graph``: 400 installed npm packages, each depending on all 400.
* ``long-version``: a package.json whose version is a 7.5 MiB string.
* ``many-notices``: 100,000 entries with traversal names (one notice each; 9 MB).

``python tests/hostile/work.py OUTDIR`` writes them all.
"""
from __future__ import annotations

import io
import random
import json
import struct
import sys
import zipfile
import zlib
from pathlib import Path

MiB = 1 << 20
LODASH = ("nodejs/node_modules/lodash/package.json", json.dumps({"name": "lodash", "version": "4.17.21"}).encode())


def _zip(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in [*members, LODASH]:
            zf.writestr(name, data)
    return path


def req_includes(out: Path) -> Path:
    names = [f"requirements-{i}.txt" for i in range(10)]
    members = []
    for i, n in enumerate(names):
        body = "".join(f"-r {m}\n" for m in names if m != n)
        body += "".join(f"pkg{i}x{j}==1.0\n" for j in range(MiB // 16))
        members.append((n, body.encode()[:MiB + 4096]))
    return _zip(out / "req-includes.zip", members)


def _noise(n: int, fmt: str, sep: str, seed: int = 1, bits: int = 2) -> bytes:
    """``n`` items ``fmt.format(random int)`` joined by ``sep``: varied enough that the member stays
    under the reader's 200:1 compression-ratio check (deterministic).  A block of 65,536 items (larger
    than deflate's 32 KiB window) is made once and repeated, so building stays fast."""
    rnd = random.Random(seed)
    k = min(n, 65536)
    block = sep.join(fmt.format(rnd.getrandbits(bits)) for _ in range(k)).encode()
    reps, rest = divmod(n, k)
    sepb = sep.encode()
    parts = [block] * reps
    if rest:
        parts.append(sepb.join(block.split(sepb)[:rest]) if sepb else block[:rest])
    return sepb.join(parts)


def pnpm_flow(out: Path) -> Path:
    body = b"lockfileVersion: '9.0'\npackages: [" + _noise(8_000_000, "a{0}", ", ") + b"]\n"
    return _zip(out / "pnpm-flow.zip", [("pnpm-lock.yaml", body)])


def pnpm_block(out: Path) -> Path:
    body = b"lockfileVersion: '9.0'\npackages:\n" + _noise(1_900_000, "  - a{0}", "\n") + b"\n"
    return _zip(out / "pnpm-block.zip", [("pnpm-lock.yaml", body)])


def uv_ints(out: Path) -> Path:
    body = b"version = 1\nx = [" + _noise(15_000_000, "{0}", ",") + b"]\n"
    return _zip(out / "uv-ints.zip", [("uv.lock", body)])


def poetry_inline(out: Path) -> Path:
    body = b"x = [" + _noise(5_000_000, "{{a={0}}}", ",") + b"]\n"
    return _zip(out / "poetry-inline.zip", [("poetry.lock", body)])


def npm_arrays(out: Path) -> Path:
    body = b'{"lockfileVersion": 3, "x": [' + b"[]," * 7_000_000 + _noise(1_000_000, "[{0}]", ",") + b'], "packages": {}}'
    return _zip(out / "npm-arrays.zip", [("package-lock.json", body)])


def dep_graph(out: Path, n: int = 400) -> Path:
    deps = {f"p{j}": "1.0.0" for j in range(n)}
    members = [(f"nodejs/node_modules/p{i}/package.json",
                json.dumps({"name": f"p{i}", "version": "1.0.0", "dependencies": deps}).encode()) for i in range(n)]
    return _zip(out / f"dep-graph-{n}.zip", members)


def long_version(out: Path) -> Path:
    v = "1." + _noise(int(7.5 * MiB), "{0}", "", bits=1).decode()
    return _zip(out / "long-version.zip", [("nodejs/node_modules/longv/package.json",
                                            json.dumps({"name": "longv", "version": v}).encode())])


def many_notices(out: Path, n: int = 100_000) -> Path:
    """``n`` stored empty entries named ``../x<i>``: the central directory alone, written by hand."""
    cd = io.BytesIO()
    body = io.BytesIO()
    for i in range(n):
        name = f"../x{i}".encode()
        off = body.tell()
        body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 33, 0, 0, 0, len(name), 0) + name)
        cd.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 33, 0, 0, 0, len(name), 0, 0, 0, 0, 0, off)
                 + name)
    lod = LODASH[1]
    name = LODASH[0].encode()
    off = body.tell()
    crc = zlib.crc32(lod)
    body.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 0, 0, 33, crc, len(lod), len(lod), len(name), 0) + name + lod)
    cd.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 0, 0, 33, crc, len(lod), len(lod), len(name), 0, 0, 0, 0, 0, off)
             + name)
    cdb = cd.getvalue()
    total = n + 1
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, min(total, 0xFFFF), min(total, 0xFFFF), len(cdb), body.tell(), 0)
    z64 = b""
    if total >= 0xFFFF:
        cd_off = body.tell()
        z64_off = cd_off + len(cdb)
        z64 = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, total, total, len(cdb), cd_off)
        z64 += struct.pack("<4sLQL", b"PK\x06\x07", 0, z64_off, 1)
        eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    p = out / "many-notices.zip"
    p.write_bytes(body.getvalue() + cdb + z64 + eocd)
    return p


BUILDERS = {"req-includes": req_includes, "pnpm-flow": pnpm_flow, "pnpm-block": pnpm_block, "uv-ints": uv_ints, "poetry-inline": poetry_inline,
            "npm-arrays": npm_arrays, "dep-graph": dep_graph, "long-version": long_version,
            "many-notices": many_notices}


def build_all(out: Path, only: list[str] | None = None) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    return {k: b(out) for k, b in BUILDERS.items() if not only or k in only}


if __name__ == "__main__":
    for k, p in build_all(Path(sys.argv[1]), sys.argv[2:]).items():
        print(f"{k:16} {p.stat().st_size:>10} {p}")
