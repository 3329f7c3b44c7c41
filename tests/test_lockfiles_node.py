"""Node lockfile parsers (npm, yarn, pnpm, bun) against other scanners' test fixtures, plus hostile input.

The fixtures under ``tests/fixtures/peer/<format>/<peer>/`` are copies of osv-scalibr, trivy, syft and
osv-scanner test data with the results their own tests assert (``expected.json``; see each format's
``ATTRIBUTION.md``).  Every asserted case is compared with our parse:

- the (name, version) multiset, deduplicated on both sides: we report one LockedPackage per install
  location (npm/bun) or lockfile entry (yarn/pnpm), while every peer merges one name@version into one
  package.  We carry no git commit, so scalibr's "same name, no version, two commits" pairs merge too;
- dev / optional flags where the peer asserts them (merged: a name@version is dev only if every
  occurrence is), and line numbers where the peer asserts them;
- expected errors: a peer error with no packages means LockfileError; with packages it means a
  partial result plus warnings.

Where we deliberately differ, ``EXCEPTIONS`` says so, with the exact difference and the reason.
An exception that no longer matches a difference fails the test, so the list cannot go stale.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pkgscan.inventory.lockfiles import LockfileError, bun_lock, npm_lock, pnpm_lock, yarn_lock
from pkgscan.model import LockedPackage, LockfileParse

FIXTURES = Path(__file__).parent / "fixtures" / "peer"

PARSERS = {
    "npm-package-lock": npm_lock.parse,
    "npm-node-modules-package-lock": npm_lock.parse,
    "yarn-lock": yarn_lock.parse,
    "pnpm-lock": pnpm_lock.parse,
    "bun-lock": bun_lock.parse,
}
#: the lockfile inside a peer's directory case
LOCKFILE_NAME = {
    "npm-package-lock": "package-lock.json",
    "yarn-lock": "yarn.lock",
    "pnpm-lock": "pnpm-lock.yaml",
    "bun-lock": "bun.lock",
}


@dataclass(frozen=True)
class Differ:
    """A documented, deliberate difference from a peer's assertion for one case."""

    reason: str
    #: (name, version) we report and the peer does not
    extra: tuple[tuple[str, str], ...] = ()
    #: (name, version) the peer reports and we do not
    missing: tuple[tuple[str, str], ...] = ()
    #: (name, version) -> our (merged) dev flag, where it differs from the peer's
    dev: dict = field(default_factory=dict)
    #: (name, version) -> our (merged) optional flag, where it differs from the peer's
    optional: dict = field(default_factory=dict)
    #: the peer expects an error, we return an empty result (with a warning) instead
    no_error: bool = False


ROOT_SKIPPED = "the peer reports the root project itself; we never report the root ('' / 'workspace:.' / 'root:') entry"
DEV_OPTIONAL = ("npm's devOptional means dev-only on one path but an optional dependency of a production package on "
                "another, so a production install keeps it: we flag it optional, not dev")
SCALIBR_NO_DEV = ("osv-scalibr derives no dev/optional groups for pnpm v9 and bun (README debatable #6); we derive them "
                  "from the importers'/workspaces' devDependencies and optionalDependencies")
TRIVY_YARN_SKIPS = ("trivy's yarn parser drops packages that are not from a registry (git, file:, unknown protocols); "
                    "we report every locked package and record its source")
YARN_NO_DEV = ("yarn.lock carries no dev information; syft reads the sibling package.json. Dev filtering for yarn "
               "needs the directory and is the caller's job")


def _dev(*names_versions, flag=True):
    return {nv: flag for nv in names_versions}


