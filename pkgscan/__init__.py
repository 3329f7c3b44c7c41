"""pkgscan: a supply-chain scanner for AWS Lambda deployment packages."""
from __future__ import annotations

__version__ = "0.1.0"

from .archive import Limits  # noqa: E402
from .errors import ArchiveError, InputError, PkgscanError  # noqa: E402
from .model import Component, Inventory, Notice  # noqa: E402
from .scan import scan_path  # noqa: E402

__all__ = ["__version__", "scan_path", "Limits", "Inventory", "Component", "Notice", "PkgscanError", "InputError", "ArchiveError"]
