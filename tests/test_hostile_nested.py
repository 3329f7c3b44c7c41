"""Archives inside the package are never silently ignored: one nothing reads is named in a notice."""
from __future__ import annotations

import io
import tarfile
import zipfile

from pkgscan.scan import scan_path

SP = "python/lib/python3.12/site-packages"


def _sdist() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        data = b"Metadata-Version: 2.1\nName: vendored\nVersion: 1.0\n"
        info = tarfile.TarInfo("vendored-1.0/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_unread_archives_are_noted(tmp_path):
    p = tmp_path / "fn.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("vendor/vendored-1.0.tar.gz", _sdist())
        zf.writestr("gems/x-1.0.gem", b"not really")
        zf.writestr(f"{SP}/easy-install.pth", "./zipped-1.0-py3.12.egg\n")
        zf.writestr("nodejs/node_modules/lodash/package.json", '{"name": "lodash", "version": "4.17.21"}')
        zf.writestr("app.py", "print(1)\n")
    inv = scan_path(p)
    unread = {n.path for n in inv.notices if n.code == "nested-archive-not-read"}
    assert {"vendor/vendored-1.0.tar.gz", "gems/x-1.0.gem"} <= unread
    assert "app.py" not in unread and all(not n.endswith("package.json") for n in unread)
    assert inv.component("npm", "lodash", "4.17.21") is not None


def test_read_archives_are_not_noted(tmp_path):
    jar = io.BytesIO()
    with zipfile.ZipFile(jar, "w") as j:
        j.writestr("META-INF/maven/g/a/pom.properties", "groupId=g\nartifactId=a\nversion=1.0\n")
    p = tmp_path / "fn.zip"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("lib/a-1.0.jar", jar.getvalue())
    inv = scan_path(p)
    assert not [n for n in inv.notices if n.code == "nested-archive-not-read"]