EXCEPTIONS: dict[tuple[str, str, str, int], Differ] = {
    # --- npm
    ("npm-package-lock", "osv-scalibr", "optional-package.v2.json", 0): Differ(
        DEV_OPTIONAL, dev=_dev(("supports-color", "5.5.0"), flag=False)),
    ("npm-node-modules-package-lock", "osv-scanner-legacy", "optional-package.v2.json", 0): Differ(
        DEV_OPTIONAL, dev=_dev(("supports-color", "5.5.0"), flag=False)),
    ("npm-package-lock", "osv-scalibr", "both/package-lock.json", 0): Differ(
        "'npm-shrinkwrap.json wins over package-lock.json' needs the directory: one file's parser reports its "
        "packages, the caller must prefer the shrinkwrap", extra=(("wrappy", "1.0.2"), ("supports-color", "5.5.0"))),
    ("npm-package-lock", "syft", "pkg-lock/package-lock-2.json", 0): Differ(ROOT_SKIPPED, missing=(("npm", "6.14.6"),)),
    ("npm-package-lock", "syft", "pkg-lock/package-lock-3.json", 0): Differ(
        ROOT_SKIPPED, missing=(("lock-v3-fixture", "1.0.0"),)),
    ("npm-package-lock", "syft", "pkg-lock/array-license-package-lock.json", 0): Differ(
        ROOT_SKIPPED, missing=(("tmp", "1.0.0"),)),
    ("npm-package-lock", "syft", "pkg-lock/alias-package-lock-2.json", 0): Differ(
        ROOT_SKIPPED, missing=(("alias-check", "1.0.0"),)),
    ("npm-package-lock", "trivy", "package-lock_v3_broken_link.json", 0): Differ(
        "trivy drops the whole file for one link to a missing entry (README debatable #8); we skip that link with "
        "a warning and keep the rest (the workspace folder functions/func1)", extra=(("func1", "1.0.0"),)),
    # --- yarn
    ("yarn-lock", "syft", "yarn-berry/yarn.lock", 0): Differ(ROOT_SKIPPED, missing=(("c0n-fab_u.laTION", "7.7.7"),)),
    ("yarn-lock", "syft", "yarn-dev-deps/yarn.lock", 1): Differ(
        YARN_NO_DEV, extra=(("dev-only-transitive", "1.0.0"), ("dev-pkg", "1.0.0"))),
    ("yarn-lock", "syft", "yarn-berry-dev-deps/yarn.lock", 1): Differ(
        YARN_NO_DEV, extra=(("dev-only-transitive", "1.0.0"), ("dev-pkg", "1.0.0"))),
    ("yarn-lock", "trivy", "yarn_v2_happy.lock", 0): Differ(
        "trivy skips berry 'patch:' resolutions; a patched fsevents is still fsevents 2.1.3 and is installed",
        extra=(("fsevents", "2.1.3"),)),
    ("yarn-lock", "trivy", "yarn_with_local.lock", 0): Differ(TRIVY_YARN_SKIPS, extra=(("local-package", "0.0.1"),)),
    ("yarn-lock", "trivy", "yarn_with_git.lock", 0): Differ(
        TRIVY_YARN_SKIPS, extra=(("mapbox-gl-feature-drag-and-drop", "1.1.1"),)),
    ("yarn-lock", "trivy", "yarn_with_bad_protocol.lock", 0): Differ(TRIVY_YARN_SKIPS, extra=(("asap", "2.0.6"),)),
    ("yarn-lock", "trivy-analyzer", "project-with-workspace-in-subdir/", 0): Differ(
        "trivy-analyzer adds workspace members found through package.json; a yarn v1 lockfile does not list them",
        missing=(("@test/bar-generators", "0.0.1"),)),
    ("yarn-lock", "trivy-analyzer", "monorepo/", 0): Differ(
        "workspace versions: yarn.lock records 0.0.0-use.local, trivy-analyzer reads each workspace's package.json "
        "(package2's has no name/version, so trivy lists a nameless member)",
        extra=(("c", "0.0.0-use.local"), ("package1", "0.0.0-use.local"), ("package2", "0.0.0-use.local"),
               ("util1", "0.0.0-use.local")),
        missing=(("c", "0.0.0"), ("package1", "0.0.0"), ("util1", "0.0.0"))),
    # --- pnpm
    ("pnpm-lock", "osv-scalibr", "one-package-dev.v9.yaml", 0): Differ(SCALIBR_NO_DEV, dev=_dev(("acorn", "8.11.3"))),
    ("pnpm-lock", "osv-scalibr", "mixed-groups.v9.yaml", 0): Differ(
        SCALIBR_NO_DEV, dev=_dev(("is-number", "7.0.0")), optional=_dev(("uuid", "8.3.2"))),
    ("pnpm-lock", "syft", "pnpm/pnpm-lock.yaml", 0): Differ(
        "syft also turns the importer's direct dependencies into packages; this (trimmed) fixture has no packages "
        "entry for them and we report locked entries only",
        missing=(("nanoid", "3.3.4"), ("picocolors", "1.0.0"), ("source-map-js", "1.0.2"))),
    ("pnpm-lock", "syft", "pnpm/pnpm-lock.yaml", 1): Differ(
        "as variant 0 (syft reports importer dependencies that have no packages entry)",
        missing=(("nanoid", "3.3.4"), ("picocolors", "1.0.0"), ("source-map-js", "1.0.2"))),
    ("pnpm-lock", "syft", "pnpm-multi-doc/pnpm-lock.yaml", 0): Differ(
        "the first YAML document is pnpm's own env lockfile (packageManagerDependencies: pnpm itself), not the "
        "project's dependencies; we skip it like trivy (pnpm-lock_v9_multiple_documents.yaml)",
        missing=(("@pnpm/exe.linux-x64", "12.0.0-rc.3"), ("pnpm", "12.0.0-rc.3"))),
    # --- bun
    ("bun-lock", "osv-scalibr", "scoped-packages-mixed.json5", 0): Differ(SCALIBR_NO_DEV, dev=_dev(("wrappy", "1.0.2"))),
    ("bun-lock", "osv-scalibr", "optional-package.json5", 0): Differ(
        SCALIBR_NO_DEV, optional=_dev(("fsevents", "0.3.8"), ("nan", "2.22.0"))),
    ("bun-lock", "osv-scalibr", "nested-dependencies.json5", 0): Differ(SCALIBR_NO_DEV, dev=_dev(
        ("ansi-styles", "4.3.0"), ("chalk", "4.1.2"), ("color-convert", "2.0.1"), ("color-name", "1.1.4"),
        ("has-flag", "4.0.0"), ("supports-color", "7.2.0"))),
    ("bun-lock", "osv-scalibr", "nested-dependencies-dup.json5", 0): Differ(SCALIBR_NO_DEV, dev=_dev(
        ("ansi-styles", "4.3.0"), ("chalk", "4.1.2"), ("color-convert", "2.0.1"), ("color-name", "1.1.4"))),
    ("bun-lock", "osv-scalibr", "commits.json5", 0): Differ(SCALIBR_NO_DEV, dev=_dev(
        ("@babel/helper-plugin-utils", "7.26.5"), ("@babel/helper-string-parser", "7.25.9"),
        ("@babel/helper-validator-identifier", "7.25.9"), ("@babel/parser", "7.26.5"), ("@babel/types", "7.26.5"),
        ("@prettier/sync", ""), ("babel-preset-php", ""), ("is-number", ""), ("jquery", "3.7.1"),
        ("make-synchronized", "0.2.9"), ("php-parser", "2.2.0"), ("prettier", "3.4.2"), ("raven-js", ""),
        ("slick-carousel", ""))),
    ("bun-lock", "osv-scalibr", "files.json5", 0): Differ(SCALIBR_NO_DEV, dev=_dev(("etag", ""))),
    ("bun-lock", "syft", "test-fixtures/bun-variable-tuples/bun.lock", 0): Differ(
        "we report workspace members (source 'workspace'), as trivy does (bun_multiple_ws.lock); syft drops them",
        extra=(("@my/util", "1.0.0"),)),
    ("bun-lock", "trivy", "bun_invalid.lock", 0): Differ(
        "lockfileVersion \"not-a-number\" and no packages: we warn and return nothing; trivy fails on the type",
        no_error=True),
}

