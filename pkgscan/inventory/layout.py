"""Function or layer?  A layer puts everything under /opt: ``python/``, ``nodejs/``, ``java/``, ``ruby/``, ``bin/``, ``lib/``."""
from __future__ import annotations

FUNCTION = "function"
LAYER = "layer"
_LAYER_TOP = ("python/", "nodejs/", "java/", "ruby/")
_CODE_SUFFIXES = (".py", ".js", ".mjs", ".cjs", ".ts", ".rb", ".deps.json", ".dll")


def detect_layout(paths: list[str]) -> str:
    """A layer has python/, nodejs/ or ruby/ at the top and no handler code or packages at the root."""
    has_layer_dir = False
    for p in paths:
        if p.startswith(_LAYER_TOP):
            has_layer_dir = True
        elif "/" not in p and p.endswith(_CODE_SUFFIXES):
            return FUNCTION
        elif p.startswith(("node_modules/", "vendor/bundle/")) or (".dist-info/" in p and p.count("/") == 1):
            return FUNCTION
    return LAYER if has_layer_dir else FUNCTION
