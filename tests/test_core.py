"""The one core: the ecosystem registry, the report-format registry, the Checker, the shared CLI
conventions, table layout and drift between live results."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from rich.text import Text

from pkgscan import ecosystems, report
from pkgscan.check import Checker, CheckOptions
from pkgscan.cli import main
from pkgscan.diff import fleet
from pkgscan.model import Artifact, Component, Inventory
from pkgscan.report import layout
from pkgscan.scan import scan_path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"


# ------------------------------------------------------------------------------ ecosystems
def test_every_ecosystem_answers_every_question():
    for eco in ecosystems.all_ecosystems():
        assert ecosystems.get(eco.key) is eco and ecosystems.lookup(eco.purl_type) is eco
        assert eco.make_purl("x", "1.0").startswith(f"pkg:{eco.purl_type}/")
        assert isinstance(eco.sort_key("1.0"), tuple) and eco.same_version("1.0", "1.0")
        assert eco.sort_key("1.0") < eco.sort_key("2.0"), eco.key
        for weird in ("", "not a version", "\x00", "9" * 5000):
            eco.sort_key(weird)  # total: never raises
        if eco.osv:
            assert ecosystems.by_osv(eco.osv) is eco


def test_unknown_ecosystems_fail_loudly():
    with pytest.raises(ecosystems.UnknownEcosystem):
        ecosystems.get("cargo")
    from pkgscan.inventory.assemble import make_purl

    with pytest.raises(ecosystems.UnknownEcosystem):
        make_purl("hex", "phoenix", "1.0")  # never silently a pypi purl
    assert ecosystems.by_osv("Debian:11") is None


def test_names_and_purls_per_ecosystem():
    assert ecosystems.get("pypi").normalize("PyYAML") == "pyyaml"
    assert ecosystems.get("nuget").normalize("Newtonsoft.Json") == "newtonsoft.json"
    assert ecosystems.get("npm").normalize("Axios") == "Axios"  # npm names are case-sensitive
    assert ecosystems.get("maven").make_purl("org.apache.logging.log4j:log4j-core", "2.14.1") == \
        "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
    assert ecosystems.get("golang").make_purl("golang.org/x/net", "v0.7.0") == "pkg:golang/golang.org/x/net@v0.7.0"
    assert ecosystems.get("golang").osv_version("v0.7.0") == "0.7.0"
    assert ecosystems.get("golang").osv_version("go1.21.3") == "1.21.3"
    assert ecosystems.get("pypi").same_version("2018.04.16", "2018.4.16")
    assert not ecosystems.get("npm").same_version("1.0.0", "1.0")


# ------------------------------------------------------------------------------ formats
def test_every_format_is_registered_for_what_it_can_show():
    assert "html" not in report.names(report.DIFF)
    assert set(report.names(report.SCAN)) >= {"table", "json", "sarif", "markdown", "cyclonedx-json", "cyclonedx-xml"}
    assert report.names(report.SCAN) == report.names(report.LIVE)  # every scan format shows live results
    assert set(report.names(report.SBOM)) >= {"cyclonedx-json", "cyclonedx-xml", "spdx-json", "table"}
    with pytest.raises(report.FormatError):
        report.get("sarif", report.DIFF)


@pytest.mark.parametrize("path,kind,expected", [
    ("results.sarif", report.SCAN, "sarif"), ("x.sarif.json", report.SCAN, "sarif"),
    ("report.json", report.SCAN, "json"), ("bom.cdx.json", report.SCAN, "cyclonedx-json"),
    ("out.md", report.LIVE, "markdown"), ("fn.json", report.SBOM, "cyclonedx-json"),
    ("fn.spdx.json", report.SBOM, "spdx-json"), ("fn.xml", report.SBOM, "cyclonedx-xml"),
    ("noext", report.SCAN, None),
])
def test_format_from_the_output_file_name(path, kind, expected):
    assert report.from_path(path, kind) == expected


def test_an_output_name_that_names_no_format_is_refused():
    with pytest.raises(report.FormatError):
        report.from_path("results.foo", report.SCAN)
    with pytest.raises(report.FormatError):
        report.from_path("diff.sarif", report.DIFF)


# ------------------------------------------------------------------------------ the CLI
@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = tmp_path_factory.mktemp("db")
    zips = sorted(str(p) for p in (SAMPLES / "advisories").glob("*.zip"))
    r = CliRunner().invoke(main, ["db", "import", *zips, "--db", str(d)])
    assert r.exit_code == 0, r.output
    return d


def _run(args):
    return CliRunner().invoke(main, args)


def test_sarif_output_named_by_its_file_and_a_failed_gate_says_why(db, tmp_path):
    out = tmp_path / "results.sarif"
    r = _run(["scan", str(SAMPLES / "python-function.zip"), "--db", str(db), "-o", str(out), "--fail-on", "HIGH", "-q"])
    assert r.exit_code == 1
    assert json.loads(out.read_text())["version"] == "2.1.0"  # SARIF, not the json report
    assert "2 findings at or above --fail-on high: PYSEC-2023-192 (high) in urllib3 1.23" in r.stderr


def test_an_unwritable_output_fails_before_the_scan(db, tmp_path):
    r = _run(["scan", str(SAMPLES / "python-function.zip"), "--db", str(db), "-o", str(tmp_path / "no" / "r.json")])
    assert r.exit_code == 2 and "is not a directory" in r.stderr and "warning" not in r.stderr


def test_unknown_output_ending_is_a_usage_error(db, tmp_path):
    r = _run(["scan", str(SAMPLES / "python-function.zip"), "--db", str(db), "-o", str(tmp_path / "r.foo")])
    assert r.exit_code == 2 and "cannot tell the report format" in r.stderr
    assert not (tmp_path / "r.foo").exists()


def test_bare_pkgscan_prints_its_usage_on_several_lines():
    p = subprocess.run([sys.executable, "-m", "pkgscan"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 2
    assert p.stderr.startswith("Usage:") and p.stderr.count("\n") > 10 and "scan" in p.stderr


def test_every_report_command_has_format_and_output():
    for cmd in ("sbom", "scan", "diff", "lambda", "layer", "account", "verify"):
        r = _run([cmd, "--help"])
        assert "-f, --format" in r.output and "-o, --output" in r.output, cmd


def test_live_commands_take_the_same_check_options_as_scan():
    scan_opts = {line.split()[0] for line in _run(["scan", "--help"]).output.splitlines()
                 if line.strip().startswith("--") and line.split()[0] in
                 ("--db", "--osv-api", "--source", "--pypi-url", "--fail-on", "--ignore-unfixed", "--ignore-file",
                  "--vex", "--include-withdrawn", "--max-db-age")}
    assert len(scan_opts) == 10
    for cmd in ("lambda", "layer", "account"):
        help_text = _run([cmd, "--help"]).output
        assert all(o in help_text for o in scan_opts), cmd


def test_package_list_without_a_database(tmp_path):
    r = _run(["scan", str(SAMPLES / "java-function.zip"), "--no-vulns", "-f", "table", "--db", str(tmp_path / "none")])
    assert r.exit_code == 0, r.stderr
    assert "org.apache.logging.log4j:log4j-core" in r.output and "2.14.1" in r.output


# ------------------------------------------------------------------------------ the Checker
def test_checker_warns_per_ecosystem_scanned(db):
    checker = Checker(CheckOptions(db_dir=str(db), discover_ignore_file=False, max_db_age_days=7))
    inv = scan_path(SAMPLES / "python-function.zip")
    warnings = checker.warnings([inv])
    assert any(w.startswith("the PyPI advisories in the database are") for w in warnings)
    assert not any("npm" in w for w in warnings)  # not scanned here: not warned about
    rpm = Inventory(Artifact("img", "", "image", "function"),
                    (Component("rpm", "openssl", "1:3.0.8-1.amzn2023", "pkg:rpm/amazon/openssl@1:3.0.8-1.amzn2023"),))
    assert any("OSV publishes no advisories for Amazon Linux OS packages (rpm): 1 were inventoried" in w
               for w in checker.warnings([rpm]))
    assert checker.match(rpm) == ()  # inventoried, never matched as another ecosystem


def test_checker_finds_what_scan_finds(db):
    result = Checker(CheckOptions(db_dir=str(db), discover_ignore_file=False)).check(
        scan_path(SAMPLES / "java-function.zip"))
    assert "GHSA-jfh8-c2jp-5v3q" in {f.id for f in result.findings}  # Log4Shell


# ------------------------------------------------------------------------------ layout
def test_tables_never_split_identifiers_and_drop_columns_by_priority():
    cols = [layout.Col("Vulnerability", "id"), layout.Col("Severity", "id", 1), layout.Col("Location", "path", 2)]
    rows = [[Text("PYSEC-2023-192"), Text("HIGH 8.1"),
             Text("python/lib/python3.12/site-packages/urllib3-1.23.dist-info/METADATA")]]
    for width in (40, 60, 80):
        t, dropped = layout.table(cols, rows, width)
        from rich.console import Console

        console = Console(width=width, record=True, color_system=None)
        console.print(t)
        text = console.export_text()
        assert "PYSEC-2023-192" in text and "Vulnerability" in text, text
        assert max(len(line.rstrip()) for line in text.splitlines()) <= width
        if "Location" not in dropped:
            assert "METADATA" in text.replace("\n", "")  # a path wraps at '/', never inside a name
            for line in text.splitlines():
                assert "METADAT " not in line and line.rstrip().endswith(("/", "A", "Location", "─", "8.1", "192")) \
                    or not line.strip(), line


def test_piped_tables_are_not_wrapped(db):
    r = _run(["scan", str(SAMPLES / "python-function.zip"), "--db", str(db), "-f", "table", "-q"])
    assert "certifi-2018.4.16.dist-info/METADATA" in r.output  # one line, whatever COLUMNS says


# ------------------------------------------------------------------------------ drift
def _fleet_doc(functions):
    return {"schema": fleet.FLEET_SCHEMA, "accounts": [], "regions": [], "counts": {}, "layers": [],
            "warnings": [], "functions": functions}


def _fn(name, **kw):
    base = {"account": "111111111111", "region": "us-east-1", "name": name, "version": "$LATEST",
            "runtime": "python3.12", "code_sha256": "AAAA", "layers": [], "signing": {"verdict": "pass"},
            "findings": []}
    base.update(kw)
    return base


def _finding(vid, package, version, severity="high", ids=None):
    return {"id": vid, "ids": ids or [vid], "package": package, "version": version, "severity": severity,
            "suppressed": None, "malicious": False}


def test_drift_between_two_account_scans(tmp_path):
    old = _fleet_doc([
        _fn("a", runtime="python3.9", layers=["arn:L:1"], findings=[_finding("GHSA-x", "requests", "2.19.1",
                                                                            ids=["GHSA-x", "CVE-2023-1"])]),
        _fn("b"), _fn("c", signing={"verdict": "pass"})])
    new = _fleet_doc([
        _fn("a", runtime="python3.12", code_sha256="BBBB", layers=["arn:L:2"],
            findings=[_finding("CVE-2023-1", "requests", "2.20.0"), _finding("PYSEC-9", "urllib3", "1.23")]),
        _fn("c", signing={"verdict": "fail", "severity": "critical", "class": "profile revoked"}),
        _fn("d", findings=[_finding("GHSA-y", "idna", "2.7", "medium")])])
    d = fleet.diff_fleets(old, new)
    assert [k[2] for k in d.added] == ["d"] and [k[2] for k in d.removed] == ["b"]
    assert [(k[2], o, n) for k, o, n in d.runtime] == [("a", "python3.9", "python3.12")]
    assert [(k[2], o, n) for k, o, n in d.code] == [("a", "AAAA", "BBBB")]
    assert [(k[2], n) for k, _o, n in d.signing] == [("c", "fail (critical: profile revoked)")]
    assert [a for _k, a in d.layers_attached] == ["arn:L:2"] and [a for _k, a in d.layers_detached] == ["arn:L:1"]
    # the CVE alias of the old GHSA is the same vulnerability: not new, not fixed
    assert sorted(v.id for v in d.introduced) == ["GHSA-y", "PYSEC-9"] and d.fixed == ()
    assert fleet.gate_fleet(d, "high") == 1 and fleet.gate_fleet(d, "critical") == 0
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "summary.json").write_text(json.dumps(old))
    (tmp_path / "new.json").write_text(json.dumps(new))
    for fmt in ("table", "json", "markdown"):
        r = _run(["diff", str(tmp_path / "old"), str(tmp_path / "new.json"), "-f", fmt, "--fail-on-new", "high"])
        assert r.exit_code == 1, r.stderr
        assert "PYSEC-9" in r.output
    r = _run(["diff", str(tmp_path / "old"), str(SAMPLES / "python-function.zip")])
    assert r.exit_code == 2


# ------------------------------------------------------------------------------ AWS errors in one line
def _cli(args, env_extra, home):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PKGSCAN_"))}
    env.update({"HOME": str(home), "AWS_CONFIG_FILE": str(home / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(home / "none"),
                "AWS_EC2_METADATA_DISABLED": "true", **env_extra})
    return subprocess.run([sys.executable, "-m", "pkgscan", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=120)


def test_aws_errors_say_what_to_do(tmp_path):
    p = _cli(["lambda", "f", "--region", "us-east-1", "--endpoint-url", "https://lambda.nonexistent.invalid",
              "--no-vulns"], {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"}, tmp_path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1, p.stderr
    assert "cannot reach the AWS endpoint https://lambda.nonexistent.invalid" in p.stderr  # at once, not retried
    p = _cli(["lambda", "f", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "--no-vulns"], {}, tmp_path)
    assert p.returncode == 2 and "no AWS credentials found" in p.stderr and "--profile" in p.stderr
    p = _cli(["lambda", "f", "--profile", "nosuchprofile", "--no-vulns"], {}, tmp_path)
    assert p.returncode == 2 and "AWS profile 'nosuchprofile' not found" in p.stderr