#: how a peer's assertion maps onto our output, where its semantics differ from a plain parse
#: (these are the peer's behaviour, not our deliberate differences)
PEER_SEMANTICS = {
    "syft-npm-no-dev": "syft's package-lock cataloger drops dev packages by default: compare our non-dev packages",
    "trivy-pnpm-no-dev": "trivy's pnpm parser drops dev packages for lockfileVersion < 9: compare our non-dev packages",
    "analyzer": ("trivy-analyzer scans a directory: its root pseudo-package and nameless workspace pseudo-packages are "
                 "not lockfile entries; 'applications: []' means it skipped broken input, so LockfileError or an "
                 "empty result both match; yarn dev flags come from package.json, so they are not compared"),
    "syft-no-flags": "syft asserts no dev/optional flags",
}


# --- loading the peer cases ----------------------------------------------------------------------


def _cases():
    for fmt in PARSERS:
        for peer_dir in sorted((FIXTURES / fmt).iterdir()):
            expected_file = peer_dir / "expected.json"
            if not expected_file.is_file():
                continue
            expected = json.loads(expected_file.read_text())
            for key, case in expected.items():
                for idx, variant in enumerate([case] + case.get("variants", [])):
                    yield pytest.param(fmt, peer_dir.name, key, idx, variant, id=f"{fmt}/{peer_dir.name}/{key}#{idx}")


CASES = list(_cases())


def _lockfile(fmt: str, peer: str, key: str, case: dict) -> Path:
    path = FIXTURES / fmt / peer / key
    if not key.endswith("/"):
        return path
    for app in case.get("applications", []):
        return path / app["file_path"]
    return path / LOCKFILE_NAME[fmt]


def _names_only(case: dict) -> bool:
    return "only the multiset of package names" in case.get("packages_note", "")


def _drops_dev(fmt: str, peer: str, case: dict, data: bytes) -> bool:
    options = case.get("options", {})
    if "IncludeDevDependencies" in options:
        return not options["IncludeDevDependencies"]
    if (fmt, peer) == ("npm-package-lock", "syft"):
        return True  # PEER_SEMANTICS["syft-npm-no-dev"]
    if (fmt, peer) == ("pnpm-lock", "trivy"):  # PEER_SEMANTICS["trivy-pnpm-no-dev"]
        return b"lockfileVersion: '9" not in data
    return False


def _peer_items(fmt: str, peer: str, case: dict):
    """[(name, version, dev or None, optional or None, {lines})] as the peer asserts them."""
    if "applications" in case:  # PEER_SEMANTICS["analyzer"]
        packages = [p for app in case["applications"] for p in app.get("packages", [])
                    if p.get("relationship") != "root" and p.get("name")]
    else:
        packages = case.get("packages") or []
    items = []
    for p in packages:
        groups = p.get("dep_groups")
        if groups is not None:  # osv-scalibr, osv-scanner
            dev, optional = "dev" in groups, "optional" in groups
        elif peer.startswith("trivy") and not (peer == "trivy-analyzer" and fmt == "yarn-lock"):
            dev, optional = p.get("dev", False), None
        else:  # syft, trivy-analyzer yarn
            dev = optional = None
        lines = {p["line"]} if "line" in p else {loc["start_line"] for loc in p.get("locations", [])}
        version = None if _names_only(case) else p.get("version", "")
        items.append((p["name"], version, dev, optional, frozenset(lines)))
    return items


