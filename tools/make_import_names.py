#!/usr/bin/env python3
"""Write pkgscan/data/python-import-names.json: import name -> PyPI distribution(s).

  python tools/make_import_names.py OSV_PYPI_ALL_ZIP WHEEL_OR_SITE_DIR...

The shipped file was made with: /work/shared/osv/PyPI-all.zip /opt/pypi/files /opt/pypi-more/files
<python3.11 site-packages> /usr/lib/python3/dist-packages (a PyPI mirror's wheels and installed
distributions; none of them from the samples' builds: the samples pin other versions).

Read from real wheels (``*.whl``: ``*.dist-info/top_level.txt``, else the top-level entries of
``RECORD``) and installed distributions (``*.dist-info`` directories: the same two files).  Only
import names that differ from the distribution's own normalized name are worth a table entry, but
every distribution seen is listed in ``seen`` with the file it was read from (provenance).

For each distribution with an advisory in the OSV export, ``advisories`` says where its import name
comes from: ``wheel`` (read from one of its real wheels) or ``name-rule`` (not seen: pkgscan assumes
the import name is the normalized name with ``-``/``.`` as ``_``, and says so with a lower confidence).
"""
import json
import os
import re
import sys
import zipfile

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: names some wheels ship at the top by mistake (their tests, docs, setup.py): not import names to list
GENERIC = {"test", "tests", "testing", "setup", "conftest", "docs", "doc", "examples", "example", "benchmarks",
           "benchmark", "scripts", "script", "src", "build", "tools", "utils", "util", "lib", "bin", "data"}


def canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def tops_from(top_level, record):
    names = set()
    if top_level is not None:
        for line in top_level.splitlines():
            line = line.strip().replace("\\", "/")
            if line and "/" not in line and _IDENT.match(line):
                names.add(line)
        if names:
            return names
    for line in (record or "").splitlines():
        path = line.rsplit(",", 2)[0].strip().strip('"')
        if not path or path.startswith("..") or ".dist-info/" in path or ".data/" in path.split("/")[0] + "/":
            continue
        first = path.split("/")[0]
        if "/" in path:
            if _IDENT.match(first):
                names.add(first)
        elif first.endswith(".py"):
            names.add(first[:-3])
        elif re.search(r"\.(so|pyd)$", first):
            names.add(first.split(".")[0])
    return {n for n in names if _IDENT.match(n) and n != "__pycache__"}


def from_wheel(path):
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            meta = [n for n in names if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if not meta:
                return None
            d = meta[0].split("/")[0]
            text = z.read(meta[0]).decode("utf-8", "replace")
            m = re.search(r"^Name:\s*(\S+)", text, re.M)
            tl = z.read(d + "/top_level.txt").decode("utf-8", "replace") if d + "/top_level.txt" in names else None
            rec = z.read(d + "/RECORD").decode("utf-8", "replace") if d + "/RECORD" in names else None
            return (m.group(1) if m else d.rsplit("-", 1)[0]), tops_from(tl, rec)
    except (zipfile.BadZipFile, OSError, KeyError):
        return None


def from_dist_info(d):
    try:
        text = open(os.path.join(d, "METADATA"), encoding="utf-8", errors="replace").read()
    except OSError:
        return None
    m = re.search(r"^Name:\s*(\S+)", text, re.M)
    read = lambda f: open(os.path.join(d, f), encoding="utf-8", errors="replace").read() if os.path.exists(os.path.join(d, f)) else None
    return (m.group(1) if m else ""), tops_from(read("top_level.txt"), read("RECORD"))


def main(osv_zip, *roots, out="pkgscan/data/python-import-names.json"):
    seen = {}  # canon dist -> (display name, import names, provenance)
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            for dn in list(dirnames):
                if dn.endswith(".dist-info"):
                    r = from_dist_info(os.path.join(dirpath, dn))
                    if r and r[0] and r[1]:
                        seen.setdefault(canon(r[0]), (r[0], r[1], "installed " + dn))
            for fn in filenames:
                if fn.endswith(".whl"):
                    r = from_wheel(os.path.join(dirpath, fn))
                    if r and r[0] and r[1]:
                        key = canon(r[0])
                        if key not in seen or seen[key][2].startswith("installed"):
                            seen[key] = (r[0], r[1], "wheel " + fn)
    imports = {}
    for key, (disp, names, prov) in sorted(seen.items()):
        for n in sorted(names):
            if n.startswith("_") and n not in ("_yaml", "_cffi_backend", "_pytest", "_ruamel_yaml") or n.lower() in GENERIC:
                continue
            if canon(n) == key and n == n.lower():
                continue  # the name rule already gives it
            imports.setdefault(n, []).append(key)
    with zipfile.ZipFile(osv_zip) as z:
        adv = sorted({canon(a["package"]["name"]) for n in z.namelist() for a in json.loads(z.read(n)).get("affected", [])
                      if a.get("package", {}).get("ecosystem") == "PyPI"})
    doc = {
        "about": "import name -> PyPI distributions, read from real wheels' and installed distributions' "
                 "top_level.txt / RECORD by tools/make_import_names.py; names equal to the distribution's "
                 "normalized name (with _ for - and .) are not listed: that rule covers them",
        "imports": {k: sorted(set(v)) for k, v in sorted(imports.items())},
        "seen": {k: v[2] for k, v in sorted(seen.items())},
        "advisories": {d: ("wheel" if d in seen else "name-rule") for d in adv},
    }
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=0, sort_keys=False)
        fh.write("\n")
    print(f"{len(seen)} distributions read, {len(doc['imports'])} import names listed; "
          f"advisory distributions: {sum(1 for v in doc['advisories'].values() if v == 'wheel')} from wheels, "
          f"{sum(1 for v in doc['advisories'].values() if v == 'name-rule')} by the name rule")


if __name__ == "__main__":
    main(*sys.argv[1:])
