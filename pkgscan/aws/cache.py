"""A local cache of inventories keyed by the code's SHA-256: a re-scan of unchanged code downloads nothing.

Location: ``--cache-dir``, else ``$PKGSCAN_CACHE_DIR``, else ``$XDG_CACHE_HOME/pkgscan/code``
(``~/.cache/pkgscan/code``).  One small JSON file per distinct zip (its inventory, never the code
itself); bounded by ``max_bytes`` with least-recently-used eviction.  Entries are written
atomically; a corrupt entry is treated as a miss.
"""
from __future__ import annotations

import json
import os
import re
import threading
from pathlib import Path

from ..errors import InputError
from ..model import Inventory
from . import safefs
from .serialize import inventory_from_dict, inventory_to_dict

_HEX = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def default_cache_dir() -> Path:
    env = os.environ.get("PKGSCAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pkgscan" / "code"


MAX_ENTRY_BYTES = 64 * 1024 * 1024  # one inventory as JSON; a bigger "entry" is not read


class CodeCache:
    """The cache directory is trusted only when it is this user's and not writable by others (a
    planted entry would otherwise decide a scan's result); otherwise it is ignored with a warning
    (``warnings``).  Entries are read only as regular files of bounded size, opened without following
    links (a FIFO cannot hang the scan, a link to /dev/zero cannot exhaust memory), and directories
    below it are entered without following links, so writes and eviction stay inside it."""

    def __init__(self, directory: str | os.PathLike[str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 version: str = ""):
        self.dir = Path(directory) if directory else default_cache_dir()
        self.max_bytes = max_bytes
        self.version = version  # inventories from another pkgscan version are not reused
        self.hits = 0
        self.misses = 0
        self.warnings: list[str] = []
        self._lock = threading.Lock()
        self.usable = self._check_dir()

    def _check_dir(self) -> bool:
        if not self.dir.exists() and not self.dir.is_symlink():
            try:
                self.dir.mkdir(parents=True, mode=0o700)
            except OSError as exc:
                self.warnings.append(f"code cache {self.dir} not used: cannot create it ({safefs.one_line(exc)})")
                return False
        problem = safefs.shared_dir_problem(self.dir)
        if problem:
            self.warnings.append(f"code cache {self.dir} not used: {problem}")
            return False
        return True

    def _path(self, sha256_hex: str, layout: str) -> Path:
        return self.dir.joinpath(*self._rel(sha256_hex, layout))

    def _rel(self, sha256_hex: str, layout: str) -> tuple[str, str]:
        if not _HEX.match(sha256_hex):
            raise ValueError("cache keys are SHA-256 hex digests")
        return sha256_hex[:2], safefs.check_component(f"{sha256_hex}.{safefs.component(layout, 40)}.json")

    def get(self, sha256_hex: str, layout: str) -> Inventory | None:
        rel = self._rel(sha256_hex, layout)
        try:
            if not self.usable:
                raise OSError("cache not usable")
            dfd = safefs.open_dir(self.dir, rel[:1])
            try:
                st = os.stat(rel[1], dir_fd=dfd, follow_symlinks=False)
                if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
                    raise ValueError("entry owned by another user")
                data = json.loads(safefs.read_regular(rel[1], MAX_ENTRY_BYTES, dir_fd=dfd))
                if data.get("pkgscan") != self.version:
                    raise ValueError("other version")
                inv = inventory_from_dict(data["inventory"])
                os.utime(rel[1], dir_fd=dfd, follow_symlinks=False)  # recently used
            finally:
                os.close(dfd)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
                MemoryError, InputError):
            # missing, unreadable, a link, a FIFO, too big, another version's, or garbage: a miss
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return inv

    def put(self, sha256_hex: str, layout: str, inv: Inventory) -> bool:
        """Store an inventory; best effort (a full or read-only disk costs a re-download, not the scan)."""
        if not self.usable:
            return False
        rel = self._rel(sha256_hex, layout)
        try:
            text = json.dumps({"pkgscan": self.version, "inventory": inventory_to_dict(inv)})
            safefs.write_bytes(self.dir, rel, text, mode=0o600)
        except (OSError, InputError):
            return False
        self._evict()
        return True

    def _evict(self) -> None:
        with self._lock:
            files = []
            for rel in safefs.list_regular(self.dir, (), ".json", recursive=True, max_depth=1):
                if len(rel) != 2 or not _HEX.match(rel[0] * 32) or not rel[1].startswith(rel[0]):
                    continue  # only our own entries: <2 hex>/<sha256>.<layout>.json
                try:  # another process may be evicting too
                    dfd = safefs.open_dir(self.dir, rel[:1])
                    try:
                        st = os.stat(rel[1], dir_fd=dfd, follow_symlinks=False)
                    finally:
                        os.close(dfd)
                except (OSError, InputError):
                    continue
                files.append((st.st_mtime, st.st_size, rel))
            total = sum(s for _m, s, _f in files)
            for _m, s, rel in sorted(files):
                if total <= self.max_bytes:
                    break
                if safefs.unlink_under(self.dir, rel):
                    total -= s
