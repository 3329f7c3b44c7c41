"""Ready-made pytest fixtures. Re-export them from a conftest.py to use them:

    from tests.aws_emulator.fixtures import aws_emulator, aws_account  # noqa: F401

``aws_account`` is session-scoped (one ~5 s build); its faults fire once, so a test that
scans it should first call ``arm_faults(emu, manifest)`` and ``emu.log.clear()``.
"""

from __future__ import annotations

import pytest

from .scenario import Manifest, build_account
from .server import Emulator


@pytest.fixture
def aws_emulator():
    with Emulator() as emu:
        yield emu
        assert not emu.bugs, emu.bugs


@pytest.fixture(scope="session")
def aws_account() -> tuple[Emulator, Manifest]:
    with Emulator() as emu:
        manifest = build_account(emu)
        yield emu, manifest
        assert not emu.bugs, emu.bugs
