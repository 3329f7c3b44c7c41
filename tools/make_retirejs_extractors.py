#!/usr/bin/env python3
"""Write pkgscan/data/retirejs-extractors.json from retire.js's jsrepository-v5.json (data only).

  python tools/make_retirejs_extractors.py /work/shared/retirejs/jsrepository-v5.json

Keeps, for each library, its npm name (``npmname``, else the library id when that is a valid npm
name) and its ``filecontent`` and ``filename`` extractors (JavaScript regexes, ``§§version§§`` kept as
written) and its ``hashes`` (sha1 of the file -> version).
Source: github.com/RetireJS/retire.js repository/jsrepository-v5.json, Apache-2.0,
Copyright 2018 Erlend Oftedal; the attribution travels in the output's ``provenance``.
"""
import hashlib
import json
import re
import sys

NPM = re.compile(r"^(?:@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$")


def main(src, out="pkgscan/data/retirejs-extractors.json"):
    raw = open(src, "rb").read()
    repo = json.loads(raw)
    libs = []
    for lib_id, entry in sorted(repo.items()):
        npm = entry.get("npmname") or (lib_id if NPM.match(lib_id) else "")
        ex = entry.get("extractors") or {}
        fc = ex.get("filecontent") or []
        fn = ex.get("filename") or []
        hashes = ex.get("hashes") or {}
        if not npm or not (fc or fn or hashes) or lib_id in ("retire-example", "dont check"):
            continue
        libs.append({"id": lib_id, "npm": npm, "filecontent": fc, "filename": fn, "hashes": hashes})
    doc = {"provenance": {"source": "https://github.com/RetireJS/retire.js repository/jsrepository-v5.json",
                          "commit": "fd8df0d6f1da46d4bc0446321395fcf708619e07",
                          "sha256": hashlib.sha256(raw).hexdigest(),
                          "license": "Apache-2.0, Copyright 2018 Erlend Oftedal (see retirejs-LICENSE.md and retirejs-NOTICE.md)"},
           "libraries": libs}
    with open(out, "w") as fh:
        json.dump(doc, fh, indent=1, ensure_ascii=False)
        fh.write("\n")


if __name__ == "__main__":
    main(*sys.argv[1:])
