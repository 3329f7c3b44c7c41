#!/usr/bin/env python3
"""Write a deterministic zip of a directory tree.

Usage: mkzip.py OUTPUT.zip SOURCE_DIR

* entries are sorted by path; directories get their own entries ("dir/")
* every entry has the timestamp 1980-01-01 00:00:00
* permissions are normalised: 0755 for directories and executable files,
  0644 for everything else (owner/umask of the build machine do not leak in)
* symlinks to files are stored as the file they point to (like `zip -r`
  without -y); a symlink to a directory is an error
* ZIP_DEFLATED, compression level 9
"""
import os
import stat
import sys
import zipfile

EPOCH = (1980, 1, 1, 0, 0, 0)


def collect(root):
    entries = []  # (arcname, abspath, is_dir)
    for dirpath, dirnames, filenames in os.walk(root):
        for d in list(dirnames):
            full = os.path.join(dirpath, d)
            if os.path.islink(full):
                sys.exit(f"mkzip: refusing symlinked directory {full}")
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            is_dir = os.path.isdir(full) and not os.path.islink(full)
            if not is_dir and not os.path.isfile(full):
                sys.exit(f"mkzip: not a regular file (dangling link?): {full}")
            entries.append((rel + "/" if is_dir else rel, full, is_dir))
    entries.sort(key=lambda e: e[0])
    return entries


def main(argv):
    if len(argv) != 3:
        sys.exit(__doc__)
    out, root = argv[1], argv[2]
    if not os.path.isdir(root):
        sys.exit(f"mkzip: {root} is not a directory")
    tmp = out + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for arcname, full, is_dir in collect(root):
            info = zipfile.ZipInfo(arcname, date_time=EPOCH)
            info.create_system = 3  # unix, so external_attr carries the mode
            if is_dir:
                info.external_attr = (stat.S_IFDIR | 0o755) << 16 | 0x10
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, b"")
            else:
                mode = 0o755 if os.stat(full).st_mode & 0o111 else 0o644
                info.external_attr = (stat.S_IFREG | mode) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(full, "rb") as fh:
                    zf.writestr(info, fh.read(), compress_type=zipfile.ZIP_DEFLATED,
                                compresslevel=9)
    os.replace(tmp, out)


if __name__ == "__main__":
    main(sys.argv)