def _our_items(parsed: LockfileParse, drop_dev: bool):
    return [(p.name, p.version, p.dev, p.optional, frozenset({p.line})) for p in parsed.packages
            if not (drop_dev and p.dev)]


def _merge(items) -> dict:
    """{(name, version): (dev, optional, lines)}: one name@version is dev (optional) only if every entry is."""
    merged: dict = {}
    for name, version, dev, optional, lines in items:
        key = (name, version)
        if key in merged:
            d, o, ls = merged[key]
            merged[key] = (None if d is None else d and dev, None if o is None else o and optional, ls | lines)
        else:
            merged[key] = (dev, optional, set(lines))
    return merged


def _differences(theirs: dict, ours: dict, names_only: bool, differ: Differ | None) -> list[str]:
    extra = set(differ.extra) if differ else set()
    missing = set(differ.missing) if differ else set()
    if names_only:
        want = ({n for n, _ in theirs} - {n for n, _ in missing}) | {n for n, _ in extra}
        got = {n for n, _ in ours}
        return [] if got == want else [f"names: missing {sorted(want - got)}, unexpected {sorted(got - want)}"]
    problems = []
    want_keys = (set(theirs) - missing) | extra
    if set(ours) != want_keys:
        problems.append(f"packages: missing {sorted(want_keys - set(ours))}, unexpected {sorted(set(ours) - want_keys)}")
    for key in sorted(set(ours) & set(theirs)):
        t_dev, t_opt, t_lines = theirs[key]
        o_dev, o_opt, o_lines = ours[key]
        if t_dev is not None:
            want = differ.dev.get(key, t_dev) if differ else t_dev
            if o_dev != want:
                problems.append(f"{key}: dev {o_dev}, want {want}")
        if t_opt is not None:
            want = differ.optional.get(key, t_opt) if differ else t_opt
            if o_opt != want:
                problems.append(f"{key}: optional {o_opt}, want {want}")
        if t_lines and not t_lines & o_lines:
            problems.append(f"{key}: line {sorted(o_lines)}, want one of {sorted(t_lines)}")
    return problems


@pytest.mark.parametrize("fmt,peer,key,idx,case", CASES)
def test_peer_case(fmt, peer, key, idx, case):
    differ = EXCEPTIONS.get((fmt, peer, key, idx))
    data = _lockfile(fmt, peer, key, case).read_bytes()
    parse = PARSERS[fmt]

    if case.get("applications") == []:  # the analyzer skipped broken input: PEER_SEMANTICS["analyzer"]
        try:
            assert parse(data, key).packages == ()
        except LockfileError:
            pass
        return
    if "error" in case and not case.get("packages"):
        if differ and differ.no_error:
            assert parse(data, key).packages == ()
            return
        with pytest.raises(LockfileError):
            parse(data, key)
        return

    parsed = parse(data, key)
    if "error" in case:  # the peer returns an error beside a partial result
        assert parsed.warnings, "the peer reports an error beside its partial result: we must at least warn"
    theirs = _merge(_peer_items(fmt, peer, case))
    ours = _merge(_our_items(parsed, _drops_dev(fmt, peer, case, data)))
    problems = _differences(theirs, ours, _names_only(case), differ)
    assert not problems, "\n".join(problems)
    if differ:  # a documented difference must still be a difference, or it is stale
        assert _differences(theirs, ours, _names_only(case), None), f"stale exception: {differ.reason}"


def test_exceptions_name_real_cases():
    ids = {tuple(p.values[:4]) for p in CASES}
    assert set(EXCEPTIONS) <= ids, sorted(set(EXCEPTIONS) - ids)


# --- our own decisions, pinned ----------------------------------------------------------------------


def _parse_fixture(fmt: str, rel: str) -> LockfileParse:
    return PARSERS[fmt]((FIXTURES / fmt / rel).read_bytes(), rel)


def _by_path(parsed: LockfileParse) -> dict[str, LockedPackage]:
    return {p.install_path: p for p in parsed.packages}


def test_npm_v1_install_paths_lines_and_inherited_flags():
    parsed = _parse_fixture("npm-package-lock", "osv-scalibr/nested-dependencies.v1.json")
    pkgs = _by_path(parsed)
    inner = pkgs["node_modules/postcss-calc/node_modules/postcss"]
    assert (inner.name, inner.version, inner.line) == ("postcss", "7.0.16", 26)
    assert inner.dependencies == ("chalk", "source-map", "supports-color")
    # syft's fixture: dev-nested has no dev flag of its own but lives inside dev-parent
    nested = _by_path(_parse_fixture("npm-package-lock", "syft/pkg-lock/nested-package-lock-1.json"))
    assert nested["node_modules/dev-parent/node_modules/dev-nested"].dev
    assert not nested["node_modules/parent/node_modules/middle/node_modules/shared"].dev


