#!/usr/bin/env python3
"""Ground truth for the bundle samples, derived from the build tools' own outputs.

  truth.py node APP_DIR OUT_DIR [SAMPLE...]
                                  esbuild metafiles (outputs[*].inputs[*].bytesInOutput) and webpack
                                  stats (modules[*].name, size) -> the npm packages whose code is in
                                  each bundle; versions from APP_DIR/<package dir>/package.json
  truth.py pip REPORT OUT         keep name, version, download URL and hash of `pip install --report`
  truth.py expected DIR           <sample>.expected.json for the Python samples from those reports
"""
import json
import os
import re
import sys

NODE_SAMPLES = {"esbuild-cdk": "metafile", "esbuild-minified-map": "metafile",
                "esbuild-minified": "metafile", "webpack-prod": "stats", "esbuild-esm": "metafile"}
_PKG = re.compile(r"(?<![^/])node_modules/((?:@[^/]+/)?[^/]+)/")  # at the start or after a "/"


def package_dir(module_path):
    """'node_modules/a/node_modules/@s/b/x.js' -> 'node_modules/a/node_modules/@s/b' (the innermost)."""
    last = None
    for m in _PKG.finditer(module_path):
        last = m
    if last is None:
        return None
    return module_path[: last.end() - 1].lstrip("./")


def node(app, out, *only):
    """The samples built from APP_DIR (all but esbuild-esm, or those named)."""
    for sample, kind in NODE_SAMPLES.items():
        if sample not in (only or set(NODE_SAMPLES) - {"esbuild-esm"}):
            continue
        src = os.path.join(out, f"{sample}.{kind}.json")
        data = json.load(open(src))
        bytes_by_dir = {}
        if kind == "metafile":
            for o in data["outputs"].values():
                for path, info in o.get("inputs", {}).items():
                    d = package_dir(path)
                    if d and info.get("bytesInOutput", 0) > 0:
                        bytes_by_dir[d] = bytes_by_dir.get(d, 0) + info["bytesInOutput"]
        else:
            for m in data["modules"]:
                for name in (m.get("name") or "").split(" + "):
                    d = package_dir(name.split("!")[-1])
                    if d:
                        bytes_by_dir[d] = bytes_by_dir.get(d, 0) + int(m.get("size") or 0)
        comps = {}
        for d, n in bytes_by_dir.items():
            pj = json.load(open(os.path.join(app, d, "package.json")))
            key = (pj["name"], pj["version"])
            c = comps.setdefault(key, {"ecosystem": "npm", "name": pj["name"], "version": pj["version"],
                                       "source_bytes_in_bundle": 0, "package_dirs": []})
            c["source_bytes_in_bundle"] += n
            c["package_dirs"].append(d)
        doc = {"zip": f"{sample}.zip", "layout": "function", "derived_from": os.path.basename(src),
               "components": sorted(comps.values(), key=lambda c: (c["name"], c["version"]))}
        with open(os.path.join(out, f"{sample}.expected.json"), "w") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")


def pip(report, out):
    data = json.load(open(report))
    keep = [{"name": i["metadata"]["name"], "version": i["metadata"]["version"],
             "url": i.get("download_info", {}).get("url", ""),
             "hashes": i.get("download_info", {}).get("archive_info", {}).get("hashes", {})}
            for i in data["install"]]
    with open(out, "w") as fh:
        json.dump({"pip_version": data.get("pip_version"), "install": keep}, fh, indent=2)
        fh.write("\n")


def canon(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def expected(d):
    for sample in ("python-slim", "python-zip"):
        rep = json.load(open(os.path.join(d, f"{sample}.pip-report.json")))
        comps = sorted(({"ecosystem": "pypi", "name": canon(i["name"]), "version": i["version"]} for i in rep["install"]),
                       key=lambda c: c["name"])
        doc = {"zip": f"{sample}.zip", "layout": "function", "derived_from": f"{sample}.pip-report.json",
               "components": comps}
        with open(os.path.join(d, f"{sample}.expected.json"), "w") as fh:
            json.dump(doc, fh, indent=2)
            fh.write("\n")


if __name__ == "__main__":
    {"node": node, "pip": pip, "expected": expected}[sys.argv[1]](*sys.argv[2:])
