import hashlib
import json
import shutil
import socket
from pathlib import Path

import pytest

from tests.aws_emulator.fixtures import aws_account, aws_emulator, aws_org, aws_small_account  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: the committed OSV snapshot (sample_packages/advisories: real exports, see its README)
ADVISORY_EXPORTS = (SAMPLES / "advisories" / "PyPI-all.zip", SAMPLES / "advisories" / "npm-all.zip")


def sample_cases():
    out = []
    for exp in sorted(SAMPLES.glob("*.expected.json")):
        data = json.loads(exp.read_text())
        out.append(pytest.param(SAMPLES / data["zip"], data, id=data["zip"]))
    return out


def _fingerprint(d: Path) -> dict[str, str]:
    return {str(p.relative_to(d)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.rglob("*")) if p.is_file()}


@pytest.fixture(scope="session")
def advisory_db_dir(tmp_path_factory) -> Path:
    """An offline database of the committed snapshot (PyPI + npm), imported once per session.

    Shared and read-only: a test that writes to a database (import, update, delete) uses
    ``advisory_db_copy`` or builds its own.  The session checks at its end that nobody wrote here.
    """
    from pkgscan.vulns.store import import_path, writer

    d = tmp_path_factory.mktemp("advisory-db")
    with writer(d) as w:
        for z in ADVISORY_EXPORTS:
            rep = import_path(w, z)
            assert not rep.skipped, rep.skipped
    before = _fingerprint(d)
    yield d
    assert _fingerprint(d) == before, "a test wrote to the shared advisory database (use advisory_db_copy)"


@pytest.fixture(scope="session")
def advisory_db(advisory_db_dir):
    """The shared snapshot database, opened (read-only) once per session."""
    from pkgscan.vulns.store import AdvisoryDB

    db = AdvisoryDB(advisory_db_dir)
    yield db
    db.close()


@pytest.fixture
def advisory_db_copy(advisory_db_dir, tmp_path) -> Path:
    """A private, writable copy of the snapshot database for one test."""
    return Path(shutil.copytree(advisory_db_dir, tmp_path / "advisory-db"))


@pytest.fixture
def closed_port() -> int:
    """A loopback TCP port that refuses connections for the whole test.

    The socket stays bound (so no other process can take the port meanwhile, as it could between
    "find a free port, close it" and the test's connect) but never listens: a connect is refused.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]