def test_npm_v1_git_file_and_alias_sources():
    commits = _parse_fixture("npm-package-lock", "osv-scalibr/commits.v1.json")
    raven = _by_path(commits)["node_modules/raven-js"]
    assert (raven.version, raven.source) == ("", "git")
    files = _by_path(_parse_fixture("npm-package-lock", "osv-scalibr/files.v1.json"))
    assert (files["node_modules/other_package"].version, files["node_modules/other_package"].source) == ("", "file")
    assert files["node_modules/lodash"].source == "registry"
    alias = _by_path(_parse_fixture("npm-package-lock", "osv-scalibr/alias.v1.json"))
    assert (alias["node_modules/string-width-cjs"].name, alias["node_modules/string-width-cjs"].version) == (
        "string-width", "4.2.0")


def test_npm_v2_alias_keeps_install_path():
    pkgs = _by_path(_parse_fixture("npm-package-lock", "osv-scalibr/alias.v2.json"))
    assert pkgs["node_modules/babel-code-frame"].name == "@babel/code-frame"
    assert "" not in pkgs  # the root project


def test_npm_v2_links_and_workspaces():
    parsed = _parse_fixture("npm-package-lock", "trivy/package-lock_v3_with_workspace.json")
    pkgs = _by_path(parsed)
    link = pkgs["node_modules/nested_func"]
    assert (link.name, link.version, link.source, link.dependencies, link.line) == (
        "nested_func", "1.0.0", "link", ("debug",), 24)  # version, deps and line from the link target
    assert "functions/nested_func" not in pkgs and "functions/func1" not in pkgs  # reported via their links
    assert pkgs["functions/nested_func/node_modules/debug"].version == "2.6.9"
    broken = _parse_fixture("npm-package-lock", "trivy/package-lock_v3_broken_link.json")
    assert [(p.name, p.source) for p in broken.packages] == [("func1", "file")]
    assert any("missing entry" in w for w in broken.warnings)
    files = _by_path(_parse_fixture("npm-package-lock", "osv-scalibr/files.v2.json"))
    assert (files["deps/etag"].name, files["deps/etag"].source) == ("etag", "file")


def test_npm_dev_optional_flags():
    pkgs = _by_path(_parse_fixture("npm-package-lock", "osv-scalibr/optional-package.v2.json"))
    devopt = pkgs["node_modules/supports-color"]
    assert (devopt.dev, devopt.optional) == (False, True)  # devOptional: kept by a production install


def test_yarn_names_sources_and_workspaces():
    berry = yarn_lock.parse((FIXTURES / "yarn-lock/osv-scalibr/exclude-root.v2.lock").read_bytes(), "yarn.lock")
    assert [(p.name, p.source, p.line) for p in berry.packages] == [
        ("@ws/ansi-regex", "workspace", 8), ("ansi-regex", "registry", 16)]
    assert berry.packages[0].dependencies == ("ansi-regex",)
    v1 = yarn_lock.parse((FIXTURES / "yarn-lock/osv-scalibr/files.v1.lock").read_bytes(), "yarn.lock")
    assert {(p.name, p.version, p.source) for p in v1.packages} >= {
        ("other_package", "0.0.2", "file"), ("etag", "1.8.0", "link"), ("etag", "1.8.1", "registry")}
    commits = yarn_lock.parse((FIXTURES / "yarn-lock/osv-scalibr/commits.v2.lock").read_bytes(), "yarn.lock")
    assert {p.source for p in commits.packages} == {"git"}
    # the registry tarball names the installed package, whatever the entry was asked for as
    dups = yarn_lock.parse((FIXTURES / "yarn-lock/syft/yarn-dups/yarn.lock").read_bytes(), "yarn.lock")
    assert "@4lolo/resize-observer-polyfill" in {p.name for p in dups.packages}
    assert any("@4lolo/resize-observer-polyfill" in w for w in dups.warnings)


def test_yarn_berry_patch_is_the_registry_package():
    parsed = yarn_lock.parse((FIXTURES / "yarn-lock/trivy/yarn_v2_happy.lock").read_bytes(), "yarn.lock")
    fsevents = [p for p in parsed.packages if p.name == "fsevents"]
    assert [(p.version, p.source) for p in fsevents] == [("2.1.3", "registry")]


