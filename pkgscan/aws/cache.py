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

from ..model import Inventory
from .serialize import inventory_from_dict, inventory_to_dict

_HEX = re.compile(r"^[0-9a-f]{64}$")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024


def default_cache_dir() -> Path:
    env = os.environ.get("PKGSCAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "pkgscan" / "code"


class CodeCache:
    def __init__(self, directory: str | os.PathLike[str] | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                 version: str = ""):
        self.dir = Path(directory) if directory else default_cache_dir()
        self.max_bytes = max_bytes
        self.version = version  # inventories from another pkgscan version are not reused
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()

    def _path(self, sha256_hex: str, layout: str) -> Path:
        if not _HEX.match(sha256_hex):
            raise ValueError("cache keys are SHA-256 hex digests")
        return self.dir / sha256_hex[:2] / f"{sha256_hex}.{layout}.json"

    def get(self, sha256_hex: str, layout: str) -> Inventory | None:
        p = self._path(sha256_hex, layout)
        try:
            data = json.loads(p.read_bytes())
            if data.get("pkgscan") != self.version:
                raise ValueError("other version")
            inv = inventory_from_dict(data["inventory"])
            os.utime(p)  # recently used
        except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError):
            # missing, unreadable, another version's, or garbage (a list, a string, deep nesting): a miss
            with self._lock:
                self.misses += 1
            return None
        with self._lock:
            self.hits += 1
        return inv

    def put(self, sha256_hex: str, layout: str, inv: Inventory) -> bool:
        """Store an inventory; best effort (a full or read-only disk costs a re-download, not the scan)."""
        p = self._path(sha256_hex, layout)
        tmp = p.with_name(f".{p.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(json.dumps({"pkgscan": self.version, "inventory": inventory_to_dict(inv)}))
            os.replace(tmp, p)
        except OSError:
            try:
                tmp.unlink()
            except OSError:
                pass
            return False
        self._evict()
        return True

    def _evict(self) -> None:
        with self._lock:
            files = []
            for f in self.dir.glob("*/*.json"):
                try:  # another process may be evicting too
                    st = f.stat()
                except OSError:
                    continue
                files.append((st.st_mtime, st.st_size, f))
            total = sum(s for _m, s, _f in files)
            for _m, s, f in sorted(files):
                if total <= self.max_bytes:
                    break
                try:
                    f.unlink()
                    total -= s
                except OSError:
                    pass
