#!/usr/bin/env python3
"""Write the ground truth (<sample>.expected.json) for one sample zip.

This is deliberately NOT a scanner: the component list comes from the package
managers' own view of the install they just made --

  pypi: `pip inspect --path SITE_DIR`            (name, version, dist-info dir)
  npm:  `npm query '*'` + `npm ls --all --json`   (real name, version, location)

-- and is then cross-checked against the listing of the finished zip: the
metadata files named by the package manager must be exactly the metadata files
present in the zip (every `*.dist-info/METADATA`, resp. every
`node_modules/<pkg>/package.json`), otherwise this script fails.

Usage:
  groundtruth.py pypi --zip Z --layout L --prefix P --site DIR --inspect J \
                      --requirements R --out OUT
  groundtruth.py npm  --zip Z --layout L --prefix P --query J --ls J --out OUT

--prefix is the path inside the zip that corresponds to the inspected
directory (e.g. "python/lib/python3.12/site-packages/" or "nodejs/").
"""
import argparse
import json
import os
import re
import sys
import zipfile

NPM_MANIFEST = re.compile(r"(?:^|/)node_modules/(?:@[^/]+/)?[^/@][^/]*/package\.json$")


def pep503(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def fail(msg):
    sys.exit(f"groundtruth: {msg}")


def zip_names(path):
    with zipfile.ZipFile(path) as zf:
        return set(zf.namelist())


def read_pins(path):
    pins = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if not m:
            fail(f"{path}: not an exact pin: {line!r}")
        pins[pep503(m.group(1))] = m.group(2)
    return pins


def pypi_components(args, names):
    data = json.load(open(args.inspect, encoding="utf-8"))
    site = os.path.realpath(args.site)
    comps = {}
    for dist in data["installed"]:
        meta = dist["metadata"]
        loc = os.path.relpath(os.path.realpath(dist["metadata_location"]), site)
        if loc.startswith(".."):
            fail(f"pip reported a distribution outside {site}: {loc}")
        path = args.prefix + loc.replace(os.sep, "/") + "/METADATA"
        comps.setdefault((pep503(meta["name"]), meta["version"]), []).append(path)
    # cross-check 1: pip's view == the METADATA files in the zip
    in_zip = {n for n in names if re.search(r"\.dist-info/METADATA$", n)}
    from_pip = {p for locs in comps.values() for p in locs}
    if in_zip != from_pip:
        fail(f"zip/pip mismatch: only in zip {sorted(in_zip - from_pip)}, "
             f"only from pip {sorted(from_pip - in_zip)}")
    # cross-check 2: installed set == exact pins (nothing floated in)
    pins = read_pins(args.requirements)
    installed = {n: v for (n, v) in comps}
    if installed != pins or len(installed) != len(comps):
        fail(f"installed set differs from pins: installed {sorted(installed.items())}, "
             f"pinned {sorted(pins.items())}")
    return comps


def walk_ls(node, trail, problems):
    for key in ("missing", "extraneous", "invalid", "problems"):
        if node.get(key):
            problems.append(f"{'/'.join(trail) or '<root>'}: {key}={node[key]}")
    for name, child in (node.get("dependencies") or {}).items():
        walk_ls(child, trail + [name], problems)


def npm_components(args, names):
    ls = json.load(open(args.ls, encoding="utf-8"))
    problems = []
    walk_ls(ls, [], problems)
    for p in problems:
        print(f"groundtruth: warning: npm ls: {p}", file=sys.stderr)
    comps = {}
    for node in json.load(open(args.query, encoding="utf-8")):
        loc = node.get("location", "")
        if loc == "":
            continue  # the root project itself is not an installed dependency
        path = args.prefix + loc + "/package.json"
        if path not in names:
            # reported by npm (e.g. missing) but not really on disk / in the zip
            print(f"groundtruth: warning: skipping {loc}: not in zip", file=sys.stderr)
            continue
        comps.setdefault(("npm-" + node["name"], node["version"]), []).append(path)
    in_zip = {n for n in names if n.startswith(args.prefix) and NPM_MANIFEST.search(n)}
    from_npm = {p for locs in comps.values() for p in locs}
    if in_zip != from_npm:
        fail(f"zip/npm mismatch: only in zip {sorted(in_zip - from_npm)}, "
             f"only from npm {sorted(from_npm - in_zip)}")
    return {(n[len("npm-"):], v): locs for (n, v), locs in comps.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ecosystem", choices=["pypi", "npm"])
    ap.add_argument("--zip", required=True)
    ap.add_argument("--layout", required=True, choices=["function", "layer"])
    ap.add_argument("--prefix", default="")
    ap.add_argument("--site")
    ap.add_argument("--inspect")
    ap.add_argument("--requirements")
    ap.add_argument("--query")
    ap.add_argument("--ls")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()

    names = zip_names(args.zip)
    if args.ecosystem == "pypi":
        comps = pypi_components(args, names)
    else:
        comps = npm_components(args, names)
    doc = {
        "zip": os.path.basename(args.zip),
        "layout": args.layout,
        "components": [
            {"ecosystem": args.ecosystem, "name": n, "version": v, "locations": sorted(locs)}
            for (n, v), locs in sorted(comps.items())
        ],
    }
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    print(f"{doc['zip']}: {len(doc['components'])} components, "
          f"{sum(len(c['locations']) for c in doc['components'])} locations")


if __name__ == "__main__":
    main()
