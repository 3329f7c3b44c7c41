"""Policy: which findings count against the build, and the ``--fail-on`` exit code.

Three sources can *suppress* a finding.  A suppressed finding is never dropped: it keeps being
reported, with ``Finding.suppressed`` saying why, and it no longer counts for :func:`exit_code`.

* an **ignore file** -- ``.pkgscan-ignore.yaml`` or a ``[[tool.pkgscan.ignore]]`` array in
  ``pyproject.toml`` (:func:`load_ignore_file`, :func:`load_pyproject_ignores`)::

      ignore:
        - id: CVE-2018-18074            # any id or alias of the finding, case-insensitive
          package: requests             # optional: a name, or a purl (with or without @version)
          reason: "only talks to our own https endpoint, never follows redirects"
          expires: 2026-06-30           # optional; the rule applies up to and including that day

* **VEX** documents (:func:`load_vex`): OpenVEX (https://github.com/openvex/spec) and CycloneDX
  VEX (``vulnerabilities[].analysis``).  Only "this product is not affected" statements suppress:
  OpenVEX ``not_affected`` and CycloneDX ``not_affected`` / ``false_positive``.  A ``fixed`` /
  ``resolved`` statement does *not* suppress: it asserts that the listed version contains the
  fix, yet the scan still finds the vulnerability in the version actually deployed -- either the
  statement is about another build or the advisory data disagrees, and both need a human, so the
  finding stays active and a warning says so.  When several statements talk about the same
  vulnerability and package, the most recent one (statement timestamp, else document timestamp;
  later in the input on ties) decides, as OpenVEX prescribes: a later ``affected`` revokes an
  earlier ``not_affected``.
* ``--ignore-unfixed``: findings for which no fixed version is known.  Never applied to
  malicious packages (they have no fix by nature; hiding them would hide malware).

Precedence when several apply: VEX, then the ignore file, then ``unfixed``.

The package: :mod:`.ignore` (ignore files), :mod:`.vex` (reading VEX; dialects in
:mod:`.vex_openvex` and :mod:`.vex_cyclonedx`, the statements in :mod:`.vex_model`, ``vers:``
ranges in :mod:`.vers`), :mod:`.gate` (applying it all, exit codes), :mod:`.match` (names, purls
and ids, compared as :mod:`pkgscan.ecosystems` says).
"""
from __future__ import annotations

from .gate import FAIL_ON_CHOICES, apply_policy, effective_rank, exit_code
from .ignore import (  # noqa: F401  (constants re-exported)
    IGNORE_FILE_NAMES,
    MAX_IGNORE_FILE_BYTES,
    PYPROJECT,
    IgnoreRule,
    discover_ignore_file,
    load_ignore_file,
    load_ignores,
    load_pyproject_ignores,
)
from .match import PolicyError, purl_matches
from .vex import load_vex, parse_vex
from .vex_model import CDX_STATES, MAX_VEX_FILE_BYTES, OPENVEX_STATUSES, VexProduct, VexStatement  # noqa: F401

__all__ = [
    "PolicyError", "IgnoreRule", "VexProduct", "VexStatement", "FAIL_ON_CHOICES",
    "load_ignore_file", "load_pyproject_ignores", "load_ignores", "discover_ignore_file",
    "load_vex", "parse_vex", "apply_policy", "exit_code", "effective_rank", "purl_matches",
]
