"""The offline advisory database: OSV records in SQLite, indexed by ecosystem and package name.

Updates are atomic: a writer builds a complete new database file next to the old one and renames
it into place, so a reader never sees a half-written database (an open reader keeps the file it
opened), and a failed update leaves the old database as it was.  Writers serialize on a lock file.
"""
from __future__ import annotations

import fcntl
import json
import errno
import os
import stat
import sqlite3
import tempfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import yaml

from ..archive import Limits, open_tree
from ..errors import PkgscanError
from .osv import affected_packages, aliases, load_record, normalize_name

SCHEMA_VERSION = 1
DB_FILE = "osv.sqlite3"
ENV_DB_DIR = "PKGSCAN_DB_DIR"
# An export zip is untrusted data from the network too: read it through the safe reader, with
# limits sized for OSV's largest exports.
EXPORT_LIMITS = Limits(max_total_uncompressed=16 * 1024**3, max_member_size=64 * 1024**2,
                       max_entries=5_000_000, max_archive_size=16 * 1024**3)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE advisories (
    id TEXT PRIMARY KEY,
    modified TEXT NOT NULL,
    published TEXT NOT NULL,
    withdrawn TEXT NOT NULL,
    origin TEXT NOT NULL,
    record BLOB NOT NULL
);
CREATE TABLE affected (ecosystem TEXT NOT NULL, name TEXT NOT NULL, id TEXT NOT NULL);
CREATE INDEX affected_pkg ON affected (ecosystem, name);
CREATE INDEX affected_id ON affected (id);
CREATE TABLE sources (
    origin TEXT PRIMARY KEY,
    location TEXT NOT NULL,
    imported_at TEXT NOT NULL,
    etag TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    records INTEGER NOT NULL
);
"""


class DatabaseError(PkgscanError):
    """No database, a corrupt one, or one written by an incompatible version."""


def default_db_dir() -> Path:
    env = os.environ.get(ENV_DB_DIR)
    if env:
        return Path(env)
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "pkgscan" / "db"


def _now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


class _StringLoader(yaml.SafeLoader):
    """Safe YAML loading with every scalar kept as its original string ("1.10" stays "1.10").

    Aliases are refused: OSV records never need them, and expanding them is a memory bomb.
    """

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "YAML aliases are not allowed in advisories",
                                              event.start_mark)
        return super().compose_node(parent, index)


_StringLoader.yaml_implicit_resolvers = {}


def _ro_uri(path: Path) -> str:
    """A read-only SQLite URI for a path, escaped ('#', '?' and '%' are legal in directory names)."""
    return path.resolve().as_uri() + "?mode=ro"


def _timestamp(value: str) -> tuple:
    """Order RFC 3339 timestamps by time, not text ('...00.5Z' is after '...00Z')."""
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=timezone.utc)
        return (1, ts.timestamp())
    except ValueError:
        return (0, value)


def parse_record_file(name: str, data: bytes) -> dict:
    if name.lower().endswith((".yaml", ".yml")):
        try:
            obj = yaml.load(data, Loader=_StringLoader)  # noqa: S506 - a SafeLoader subclass
        except yaml.YAMLError as exc:
            raise ValueError(f"invalid YAML: {str(exc).splitlines()[0]}") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
            raise ValueError("not an OSV record (no id)")
        return obj
    try:
        return load_record(data)
    except (ValueError, RecursionError) as exc:
        raise ValueError(str(exc).splitlines()[0][:200]) from None


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    unreadable: list[str] = field(default_factory=list)  # members that could not be read at all (corruption)


def iter_record_files(path: str | os.PathLike[str]) -> Iterator[tuple[str, bytes | None, str]]:
    """(name, bytes, error) for every .json/.yaml record in a zip, a directory or a single file."""
    p = Path(path)
    if p.is_file() and not p.suffix.lower() == ".zip":
        try:
            yield p.name, p.read_bytes(), ""
        except OSError as exc:
            yield p.name, None, exc.strerror or str(exc)
        return
    tree = open_tree(p, EXPORT_LIMITS)
    with tree:
        for member in sorted(tree.paths):
            if not member.lower().endswith((".json", ".yaml", ".yml")):
                continue
            try:
                yield member, tree.read(member), ""
            except Exception as exc:  # EntryError
                yield member, None, str(exc)


class AdvisoryDB:
    """Read-only view of one database file (the file it opened, even if replaced meanwhile)."""

    def __init__(self, db_dir: str | os.PathLike[str] | None = None):
        self.dir = Path(db_dir) if db_dir else default_db_dir()
        self.path = self.dir / DB_FILE
        self._parsed: dict[str, dict] = {}
        if not self.path.exists():
            raise DatabaseError(
                f"no advisory database at {self.path}: run 'pkgscan db update' (network) or "
                "'pkgscan db import <OSV all.zip | directory>' first, or use --osv-api"
            )
        try:
            self.conn = sqlite3.connect(_ro_uri(self.path), uri=True, check_same_thread=False)
            version = self.meta("schema_version")
        except sqlite3.DatabaseError as exc:
            raise DatabaseError(f"{self.path}: not a pkgscan advisory database ({exc})") from None
        if version != str(SCHEMA_VERSION):
            raise DatabaseError(f"{self.path}: database schema {version}, this pkgscan reads {SCHEMA_VERSION}; run 'pkgscan db update' or re-import")

    def close(self) -> None:
        self.conn.close()

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def candidates(self, ecosystem: str, names: Iterable[str]) -> dict[str, list[str]]:
        """normalized name -> advisory ids that list it (any version)."""
        out: dict[str, list[str]] = {}
        names = sorted(set(names))
        for i in range(0, len(names), 500):
            chunk = names[i : i + 500]
            q = f"SELECT name, id FROM affected WHERE ecosystem = ? AND name IN ({','.join('?' * len(chunk))})"
            for name, adv in self.conn.execute(q, (ecosystem, *chunk)):
                out.setdefault(name, []).append(adv)
        return out

    def records(self, ids: Iterable[str]) -> dict[str, dict]:
        """Full records by id.  Parsed records are kept for the life of this view (it never changes)."""
        want = set(ids)
        out: dict[str, dict] = {i: self._parsed[i] for i in want if i in self._parsed}
        todo = sorted(want - out.keys())
        for i in range(0, len(todo), 500):
            chunk = todo[i : i + 500]
            q = f"SELECT id, record FROM advisories WHERE id IN ({','.join('?' * len(chunk))})"
            for adv, blob in self.conn.execute(q, chunk):
                out[adv] = self._parsed[adv] = json.loads(zlib.decompress(blob))
        return out

    def status(self) -> dict:
        eco_rows = self.conn.execute(
            "SELECT a.ecosystem, COUNT(DISTINCT a.id), MAX(v.modified) FROM affected a "
            "JOIN advisories v ON v.id = a.id GROUP BY a.ecosystem ORDER BY a.ecosystem"
        ).fetchall()
        sources = self.conn.execute(
            "SELECT origin, location, imported_at, etag, last_modified, records FROM sources ORDER BY origin"
        ).fetchall()
        total, withdrawn = self.conn.execute(
            "SELECT COUNT(*), SUM(withdrawn != '') FROM advisories"
        ).fetchone()
        newest = self.conn.execute("SELECT MAX(modified) FROM advisories").fetchone()[0] or ""
        return {
            "path": str(self.path),
            "schema_version": SCHEMA_VERSION,
            "updated_at": self.meta("updated_at") or "",
            "advisories": total or 0,
            "withdrawn": withdrawn or 0,
            "newest_modified": newest,
            "ecosystems": [{"ecosystem": e, "advisories": n, "last_modified": m or ""} for e, n, m in eco_rows],
            "sources": [
                {"origin": o, "location": loc, "imported_at": at, "etag": et, "last_modified": lm, "records": n}
                for o, loc, at, et, lm, n in sources
            ],
        }

    def age_days(self, now: datetime | None = None) -> float | None:
        """Days since the newest advisory in the database was modified (how current the data is)."""
        newest = self.status()["newest_modified"]
        if not newest:
            return None
        try:
            ts = datetime.fromisoformat(newest.replace("Z", "+00:00"))
        except ValueError:
            return None
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=timezone.utc)
        return ((now or datetime.now(timezone.utc)) - ts).total_seconds() / 86400


def _open_lock(d: Path):
    """The writers' lock file, a regular file opened without following a link: a ``.lock`` link planted
    in the directory is removed (the link, never its target) instead of creating or truncating its
    target; a FIFO or a device there is refused."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    path = d / ".lock"
    for _attempt in range(3):
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as exc:
            if exc.errno == errno.ELOOP and path.is_symlink():
                path.unlink()
                continue
            raise DatabaseError(f"{path}: cannot open the lock file ({exc.strerror})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DatabaseError(f"{path}: the lock file is not a regular file; remove it")
        return os.fdopen(fd, "a+")
    raise DatabaseError(f"{path}: the lock file keeps being replaced by a link")


class DBWriter:
    """Builds the next database in a temporary file; ``commit`` renames it into place."""

    def __init__(self, db_dir: str | os.PathLike[str] | None = None):
        self.dir = Path(db_dir) if db_dir else default_db_dir()
        self.dir.mkdir(parents=True, exist_ok=True)
        self.final = self.dir / DB_FILE
        self._lock_fh = _open_lock(self.dir)
        fcntl.flock(self._lock_fh, fcntl.LOCK_EX)
        fd, tmp = tempfile.mkstemp(prefix=".osv-", suffix=".tmp", dir=self.dir)
        os.close(fd)
        self.tmp = Path(tmp)
        self.conn = sqlite3.connect(self.tmp)
        # The temporary file is thrown away on any failure, so it needs no journal of its own.
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self._init_from_existing()

    def _init_from_existing(self) -> None:
        if self.final.exists():
            try:
                src = sqlite3.connect(_ro_uri(self.final), uri=True)
                ok = src.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
                if ok and ok[0] == str(SCHEMA_VERSION):
                    src.backup(self.conn)
                    src.close()
                    return
                src.close()
            except sqlite3.DatabaseError:
                pass  # unreadable or old: start afresh
        self.conn.executescript(_SCHEMA)
        self.conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))

    def delete_origin(self, origin: str) -> None:
        """Forget every record a previous import of ``origin`` brought (a full export replaces it)."""
        self.conn.execute("DELETE FROM affected WHERE id IN (SELECT id FROM advisories WHERE origin = ?)", (origin,))
        self.conn.execute("DELETE FROM advisories WHERE origin = ?", (origin,))

    def add(self, record: dict, origin: str, report: ImportReport) -> None:
        rid = record["id"]
        modified = str(record.get("modified") or "")
        row = self.conn.execute("SELECT modified FROM advisories WHERE id = ?", (rid,)).fetchone()
        blob = zlib.compress(json.dumps(record, sort_keys=True, default=str).encode(), 6)  # TypeError: caller skips
        if row is not None:
            if _timestamp(row[0]) >= _timestamp(modified):
                report.unchanged += 1
                return
            self.conn.execute("DELETE FROM affected WHERE id = ?", (rid,))
            self.conn.execute("DELETE FROM advisories WHERE id = ?", (rid,))
            report.updated += 1
        else:
            report.imported += 1
        self.conn.execute(
            "INSERT INTO advisories VALUES (?, ?, ?, ?, ?, ?)",
            (rid, modified, str(record.get("published") or ""), str(record.get("withdrawn") or ""), origin, blob),
        )
        pkgs = affected_packages(record)
        self.conn.executemany("INSERT INTO affected VALUES (?, ?, ?)", [(eco, name, rid) for eco, name in sorted(pkgs)])

    def set_source(self, origin: str, location: str, records: int, etag: str = "", last_modified: str = "") -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO sources VALUES (?, ?, ?, ?, ?, ?)",
            (origin, location, _now(), etag, last_modified, records),
        )

    def source(self, origin: str) -> tuple[str, str] | None:
        row = self.conn.execute("SELECT etag, last_modified FROM sources WHERE origin = ?", (origin,)).fetchone()
        return (row[0], row[1]) if row else None

    def commit(self) -> None:
        self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('updated_at', ?)", (_now(),))
        self.conn.commit()
        self.conn.close()
        os.chmod(self.tmp, 0o644)
        os.replace(self.tmp, self.final)
        self._release()

    def abort(self) -> None:
        try:
            self.conn.close()
        finally:
            self.tmp.unlink(missing_ok=True)
            self._release()

    def _release(self) -> None:
        if self._lock_fh is not None:
            fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
            self._lock_fh.close()
            self._lock_fh = None


@contextmanager
def writer(db_dir: str | os.PathLike[str] | None = None) -> Iterator[DBWriter]:
    w = DBWriter(db_dir)
    try:
        yield w
    except BaseException:
        w.abort()
        raise
    else:
        w.commit()


def import_path(w: DBWriter, path: str | os.PathLike[str], origin: str | None = None, replace: bool = False) -> ImportReport:
    """Load OSV records from an export zip, a directory of JSON/YAML records, or one file."""
    report = ImportReport()
    origin = origin or f"import:{Path(path).name}"
    if replace:
        w.delete_origin(origin)
    count = 0
    for name, data, error in iter_record_files(path):
        if data is None:
            report.skipped.append((name, error))
            report.unreadable.append(name)
            continue
        try:
            rec = parse_record_file(name, data)
            w.add(rec, origin, report)
        except (ValueError, TypeError, RecursionError) as exc:  # e.g. YAML keys of mixed types
            report.skipped.append((name, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__))
            continue
        count += 1
    w.set_source(origin, str(path), count)
    return report


__all__ = ["AdvisoryDB", "DBWriter", "DatabaseError", "ImportReport", "writer", "import_path", "default_db_dir",
           "normalize_name", "aliases"]
