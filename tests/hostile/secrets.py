"""Requirements files that carry credentials, as people really write them (pip's own syntax):
a token as userinfo of a VCS URL, ``-e`` with user:token, an index URL whose password holds an ``@``,
a ``?token=`` query on an extra index, a credentialed direct reference, a constraints include with a
credentialed index, and a package-lock.json whose ``resolved`` URL carries a token.  Every secret is
``SECRETTOKEN<n>`` so a test can grep all output for ``SECRETTOKEN``.

``python tests/hostile/secrets.py OUTDIR`` writes ``creds.zip`` and the directory ``creds/``.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

SP = "python/lib/python3.12/site-packages"

REQUIREMENTS = """\
--index-url https://deploy:SECRETTOKEN1p@ss@pypi.example.com/simple
--extra-index-url https://pypi.example.com/simple?token=SECRETTOKEN2&x=1
git+https://SECRETTOKEN3@github.com/org/private.git
-e git+https://user:SECRETTOKEN4@github.com/org/other.git
privpkg @ https://user:SECRETTOKEN5@files.example.com/privpkg-1.0.tar.gz
-i https://__token__:SECRETTOKEN6@a.example.com/simple/
--find-links https://h.example.com/wheels?access_token=SECRETTOKEN7
git+https://SECRETTOKEN8-that-is-very-long-so-that-a-warning-would-cut-it-short-before-the-at-sign-xxxxxxxxxxxxxx@github.com/o/p
requests==2.31.0
-c constraints.txt
"""
CONSTRAINTS = "--index-url https://u:SECRETTOKEN9@c.example.com/simple\nrequests==2.31.0\n"
LOCK = {
    "name": "app", "lockfileVersion": 3, "requires": True,
    "packages": {
        "": {"name": "app", "dependencies": {"left-pad": "1.3.0"}},
        "node_modules/left-pad": {"version": "1.3.0",
                                  "resolved": "https://npm:SECRETTOKEN10@registry.example.com/left-pad/-/left-pad-1.3.0.tgz"},
        "node_modules/bad": {"version": {"x": 1}, "resolved": "https://u:SECRETTOKEN11@r.example.com/bad.tgz"},
    },
}


def files() -> dict[str, bytes]:
    return {"requirements.txt": REQUIREMENTS.encode(), "constraints.txt": CONSTRAINTS.encode(),
            "package-lock.json": json.dumps(LOCK).encode()}


def build(out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    z = out / "creds.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for k, v in files().items():
            zf.writestr(k, v)
    d = out / "creds"
    d.mkdir(exist_ok=True)
    for k, v in files().items():
        (d / k).write_bytes(v)
    return {"zip": z, "dir": d}


if __name__ == "__main__":
    print(build(Path(sys.argv[1])))
