"""Which Lambda runtime an image brings: container-image functions have no ``Runtime``, but the AWS
base images (``public.ecr.aws/lambda/<runtime>``) install it in ``/var/lang``, so its lifecycle can
still be judged.  Read from paths and three small files only:

* Python: the interpreter's library directory ``/var/lang/lib/pythonX.Y/`` -> ``pythonX.Y``;
* Node.js: ``/var/lang/include/node/node_version.h`` (``NODE_MAJOR_VERSION``) -> ``nodejsNN.x``;
* Java: ``/var/lang/release`` (``JAVA_VERSION``) -> ``java21`` / ``java17`` / ``java11`` / ``java8.al2``;
* otherwise an Amazon Linux base (``/etc/os-release``, ``/usr/lib/os-release``) -> ``provided.al2023`` /
  ``provided.al2`` (the OS-only runtimes' lifecycle).
"""
from __future__ import annotations

import re
from typing import Callable, Iterable

RUNTIME_FILES = ("var/lang/include/node/node_version.h", "var/lang/release", "usr/lib/os-release", "etc/os-release")
_PY = re.compile(r"^var/lang/lib/python(\d+\.\d+)/")
_NODE = re.compile(rb"#define\s+NODE_MAJOR_VERSION\s+(\d+)")
_JAVA = re.compile(rb'^JAVA_VERSION="?(\d+)(?:\.(\d+))?', re.M)
_OS = re.compile(rb'^(ID|VERSION_ID)="?([^"\n]*)"?', re.M)


def infer(paths: Iterable[str], read: Callable[[str], bytes | None]) -> tuple[str, str] | None:
    """(runtime identifier, the path it was read from), or None."""
    pythons = sorted({m.group(1) for p in paths if p.startswith("var/lang/lib/python") and (m := _PY.match(p))},
                     key=lambda v: tuple(map(int, v.split("."))))
    if pythons:
        return f"python{pythons[-1]}", f"var/lang/lib/python{pythons[-1]}"
    data = read(RUNTIME_FILES[0])
    if data and (m := _NODE.search(data)):
        return f"nodejs{int(m.group(1))}.x", RUNTIME_FILES[0]
    data = read(RUNTIME_FILES[1])
    if data and (m := _JAVA.search(data)):
        major = int(m.group(1))
        if major == 1 and m.group(2):
            major = int(m.group(2))
        return ("java8.al2" if major == 8 else f"java{major}"), RUNTIME_FILES[1]
    for path in RUNTIME_FILES[2:]:
        data = read(path)
        if data:
            fields = {k.decode(): v.decode("utf-8", "replace") for k, v in _OS.findall(data)}
            if fields.get("ID") == "amzn" and fields.get("VERSION_ID") in ("2", "2023"):
                return ("provided.al2" if fields["VERSION_ID"] == "2" else "provided.al2023"), path
            return None
    return None


def from_notices(notices) -> str:
    """The runtime an image inventory recorded (``image-runtime`` notice), or ''."""
    for n in notices:
        if n.code == "image-runtime":
            return n.message.split(":", 1)[0]
    return ""
