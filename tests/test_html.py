"""The HTML report (pkgscan/report/html.py): escaping, the CSP, determinism, size, and a real browser.

Unit tests parse the page with the stdlib HTML parser; the browser tests load every sample report in
Debian's headless Chromium (skipped, saying why, when ``chromium`` is not on PATH), read the page's own
self-test outcome from the dumped DOM (``data-ok``, ``data-errors``, ``data-csp-violations``), check
that Chromium logged no console message (CSP violations and uncaught errors are logged there), and
keep a screenshot of each page in ``$PKGSCAN_TEST_ARTIFACTS`` or ``test-artifacts/html/``.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pkgscan.aws.results import SCHEMA, finalize, merge_inventories
from pkgscan.check import CheckOptions, check_path
from pkgscan.model import Artifact, Component, Inventory, Notice, Occurrence
from pkgscan.report import LIVE, SCAN, FormatError, Report, RenderOptions, from_path, get, names, render
from pkgscan.report import html as html_report
from pkgscan.vulns.model import Finding, ScanResult, Severity

from .conftest import ROOT, SAMPLES

HOSTILE_NAMES = ["<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "{{7*7}}",
                 "\"'><svg onload=alert(1)>", "a\u2028b\u2029c", "\u202eevil", "esc\x1b]0;pwned\x07"]


# ------------------------------------------------------------------------------ parsing helpers
class _Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[tuple[dict, str]] = []
        self.styles: list[str] = []
        self.text: list[str] = []
        self._in: tuple[str, dict] | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag in ("script", "style"):
            self._in, self._buf = (tag, a), []

    def handle_endtag(self, tag):
        if self._in and tag == self._in[0]:
            body = "".join(self._buf)
            (self.scripts.append((self._in[1], body)) if tag == "script" else self.styles.append(body))
            self._in = None

    def handle_data(self, data):
        (self._buf if self._in else self.text).append(data)


def parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    p.close()
    return p


def _b64sha(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


def check_page(page: str) -> tuple[_Page, dict]:
    """Structure every report must have: one static script, one JSON data block, one stylesheet, a CSP
    naming exactly their hashes, no inline event handler or style attribute, links only to http(s)."""
    p = parse(page)
    executable = [(a, body) for a, body in p.scripts if a.get("type") != "application/json"]
    assert [body for _a, body in executable] == [html_report.JS]
    [data_block] = [body for a, body in p.scripts if a.get("type") == "application/json"]
    assert p.styles == [html_report.CSS]
    [csp] = [a["content"] for t, a in p.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert f"script-src 'sha256-{_b64sha(html_report.JS)}'" in csp
    assert f"style-src 'sha256-{_b64sha(html_report.CSS)}'" in csp
    assert csp.startswith("default-src 'none';") and "unsafe" not in csp
    for tag, attrs in p.tags:
        assert tag not in ("img", "iframe", "object", "embed", "base", "form", "link"), tag
        for k, v in attrs.items():
            assert not k.startswith("on") and k != "style", (tag, k, v)
            if k in ("href", "src", "action", "xlink:href"):
                assert (v or "").startswith(("https://", "http://", "#")), (tag, k, v)
    for ch in ("<", ">", "&", "\u2028", "\u2029"):
        assert ch not in data_block, ch
    return p, json.loads(data_block)


# ------------------------------------------------------------------------------ a hostile scan result
def _hostile_result() -> ScanResult:
    comps = []
    for i, name in enumerate(HOSTILE_NAMES):
        comps.append(Component(ecosystem="npm", name=name, version=f"1.0.{i}<b>", purl=f"pkg:npm/x{i}@1.0.{i}",
                               licenses=("<i>MIT</i>",), occurrences=(Occurrence(f"node_modules/{name}/package.json"),),
                               properties=(("pkgscan:note", "</script>"),)))
    refs = ("javascript:alert(1)", "https://example.com/advisory?a=1&b=2", "https://x.example/\"onmouseover=alert(1)",
            "data:text/html,<script>alert(1)</script>", "JaVaScRiPt:alert(1)")
    findings = tuple(
        Finding(component=c, id=f"GHSA-{i}</script>", ids=(f"GHSA-{i}</script>", "CVE-<img src=x>"), advisories=(),
                summary="</script><img src=x onerror=alert(1)> {{7*7}}", severity=Severity("critical" if i % 2 else "high", 9.8),
                fixed=("2.0.0<x>",), recommended="2.0.0<x>", references=refs, malicious=i == 3,
                labels=("<u>label</u>",))
        for i, c in enumerate(comps))
    inv = Inventory(artifact=Artifact(name="<script>alert(1)</script>.zip", path="x", kind="zip", layout="function"),
                    components=tuple(comps), notices=(Notice("unsafe-path", "../<img src=x>", "<b>bad</b>", True),))
    return ScanResult(inventory=inv, findings=findings, warnings=("<script>warning</script>",))


def test_hostile_scan_is_escaped_everywhere():
    page = render(Report(SCAN, scan=_hostile_result()), "html")
    p, data = check_page(page)
    text = "".join(p.text)
    assert "<img src=x onerror=alert(1)>" in text and "{{7*7}}" in text  # shown, as text
    assert "<script>alert(1)</script>.zip" in text
    assert "\x1b" not in page and "\u202e" not in page and "\\x1b]0;pwned\\x07" in text and "\\u202e" in text
    # the raw markup never appears unescaped outside the data block (which has no "<" at all)
    assert page.count("<script") == 2 and page.count("</script>") == 2
    assert "<img" not in page and "<svg onload" not in page
    # references: only vetted http(s) URLs are links; javascript:/data: and a URL with a quote are text
    hrefs = [a["href"] for t, a in p.tags if t == "a" and "href" in a]
    assert not any(h.lower().startswith(("javascript", "data")) for h in hrefs)
    refs = {u for f in data["findings"] for u in f[9]}
    assert "https://example.com/advisory?a=1&b=2" in refs
    assert not any(u.lower().startswith(("javascript", "data")) or '"' in u for u in refs)
    shown_as_text = {u for f in data["findings"] for u in f[11]}
    assert {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>"} <= shown_as_text
    # the data carries the names as they are (neutralized), for the drill-downs' textContent
    assert "<img src=x onerror=alert(1)>" in {pkg[1] for pkg in data["packages"]}
    assert "{{7*7}}" in {pkg[1] for pkg in data["packages"]}


def test_script_never_writes_html_from_data():
    js = html_report.JS
    assert "innerHTML" not in js and "outerHTML" not in js and "insertAdjacentHTML" not in js
    assert "document.write" not in js and not re.search(r"\beval\(|new Function\(|\bFunction\(", js)
    # links are made only from vetted URLs (checked again in the browser)
    assert "function safeUrl" in js and re.search(r"if \(!safeUrl\(url\)\)", js)


def test_same_input_same_bytes(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    r = Report(SCAN, scan=_hostile_result())
    a, b = render(r, "html"), render(r, "html")
    assert a == b and "Generated by pkgscan." in a
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert "on 2023-11-14 22:13 UTC" in render(r, "html")


def test_registered_for_scan_and_live_only():
    assert "html" in names(SCAN) and "html" in names(LIVE)
    assert from_path("out/report.html", SCAN) == "html" and from_path("r.HTM", LIVE) == "html"
    with pytest.raises(FormatError):
        get("html", "diff")
    with pytest.raises(FormatError):
        get("html", "sbom")


# ------------------------------------------------------------------------------ real samples
@pytest.fixture(scope="module")
def full_db(tmp_path_factory) -> Path:
    """Every committed advisory export (PyPI, npm, Maven, Go, NuGet, RubyGems samples)."""
    from pkgscan.vulns.store import import_path, writer

    d = tmp_path_factory.mktemp("html-db")
    with writer(d) as w:
        for z in sorted((SAMPLES / "advisories").glob("*.zip")):
            import_path(w, z)
    return d


@pytest.fixture(scope="module")
def sample_results(full_db) -> dict[str, ScanResult]:
    opts = CheckOptions(db_dir=str(full_db), max_db_age_days=None, discover_ignore_file=False)
    return {name: check_path(SAMPLES / f"{name}.zip", opts)
            for name in ("python-function", "node-function", "java-function", "python-layer-sitepackages")}


def test_sample_scans_show_every_package_and_finding(sample_results):
    for name, result in sample_results.items():
        page = render(Report(SCAN, scan=result), "html")
        p, data = check_page(page)
        assert len(data["packages"]) == len(result.inventory.components), name
        assert {f[0] for f in data["findings"]} == {f.id for f in result.findings}, name
        rows = page.count('data-vuln="')
        assert rows == len(result.findings), name  # one row per finding in the vulnerabilities table
    java = render(Report(SCAN, scan=sample_results["java-function"]), "html")
    assert "maven" in java and "Packages by ecosystem" in java


def _synthetic_account(results: dict[str, ScanResult], n: int) -> tuple[dict, ScanResult]:
    """``n`` functions in 4 regions built from the real sample scans: each function carries one sample's
    packages and findings (as pkgscan.aws.results writes them), the account scan result every copy."""
    from pkgscan.aws.results import _finding_summary

    samples = [results["python-function"], results["node-function"], results["java-function"]]
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "us-west-2"]
    runtimes = ["python3.12", "nodejs16.x", "java21"]
    functions, parts = [], []
    for i in range(n):
        s = samples[i % 3]
        region = regions[i % 4]
        name = f"fn-{i:05d}"
        functions.append({
            "arn": f"arn:aws:lambda:{region}:123456789012:function:{name}", "name": name, "version": "$LATEST",
            "region": region, "account": "123456789012", "status": "scanned", "reason": "", "runtime": runtimes[i % 3],
            "package_type": "Zip", "code_sha256": s.inventory.artifact.sha256, "code_size": s.inventory.artifact.size,
            "image_uri": "", "resolved_image_uri": "", "layers": [], "untrusted_layers": [],
            "runtime_verdict": {"status": "deprecated" if i % 3 == 1 else "supported", "message": "", "severity": "info"},
            "signing": {"verdict": "fail", "severity": "low", "class": "none configured",
                        "function": {"kind": "function", "resource_arn": "", "checks": [
                            {"name": "config-attached", "verdict": "fail", "severity": "low", "reason": "no code-signing config"}]},
                        "layers": []},
            "effective_runtime": {"notes": [], "shadowed": []},
            "findings": [_finding_summary(f) for f in s.findings],
        })
        parts.append((f"123456789012/{region}/{name}@$LATEST:/var/task/", None, s.inventory))
    doc = finalize([{"schema": SCHEMA, "accounts": [{"account": "123456789012", "name": "", "status": "scanned", "reason": ""}],
                     "regions": [{"account": "123456789012", "region": r, "status": "scanned", "reason": "",
                                  "functions": n // 4, "layers": 0} for r in regions],
                     "functions": functions, "layers": [], "warnings": []}])
    inv = merge_inventories(parts, Artifact(name="lambda:123456789012", path="", kind="lambda-account", layout="function"))
    by_purl = {c.purl: c for c in inv.components}
    findings = {(f.id, f.component.purl): dataclasses.replace(f, component=by_purl[f.component.purl])
                for s in samples for f in s.findings}
    return doc, ScanResult(inventory=inv, findings=tuple(findings[k] for k in sorted(findings)))


COVERAGE = {"status": "partial", "attributed_fraction": 0.25, "summary": "partial: 412 KB of JavaScript not attributed",
            "kinds": {"javascript": {"files": 3, "bytes": 600000, "attributed_files": 1, "attributed_bytes": 150000,
                                     "third_party_bytes": 550000, "unattributed_bytes": 412000}},
            "not_attributed": [{"path": "dist/<img src=x onerror=alert(1)>.js", "kind": "javascript", "bytes": 412000}]}


def _hostile_live(results) -> dict:
    """A results document with hostile function names, reasons, check reasons and a coverage path
    (the shape Coverage.to_dict() gives live results)."""
    doc, _scan = _synthetic_account(results, 3)
    f = doc["functions"][0]
    f["name"] = "</script><img src=x onerror=alert(1)>"
    f["reason"] = "{{7*7}} <b>bold</b>"
    f["signing"]["function"]["checks"][0]["reason"] = "<script>alert(1)</script>"
    f["effective_runtime"] = {"notes": ["<iframe src=javascript:alert(1)>"], "shadowed": [
        {"name": "<svg onload=alert(1)>", "version": "1", "location": "x", "source": "function", "shadowed_by": "y"}]}
    f["coverage"] = COVERAGE
    doc["functions"][1]["coverage"] = {"status": 5, "kinds": "junk"}  # malformed: shown as absent, not a crash
    return doc


def test_live_coverage_and_hostile_fields(sample_results):
    page = render(Report(LIVE, scan=None, live=_hostile_live(sample_results)), "html")
    p, data = check_page(page)
    f0, f1 = data["functions"][0], data["functions"][1]
    assert f0["coverage"]["status"] == "partial" and f0["coverage"]["not"][0][0] == "dist/<img src=x onerror=alert(1)>.js"
    assert f0["coverage"]["kinds"] == [["javascript", 3, 600000, 1, 150000, 550000, 412000]]
    assert f1["coverage"] is None or f1["coverage"]["kinds"] == []
    assert "partial coverage" in page and "</script><img src=x onerror=alert(1)>" in "".join(p.text)


def test_2000_functions_render_within_bounds(sample_results):
    doc, scan = _synthetic_account(sample_results, 2000)
    t0 = time.perf_counter()
    page = render(Report(LIVE, scan=scan, live=doc), "html")
    elapsed = time.perf_counter() - t0
    size = len(page.encode())
    print(f"\n2000 functions: {elapsed:.2f} s, {size / 1e6:.1f} MB")
    p, data = check_page(page)
    assert len(data["functions"]) == 2000 and page.count('data-fn="') == 2000
    assert size < 40_000_000
    # the package view: which functions ship a package (python-function's requests)
    [req] = [i for i, pkg in enumerate(data["packages"]) if pkg[1] == "requests"]
    assert len(data["packages"][req][6]) == len(range(0, 2000, 3))


# ------------------------------------------------------------------------------ the browser
CHROMIUM = shutil.which("chromium")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium): "
                                                              "the browser tests need a real headless browser")


@pytest.fixture(scope="module")
def artifacts() -> Path:
    d = Path(os.environ.get("PKGSCAN_TEST_ARTIFACTS") or ROOT / "test-artifacts") / "html"
    d.mkdir(parents=True, exist_ok=True)
    print(f"\nHTML report screenshots: {d}")
    return d


def chromium(url: str, screenshot: Path, *, timeout: float = 120) -> tuple[str, list[str]]:
    """Load ``url`` once: a screenshot, and (the DOM after load, the console lines Chromium logged)."""
    with tempfile.TemporaryDirectory() as profile:
        cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--window-size=1400,1000",
               f"--screenshot={screenshot}", "--dump-dom", url]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    console = [line for line in r.stderr.splitlines() if ":CONSOLE" in line]
    assert screenshot.stat().st_size > 5000, (screenshot, r.stderr[-2000:])
    return r.stdout, console


class _Dom(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.body: dict = {}
        self.tags: list[str] = []
        self.texts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "body":
            self.body = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.texts.append(data)


def load_in_browser(path: Path, artifacts: Path, stem: str, views: tuple[str, ...] = ()) -> _Dom:
    """Load the page with ``#selftest`` (every drill-down opened once; the screenshot shows the last one)
    and once per extra view (``#functions``, ``#open=fn:0``); fail on any console message, uncaught
    error or CSP violation.  Screenshots: <stem>.png (overview), <stem>-drilldown.png, <stem>-<view>.png."""
    url = path.resolve().as_uri()
    dom_text, console = chromium(url + "#selftest", artifacts / f"{stem}-drilldown.png")
    assert not console, console
    dom = _Dom()
    dom.feed(dom_text)
    assert dom.body.get("data-ok") == "1", (stem, dom.body, dom_text[-2000:])
    assert dom.body.get("data-errors") == "0" and dom.body.get("data-csp-violations") == "0", dom.body
    assert dom.body.get("data-selftest", "").endswith("; 0 foreign elements"), dom.body
    for view in ("", *views):
        name = re.sub(r"[^a-z0-9]+", "-", view.lower()).strip("-")
        text, console = chromium(url + view, artifacts / f"{stem}{'-' + name if name else ''}.png")
        assert not console, console
        other = _Dom()
        other.feed(text)
        assert other.body.get("data-ok") == "1" and other.body.get("data-errors") == "0", (view, other.body)
        assert other.body.get("data-csp-violations") == "0", (view, other.body)
    return dom


@pytest.fixture(scope="module")
def rendered(sample_results, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("html-reports")
    for name, result in sample_results.items():
        (d / f"{name}.html").write_text(render(Report(SCAN, scan=result), "html"))
    return d


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("name", ["python-function", "node-function", "java-function", "python-layer-sitepackages"])
def test_sample_reports_render_in_chromium(name, rendered, artifacts):
    dom = load_in_browser(rendered / f"{name}.html", artifacts, name, ("#vulns",))
    assert "img" not in dom.tags


@needs_chromium
@pytest.mark.slow
def test_hostile_names_render_as_text_in_chromium(tmp_path, artifacts, full_db, sample_results):
    """The hostile corpus's "escapes" zip (HTML and terminal escapes in names, versions, licenses, paths),
    scanned by the CLI; and the synthetic hostile result: in the DOM after every drill-down was opened,
    the names are text and no element they spell exists."""
    from .hostile.make_corpus import HTML_NAME, _escapes

    _escapes(tmp_path)
    out = tmp_path / "escapes.html"
    r = subprocess.run([sys.executable, "-m", "pkgscan", "scan", str(tmp_path / "escapes.zip"), "--db", str(full_db), "-q",
                        "-o", str(out)], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    dom = load_in_browser(out, artifacts, "hostile-escapes", ("#packages",))
    text = "".join(dom.texts)
    assert HTML_NAME in text and "esc\\x1b]0;pwned\\x07" in text
    assert "img" not in dom.tags
    synthetic = tmp_path / "synthetic.html"
    synthetic.write_text(render(Report(SCAN, scan=_hostile_result()), "html"))
    dom = load_in_browser(synthetic, artifacts, "hostile-synthetic")
    live = tmp_path / "hostile-live.html"
    live.write_text(render(Report(LIVE, scan=None, live=_hostile_live(sample_results)), "html"))
    live_dom = load_in_browser(live, artifacts, "hostile-live", ("#functions", "#open=fn:0"))
    assert "img" not in live_dom.tags
    text = "".join(dom.texts)
    for name in ("<img src=x onerror=alert(1)>", "</script><script>alert(1)</script>", "{{7*7}}"):
        assert name in text, name
    assert not {"img", "svg", "iframe"} & set(dom.tags[dom.tags.index("aside"):]), "markup from data in the drill-down"


@needs_chromium
@pytest.mark.slow
def test_account_report_renders_in_chromium(aws_account, full_db, tmp_path, artifacts):
    """A live ``pkgscan account`` scan of the emulated account (200 functions, signing cases, deprecated
    runtimes, a denied region), written with -o report.html."""
    from .aws_emulator import arm_faults

    emu, manifest = aws_account
    arm_faults(emu, manifest)
    emu.log.clear()
    env = {**os.environ, **emu.env(), "SOURCE_DATE_EPOCH": "1700000000", "PKGSCAN_DB_DIR": str(full_db),
           "PKGSCAN_CACHE_DIR": str(tmp_path / "cache")}
    out = tmp_path / "account.html"
    r = subprocess.run([sys.executable, "-m", "pkgscan", "account", "--regions", ",".join(manifest.regions), "-q",
                        "-o", str(out)], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode in (0, 1, 3), r.stderr  # 3: a region was denied (the scenario's)
    page = out.read_text()
    _p, data = check_page(page)
    assert len(data["functions"]) == page.count('data-fn="') > 100
    assert "access denied" in page and "Functions by signing verdict" in page
    signing = {f["signing"]["verdict"] for f in data["functions"]}
    assert {"pass", "fail"} <= signing
    # a drill-down with layers, runtime notes and signing checks
    rich = next(i for i, f in enumerate(data["functions"]) if f["layers"] and f["eff"] and f["eff"]["notes"]
                and f["signing"]["reports"])
    dom = load_in_browser(out, artifacts, "account", ("#functions", f"#open=fn:{rich}", "#packages"))
    # "which functions ship lodash 4.17.15": the package view filtered, and the package's drill-down
    [lodash] = [i for i, p in enumerate(data["packages"]) if p[3] == "pkg:npm/lodash@4.17.15"]
    # two sources in the page agree: the functions' own findings (the results document) and the
    # package's places (the account's scan result)
    shipping = {i for i, f in enumerate(data["functions"]) if any(data["findings"][x[0]][8] == lodash for x in f["findings"])}
    assert shipping and {data["places"][o[0]][1] for o in data["packages"][lodash][6]} == shipping
    found, console = chromium(out.as_uri() + "#find=lodash%204.17.15", artifacts / "account-find-lodash.png")
    assert not console, console
    table = re.search(r'<table class="data" id="pkg-table">.*?</table>', found, re.S).group(0)
    visible = [row for row in re.findall(r"<tr( [^>]*)?>", table)[1:] if 'class="hide"' not in row]
    assert len(visible) == 1 and 'data-eco="npm"' in visible[0], visible
    opened, console = chromium(out.as_uri() + f"#open=pkg:{lodash}", artifacts / "account-lodash-4.17.15.png")
    assert not console and f"Shipped by ({len(shipping)})" in opened
    assert dom.body.get("data-selftest", "").startswith(str(min(300, len(data["functions"])) + min(300, len(data["layers"]))
                                                            + min(300, len(data["findings"]))
                                                            + min(300, len(data["packages"]))))


@needs_chromium
@pytest.mark.slow
def test_lambda_and_layer_reports_render_in_chromium(aws_small_account, full_db, tmp_path, artifacts):
    """``pkgscan lambda`` (one function with its layer) and ``pkgscan layer`` (one layer version) with -o x.html."""
    emu = aws_small_account
    env = {**os.environ, **emu.env(), "PKGSCAN_DB_DIR": str(full_db), "PKGSCAN_CACHE_DIR": str(tmp_path / "cache")}
    layer_arn = emu.client("lambda", "us-east-1").list_layer_versions(LayerName="shared")["LayerVersions"][0]["LayerVersionArn"]
    for stem, args in (("lambda-fn-py", ["lambda", "fn-py", "--region", "us-east-1"]),
                       ("layer-shared", ["layer", layer_arn, "--region", "us-east-1"])):
        out = tmp_path / f"{stem}.html"
        r = subprocess.run([sys.executable, "-m", "pkgscan", *args, "-q", "-o", str(out)], env=env, capture_output=True,
                           text=True, cwd=tmp_path)
        assert r.returncode in (0, 1), r.stderr
        _p, data = check_page(out.read_text())
        assert data["kind"] == "live" and data["packages"], stem
        if stem.startswith("lambda"):
            assert [f["name"] for f in data["functions"]] == ["fn-py"] and data["functions"][0]["layers"] == [layer_arn]
        else:
            assert [x["arn"] for x in data["layers"]] == [layer_arn] and not data["functions"]
        load_in_browser(out, artifacts, stem, ("#open=fn:0",) if stem.startswith("lambda") else ("#open=layer:0",))


@needs_chromium
def test_big_tables_are_listed_500_rows_at_a_time(sample_results, tmp_path, artifacts):
    """700 functions: the functions table lays out the first 500 rows, says so, and offers the rest."""
    doc, scan = _synthetic_account(sample_results, 700)
    out = tmp_path / "big.html"
    out.write_text(render(Report(LIVE, scan=scan, live=doc), "html"))
    found, console = chromium(out.as_uri() + "#functions", artifacts / "big-functions.png")
    assert not console, console
    table = re.search(r'<table class="data" id="fn-table">.*?</table>', found, re.S).group(0)
    rows = re.findall(r"<tr( [^>]*)?>", table)[1:]
    assert len(rows) == 700 and sum('class="hide"' not in r for r in rows) == 500
    assert "700 of 700 shown (the first 500 listed)" in found
    assert '<button class="more" type="button">Show 200 more (200 not shown)</button>' in found