def test_pnpm_v9_dev_graph_peers_and_sources():
    parsed = pnpm_lock.parse((FIXTURES / "pnpm-lock/trivy/pnpm-lock_v9_same-vers-diff-peers.yaml").read_bytes(), "p")
    flags = sorted((p.name, p.version, p.dev) for p in parsed.packages)
    assert ("jest-pnp-resolver", "1.2.3", True) in flags and ("jest-pnp-resolver", "1.2.3", False) in flags
    v9 = {(p.name, p.version): p for p in pnpm_lock.parse(
        (FIXTURES / "pnpm-lock/trivy/pnpm-lock_v9.yaml").read_bytes(), "p").packages}
    assert v9[("is-negative", "2.0.1")].source == "git"  # codeload tarball
    assert v9[("lodash", "4.17.21")].source == "file" and v9[("lodash", "4.17.21")].dev
    assert v9[("asap", "2.0.6")].optional


def test_pnpm_multi_document_skips_env_lockfile():
    parsed = pnpm_lock.parse((FIXTURES / "pnpm-lock/trivy/pnpm-lock_v9_multiple_documents.yaml").read_bytes(), "p")
    assert [(p.name, p.version, p.line) for p in parsed.packages] == [("is-number", "7.0.0", 215)]


def test_pnpm_scalars_stay_strings():
    text = b"lockfileVersion: 5.4\npackages:\n  /a/1.10:\n    version: 1.10\n    name: a\n    dev: false\n"
    (pkg,) = pnpm_lock.parse(text, "p").packages
    assert (pkg.name, pkg.version, pkg.dev) == ("a", "1.10", False)


def test_bun_jsonc_workspaces_and_nesting():
    text = b"""{
  // comment, with a comma,
  "lockfileVersion": 1, /* block */
  "workspaces": {
    "": { "name": "app", "dependencies": { "@s/a": "^1", }, "devDependencies": { "t": "^2" }, },
    "libs/w": { "name": "w", "version": "3.1.4", },
  },
  "packages": {
    "app": ["app@root:", {}],
    "w": ["w@workspace:libs/w"],
    "@s/a": ["@s/a@1.0.0", "", { "dependencies": { "b": "*" } }, "sha512-x"],
    "@s/a/b": ["b@2.0.0", "", {}, "sha512-y"],
    "b": ["b@1.0.0", "", {}, "sha512-z"],
    "t": ["t@2.0.0", "", { "dependencies": { "b": "*" } }, "sha512-w"],
    "g": ["g@github:o/r#abc1234", {}, "o-r-abc1234"],
  },
}"""
    parsed = bun_lock.parse(text, "bun.lock")
    got = {p.install_path: (p.name, p.version, p.source, p.dev) for p in parsed.packages}
    assert got == {
        "node_modules/w": ("w", "3.1.4", "workspace", False),
        "node_modules/@s/a": ("@s/a", "1.0.0", "registry", False),
        "node_modules/@s/a/node_modules/b": ("b", "2.0.0", "registry", False),
        "node_modules/b": ("b", "1.0.0", "registry", True),  # only t (a dev dependency) resolves to the top b
        "node_modules/t": ("t", "2.0.0", "registry", True),
        "node_modules/g": ("g", "", "git", False),
    }
    assert parsed.packages[1].line == 11


# --- hostile input --------------------------------------------------------------------------------

JSON_FORMATS = {"npm": npm_lock.parse, "bun": bun_lock.parse}
ALL = {"npm": npm_lock.parse, "yarn": yarn_lock.parse, "pnpm": pnpm_lock.parse, "bun": bun_lock.parse}
SAMPLES = {
    "npm": ["npm-package-lock/trivy/package-lock_v2.json", "npm-package-lock/trivy/package-lock_v1.json",
            "npm-package-lock/trivy/package-lock_v3_with_workspace.json"],
    "yarn": ["yarn-lock/trivy/yarn_happy.lock", "yarn-lock/trivy/yarn_v2_happy.lock"],
    "pnpm": ["pnpm-lock/trivy/pnpm-lock_v9.yaml", "pnpm-lock/trivy/pnpm-lock_v6.yaml",
             "pnpm-lock/osv-scalibr/commits.yaml", "pnpm-lock/osv-scalibr/peer-dependencies-advanced.yaml"],
    "bun": ["bun-lock/trivy/bun_happy.lock", "bun-lock/osv-scalibr/commits.json5"],
}


def _survives(parse, data: bytes, internal_ok: bool = True) -> LockfileParse | None:
    """Parse; LockfileError is an acceptable answer, any other exception fails the test.

    With ``internal_ok=False`` a LockfileError from the parsers' last-resort guard (an exception the
    parser did not foresee) fails too: well-formed JSON/YAML of the wrong shape must give a result.
    """
    try:
        parsed = parse(data, "hostile")
    except LockfileError as exc:
        assert internal_ok or "cannot parse (" not in str(exc), str(exc)
        return None
    assert isinstance(parsed, LockfileParse)
    for p in parsed.packages:
        assert isinstance(p.name, str) and p.name and isinstance(p.version, str)
        assert all(isinstance(d, str) for d in p.dependencies)
    return parsed


