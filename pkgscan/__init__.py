"""pkgscan: a supply-chain scanner for AWS Lambda deployment packages."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "scan_path", "check_path", "Limits", "Inventory", "Component", "Notice", "PkgscanError",
           "InputError", "ArchiveError"]

# The names are resolved on first use, so that `pkgscan --help` does not import every cataloger.
_LAZY = {"scan_path": "scan", "check_path": "check", "Limits": "archive", "Inventory": "model",
         "Component": "model", "Notice": "model", "PkgscanError": "errors", "InputError": "errors",
         "ArchiveError": "errors"}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pkgscan' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
