"""License declarations as packages write them, turned into SPDX where that is unambiguous."""
from __future__ import annotations

from typing import Any

# Trove classifiers (https://pypi.org/classifiers/) whose meaning is exactly one SPDX id.
# Ambiguous ones ("BSD License", "GNU General Public License (GPL)") keep their text.
_CLASSIFIERS = {
    "MIT License": "MIT",
    "MIT No Attribution License (MIT-0)": "MIT-0",
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Mozilla Public License 1.1 (MPL 1.1)": "MPL-1.1",
    "Python Software Foundation License": "PSF-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "Zope Public License": "ZPL-2.1",
    "GNU General Public License v2 (GPLv2)": "GPL-2.0-only",
    "GNU General Public License v2 or later (GPLv2+)": "GPL-2.0-or-later",
    "GNU General Public License v3 (GPLv3)": "GPL-3.0-only",
    "GNU General Public License v3 or later (GPLv3+)": "GPL-3.0-or-later",
    "GNU Lesser General Public License v2 (LGPLv2)": "LGPL-2.0-only",
    "GNU Lesser General Public License v2 or later (LGPLv2+)": "LGPL-2.0-or-later",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
    "GNU Lesser General Public License v3 or later (LGPLv3+)": "LGPL-3.0-or-later",
    "GNU Affero General Public License v3": "AGPL-3.0-only",
    "GNU Affero General Public License v3 or later (AGPLv3+)": "AGPL-3.0-or-later",
    "Eclipse Public License 2.0 (EPL-2.0)": "EPL-2.0",
    "Boost Software License 1.0 (BSL-1.0)": "BSL-1.0",
    "Academic Free License (AFL)": "AFL-3.0",
    "Artistic License": "Artistic-2.0",
    "European Union Public Licence 1.2 (EUPL 1.2)": "EUPL-1.2",
    "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication": "CC0-1.0",
    "Universal Permissive License (UPL)": "UPL-1.0",
    "BSD License": "BSD License",
    "Public Domain": "Public Domain",
}


_VAGUE = {"BSD License", "Public Domain"}


def is_exact_classifier(classifier: str) -> bool:
    """True when the classifier names exactly one SPDX license."""
    leaf = classifier.split("::")[-1].strip()
    return leaf in _CLASSIFIERS and leaf not in _VAGUE


def classifier_to_spdx(classifier: str) -> str | None:
    """'License :: OSI Approved :: MIT License' -> 'MIT'; unknown leaf -> the leaf text."""
    parts = [p.strip() for p in classifier.split("::")]
    if len(parts) < 2 or parts[0] != "License":
        return None
    leaf = parts[-1]
    if leaf in ("OSI Approved", "Other/Proprietary License", "DFSG approved"):
        return None if leaf != "Other/Proprietary License" else "LicenseRef-Proprietary"
    return _CLASSIFIERS.get(leaf, leaf)


def npm_licenses(pkg: dict[str, Any]) -> tuple[str, ...]:
    """package.json ``license`` (SPDX expression or {type}) or the legacy ``licenses`` list."""
    out: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, dict):
            value = value.get("type")
        if isinstance(value, str):
            v = value.strip()
            if v and len(v) <= 200 and v not in out:
                out.append(v)

    lic = pkg.get("license")
    if isinstance(lic, list):  # some old packages put a list of {type} here
        for item in lic[:20]:
            add(item)
    elif lic is not None:
        add(lic)
    lics = pkg.get("licenses")
    if isinstance(lics, list):
        for item in lics[:20]:
            add(item)
    elif lics is not None:
        add(lics)
    return tuple(out)