@pytest.mark.parametrize("fmt", sorted(JSON_FORMATS))
def test_json_truncated_and_wrong_top_level(fmt):
    parse = JSON_FORMATS[fmt]
    data = (FIXTURES / SAMPLES[fmt][0]).read_bytes()
    for cut in (1, len(data) // 3, len(data) // 2, len(data) - 3):
        with pytest.raises(LockfileError):
            parse(data[:cut], "truncated")
    for top in (b"[1, 2]", b"null", b"42", b'"x"', b"", b"   "):
        with pytest.raises(LockfileError):
            parse(top, "top")


def test_yaml_and_yarn_wrong_top_level():
    for top in (b"- a\n- b\n", b"just a string", b"42", b"[1, [2, {3: 4}]]"):
        with pytest.raises(LockfileError):
            pnpm_lock.parse(top, "top")
    for top in (b"[1, 2]", b"\x00\x01\x02 binary junk", b"{\n  \"a\": 1\n}"):
        with pytest.raises(LockfileError):
            yarn_lock.parse(top, "top")
    assert pnpm_lock.parse(b"", "empty").packages == ()
    assert yarn_lock.parse(b"# yarn lockfile v1\n", "empty").packages == ()


@pytest.mark.parametrize("fmt", sorted(ALL))
def test_deep_nesting_never_escapes(fmt):
    for depth in (200, 10_000, 100_000):
        for blob in (b"[" * depth + b"]" * depth, b"[" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
            _survives(ALL[fmt], blob)
    deep_v1 = b'{"lockfileVersion":1,"dependencies":' + b'{"a":{"version":"1.0.0","dependencies":' * 5000
    with pytest.raises(LockfileError):
        npm_lock.parse(deep_v1, "deep")
    ok_v1 = b'{"lockfileVersion":1,"dependencies":' + b'{"a":{"version":"1.0.0","dependencies":' * 300 + b"{}" + b"}}" * 300 + b"}"
    parsed = npm_lock.parse(ok_v1, "deep")
    assert len(parsed.packages) == 300
    assert parsed.packages[-1].install_path.count("node_modules/") == 300


def test_wrong_types_give_partial_results():
    v1 = json.dumps({"lockfileVersion": 1, "dependencies": {
        "num": {"version": 1}, "null": None, "list": [1], "ok": {"version": "1.0.0", "requires": ["x"]},
        "bad-deps": {"version": "2.0.0", "dependencies": [1, 2]}}}).encode()
    parsed = npm_lock.parse(v1, "v1")
    assert {(p.name, p.version) for p in parsed.packages} == {("num", ""), ("ok", "1.0.0"), ("bad-deps", "2.0.0")}
    assert len(parsed.warnings) >= 3
    v2 = json.dumps({"lockfileVersion": 3, "packages": {
        "": [], "node_modules/a": {"version": 1.5}, "node_modules/b": None, "node_modules/c": {"version": "1.0.0",
        "name": 7, "dependencies": "x", "dev": "yes", "resolved": 3, "link": "true"},
        "node_modules/": {"version": "1.0.0"}, "node_modules/d": {"link": True, "resolved": ["x"]}}}).encode()
    parsed = npm_lock.parse(v2, "v2")
    assert {(p.name, p.version, p.dev) for p in parsed.packages} == {("a", "", False), ("c", "1.0.0", False)}
    assert npm_lock.parse(b'{"packages": [], "dependencies": {"a": {"version": "1.0.0"}}}', "x").packages[0].name == "a"
    pnpm = b"lockfileVersion: '9.0'\nimporters: [1]\npackages:\n  a@1.0.0: [1]\n  b@2.0.0: {}\nsnapshots:\n  b@2.0.0: 7\n  c@3.0.0: {}\n"
    parsed = pnpm_lock.parse(pnpm, "p")
    assert [(p.name, p.version) for p in parsed.packages] == [("c", "3.0.0")]
    assert len(parsed.warnings) == 2
    bun = b'{"packages": {"a": ["a@1.0.0", 5, {"dependencies": []}], "b": "b@1", "c": [], "d": [null], "e": ["@/x@1"]}}'
    parsed = bun_lock.parse(bun, "b")
    assert [(p.name, p.version) for p in parsed.packages] == [("a", "1.0.0")]
    assert len(parsed.warnings) == 4


def test_invalid_utf8_bom_and_escapes_are_kept():
    data = b'\xef\xbb\xbf{"lockfileVersion": 3, "packages": {"node_modules/a\xff": {"version": "1.0.0"},' \
           b' "node_modules/\\u001b[31mevil": {"version": "6.6.6\\u0007"}}}'
    names = {p.name: p.version for p in npm_lock.parse(data, "x").packages}
    assert names == {"a\ufffd": "1.0.0", "\x1b[31mevil": "6.6.6\x07"}
    yarn = b'# yarn lockfile v1\n\n"\x1b]0;pwn\x07@^1":\n  version "1.0.0\xfe"\n'
    (pkg,) = yarn_lock.parse(yarn, "yarn.lock").packages
    assert (pkg.name, pkg.version) == ("\x1b]0;pwn\x07", "1.0.0\ufffd")
    pnpm = b"\xef\xbb\xbflockfileVersion: '9.0'\npackages:\n  \"\\e[2Jx@1.0.0\": {}\n"
    (pkg,) = pnpm_lock.parse(pnpm, "p").packages
    assert pkg.name == "\x1b[2Jx"


def test_yaml_merge_bomb_and_alias_fanout():
    for merge in ("<<", "!!merge <<"):  # '<<' is a plain key for us; an explicit merge tag is refused
        bomb = ["lockfileVersion: '5.4'", "a0: &a0 {x: 1, y: 2}"]
        for i in range(1, 40):
            bomb.append(f"a{i}: &a{i} {{{merge}: [*a{i - 1}, *a{i - 1}], k{i}: 1}}")
        parsed = _survives(pnpm_lock.parse, "\n".join(bomb).encode())  # how fast: bench/bench_parsers.py
        assert (parsed is None) == (merge != "<<")
    # one big dependencies map shared (by alias) by many packages: the work is capped
    deps = ", ".join(f"d{i}: 1.0.0" for i in range(3000))
    lines = ["lockfileVersion: '5.4'", "packages:", f"  /x/1.0.0: &p {{dependencies: {{{deps}}}, dev: false}}"]
    lines += [f"  /p{i}/1.0.0: *p" for i in range(3000)]
    parsed = _survives(pnpm_lock.parse, "\n".join(lines).encode())
    assert parsed is not None and len(parsed.packages) == 3001
    assert any("too large" in w for w in parsed.warnings)


def _mutations(value, rng, count):
    """Copies of a JSON-like value with one random subtree replaced by a wrong type."""
    junk = [None, 0, -1, 1.5, True, "", "x@", [], {}, [[]], {"": None}, "\x1b[0m"]
    for _ in range(count):
        copy = json.loads(json.dumps(value))
        node, path = copy, []
        while isinstance(node, (dict, list)) and node and rng.random() < 0.8:
            key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
            path.append((node, key))
            node = node[key]
        if path:
            parent, key = path[-1]
            parent[key] = rng.choice(junk)
        yield copy


@pytest.mark.parametrize("fmt", ["npm", "pnpm", "bun"])
def test_structural_fuzz(fmt):
    import random

    import yaml

    rng = random.Random(1234)
    for rel in SAMPLES[fmt]:
        raw = (FIXTURES / rel).read_bytes()
        if fmt == "pnpm":
            base = yaml.safe_load(raw)
            dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
            dump = lambda v: yaml.dump(v, Dumper=dumper).encode()  # noqa: E731
        else:
            base = json.loads(bun_lock._strip_jsonc(raw.decode()) if fmt == "bun" else raw)
            dump = lambda v: json.dumps(v).encode()  # noqa: E731
        for mutated in _mutations(base, rng, 100):
            _survives(ALL[fmt], dump(mutated), internal_ok=False)


@pytest.mark.parametrize("fmt", sorted(ALL))
def test_byte_fuzz(fmt):
    import random

    rng = random.Random(99)
    for rel in SAMPLES[fmt]:
        raw = bytearray((FIXTURES / rel).read_bytes())
        for _ in range(150):
            data = bytearray(raw)
            for _ in range(rng.randint(1, 8)):
                pos = rng.randrange(len(data))
                op = rng.random()
                if op < 0.4:
                    data[pos] = rng.randrange(256)
                elif op < 0.7:
                    del data[pos:pos + rng.randint(1, 40)]
                else:
                    data[pos:pos] = rng.choice([b"{", b"[", b'"', b":", b"\n", b"  ", b"- ", b"&a ", b"*a", b"\xff"])
            _survives(ALL[fmt], bytes(data))


def test_package_lock_of_430_packages():
    # how fast: bench/bench_parsers.py (against json.loads of the same bytes), never a timed test
    names = [f"pkg-{i}" if i % 5 else f"@scope{i % 7}/pkg-{i}" for i in range(430)]
    packages = {"": {"name": "root", "version": "1.0.0", "dependencies": {n: "^1.0.0" for n in names[:30]}}}
    for i, n in enumerate(names):
        key = f"node_modules/{n}" if i % 9 else f"node_modules/{names[i - 1]}/node_modules/{n}"
        packages[key] = {
            "version": f"1.{i}.0", "resolved": f"https://registry.npmjs.org/{n}/-/{n.split('/')[-1]}-1.{i}.0.tgz",
            "integrity": "sha512-" + "A" * 86 + "==", "dev": i % 4 == 0, "license": "MIT",
            "dependencies": {names[(i * 7 + k) % 430]: "^1.0.0" for k in range(3)}, "engines": {"node": ">=12"}}
    data = json.dumps({"name": "root", "lockfileVersion": 3, "requires": True, "packages": packages}, indent=2).encode()
    parsed = npm_lock.parse(data, "package-lock.json")
    assert len(parsed.packages) == 430
    assert parsed.packages[0].line > 0
