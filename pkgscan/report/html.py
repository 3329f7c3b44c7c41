"""One self-contained HTML report: counts and charts, sortable and filterable tables, drill-downs.

The file works offline (file://, a CI artifact, an S3 object): no network, no CDN, no fonts.  Every
package name, version, path, ARN, advisory text and reason comes from outside (an attacker may have
built the artifact or named the function), so:

- the tables and charts are rendered here, server-side: every field goes through
  :func:`~pkgscan.report.text.neutralize` (controls and bidi overrides made visible) and
  :func:`html.escape`, and every attribute is quoted;
- the data the drill-downs need is embedded once as JSON in ``<script type="application/json">``
  (a data block: never executed) with ``<``, ``>``, ``&`` and U+2028/U+2029 escaped, so no string
  can close the element;
- one static script (the same bytes for every report) sorts, filters and builds the drill-downs
  with ``textContent`` and ``createElement`` only, never ``innerHTML``; it links only to URLs this
  module vetted (:func:`~pkgscan.report.text.is_safe_url`: http(s) only, never ``javascript:``);
- one static stylesheet; no ``style`` attribute anywhere; charts are inline SVG built here;
- a Content-Security-Policy ``<meta>`` allows that one script and that one stylesheet by their
  SHA-256 and nothing else (``default-src 'none'``), so even an injection that slipped through
  would not run.

The output is deterministic: the same input gives the same bytes (a date is shown only when
``SOURCE_DATE_EPOCH`` or the report's timestamp gives one).

Big tables are laid out 500 rows at a time (in the current sort order, after the filter), with a
button for the next rows and a count that says how many are not listed: a 10,000-function account
opens in about half the time it took with every row laid out.

A drill-down can be linked: ``#open=fn:3`` (or ``pkg:``, ``vuln:``, ``layer:``) opens it on load;
``#find=lodash%204.17.15`` opens the package view filtered.

Self-test: opened with ``#selftest``, the script opens every drill-down once (up to 300 of each
kind) and writes the outcome into ``<body>``: ``data-ok="1"`` once everything is wired,
``data-errors`` (uncaught errors) and ``data-csp-violations``.  tests/test_html.py reads them from a
headless Chromium.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
from collections import Counter

from ..vulns.model import RATINGS, rating_rank
from .common import source_date
from .text import aliases, is_safe_url, neutralize, osv_url, rating, single_line

__all__ = ["render_report", "render_scan", "render_live", "CSP"]

_SEV_ORDER = {r: i for i, r in enumerate(RATINGS)}


def _t(s: object) -> str:
    """One line of text, safe in element content and in a quoted attribute."""
    return html.escape(single_line(s), quote=True)


def _n(s: object) -> str:
    """Neutralized text for the JSON data (the script shows it with textContent)."""
    return neutralize(s, multiline=False) if s is not None else ""


def _embed_json(obj) -> str:
    """JSON that cannot end its ``<script type="application/json">`` element or break a JS parser."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


# ----------------------------------------------------------------------------- static assets
CSS = """
:root{--bg:#fff;--fg:#1d2330;--mut:#5b6474;--line:#dde1e8;--soft:#f4f6f9;--acc:#2456a6;
--critical:#8e1020;--high:#d9480f;--medium:#e0a000;--low:#2f7ed8;--none:#8a94a6;--unknown:#6f5b8c;
--pass:#2b8a3e;--fail:#c92a2a;--warn:#e8590c}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header{padding:16px 24px 8px;border-bottom:1px solid var(--line)}
h1{font-size:20px;margin:0 0 4px}
h2{font-size:16px;margin:20px 0 8px}
h3{font-size:14px;margin:16px 0 6px}
.sub{color:var(--mut);margin:0}
nav{display:flex;gap:4px;padding:0 24px;border-bottom:1px solid var(--line);background:var(--soft);position:sticky;top:0;z-index:2}
nav a{padding:8px 12px;color:var(--fg);text-decoration:none;border-bottom:2px solid transparent}
nav a.on{border-bottom-color:var(--acc);font-weight:600}
main{padding:8px 24px 40px}
.js .tab{display:none}.js .tab.on{display:block}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{border:1px solid var(--line);border-radius:6px;padding:10px 14px;min-width:130px;background:var(--soft)}
.card b{display:block;font-size:22px}
.card span{color:var(--mut)}
.card.bad b{color:var(--fail)}
.charts{display:flex;flex-wrap:wrap;gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:8px 12px;width:440px;max-width:100%}
figcaption{font-weight:600;margin-bottom:4px}
svg{display:block;width:100%;height:auto}
svg text{font-size:12px;fill:var(--fg)}
svg .bg{fill:var(--soft)}
.alert{border-left:4px solid var(--fail);background:#fff4f4;padding:8px 12px;margin:8px 0}
.alert.warn{border-left-color:var(--warn);background:#fff8ef}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.controls input{padding:5px 8px;min-width:280px;border:1px solid var(--line);border-radius:4px}
.controls select{padding:4px;border:1px solid var(--line);border-radius:4px}
.count{color:var(--mut)}
table{border-collapse:collapse;width:100%;margin:4px 0 12px}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top;overflow-wrap:break-word}
th{background:var(--soft);position:sticky;top:37px;z-index:1;white-space:nowrap}
th button{all:unset;cursor:pointer;font-weight:600}
th[aria-sort=ascending] button::after{content:" \\25B2"}
th[aria-sort=descending] button::after{content:" \\25BC"}
tr.hide{display:none}
html.js table.data tbody:not(.ready) tr:nth-child(n+501){display:none}
button.more{margin:6px 0}
td.num,th.num{text-align:right}
button.open{all:unset;cursor:pointer;color:var(--acc);text-decoration:underline}
button.open:focus{outline:2px solid var(--acc)}
#detail td button.open[data-vuln]{white-space:nowrap}
.sev{display:inline-block;white-space:nowrap;padding:0 6px;border-radius:3px;color:#fff;font-size:12px;font-weight:600;text-transform:uppercase}
.s-critical{background:var(--critical)}.s-high{background:var(--high)}.s-medium{background:var(--medium);color:#222}
.s-low{background:var(--low)}.s-none{background:var(--none)}.s-unknown{background:var(--unknown)}
.s-malicious{background:#000;color:#fff}
svg .s-critical{fill:var(--critical)}svg .s-high{fill:var(--high)}svg .s-medium{fill:var(--medium)}
svg .s-low{fill:var(--low)}svg .s-none{fill:var(--none)}svg .s-unknown{fill:var(--unknown)}
svg .v-pass,svg .v-supported{fill:var(--pass)}svg .v-fail,svg .v-deprecated{fill:var(--fail)}
svg .v-unknown,svg .v-deprecating-soon{fill:var(--warn)}svg .v-other{fill:var(--none)}svg .v-eco{fill:var(--acc)}
.v{font-weight:600;white-space:nowrap}.v-pass,.v-supported,.v-scanned{color:var(--pass)}.v-fail,.v-deprecated,.v-failed{color:var(--fail)}
.v-unknown,.v-deprecating-soon,.v-skipped{color:var(--warn)}
.mut{color:var(--mut)}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
#detail{position:fixed;top:0;right:0;bottom:0;width:min(900px,92vw);background:var(--bg);border-left:1px solid var(--line);
box-shadow:-6px 0 18px rgba(0,0,0,.12);overflow:auto;padding:12px 20px 40px;z-index:5}
#detail[hidden]{display:none}
#detail-close{float:right;padding:4px 10px;cursor:pointer}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:4px 0}
dl.kv dt{color:var(--mut)}dl.kv dd{margin:0;overflow-wrap:anywhere}
ul.plain{margin:4px 0;padding-left:18px}
footer{color:var(--mut);padding:12px 24px;border-top:1px solid var(--line)}
"""

JS = r"""
(function () {
  "use strict";
  var violations = 0, errors = 0, D = null, invIndex = null, FILTERS = {}, showTab = null;
  function mark() {
    if (!document.body) return;
    document.body.setAttribute("data-csp-violations", String(violations));
    document.body.setAttribute("data-errors", String(errors));
  }
  document.addEventListener("securitypolicyviolation", function () { violations++; mark(); });
  window.addEventListener("error", function () { errors++; mark(); });
  document.documentElement.className = "js";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function safeUrl(u) { return typeof u === "string" && /^https?:\/\/[A-Za-z0-9\-._~:\/?#\[\]@!$&()*+,;=%]+$/.test(u); }
  function link(url, text) {
    if (!safeUrl(url)) return el("span", "mono", text);
    var a = el("a", "mono", text);
    a.href = url; a.rel = "noopener noreferrer"; a.target = "_blank";
    return a;
  }
  function sev(r, malicious) {
    if (malicious) return el("span", "sev s-malicious", "malicious");
    var k = ["critical", "high", "medium", "low", "none", "unknown"].indexOf(r) >= 0 ? r : "unknown";
    return el("span", "sev s-" + k, k);
  }
  function table(parent, heads, rows) {
    if (!rows.length) { add(parent, el("p", "mut", "None.")); return; }
    var t = add(parent, el("table")), tr = add(add(t, el("thead")), el("tr"));
    heads.forEach(function (h) { add(tr, el("th", null, h)); });
    var tb = add(t, el("tbody"));
    rows.forEach(function (r) {
      var row = add(tb, el("tr"));
      r.forEach(function (c) {
        var td = add(row, el("td"));
        if (c instanceof Node) td.appendChild(c); else td.textContent = c === null || c === undefined ? "" : String(c);
      });
    });
  }
  function kv(parent, pairs) {
    var dl = add(parent, el("dl", "kv"));
    pairs.forEach(function (p) {
      if (p[1] === null || p[1] === undefined || p[1] === "") return;
      add(dl, el("dt", null, p[0]));
      var dd = add(dl, el("dd"));
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = String(p[1]);
    });
  }
  function list(parent, items) {
    if (!items.length) { add(parent, el("p", "mut", "None.")); return; }
    var ul = add(parent, el("ul", "plain"));
    items.forEach(function (x) { var li = add(ul, el("li")); if (x instanceof Node) li.appendChild(x); else li.textContent = String(x); });
  }
  function opener(kind, i, text) {
    var b = el("button", "open", text);
    b.type = "button"; b.setAttribute("data-" + kind, String(i));
    return b;
  }

  // ---- tabs
  function tabs() {
    var links = document.querySelectorAll("nav a[data-tab]");
    function show(name) {
      var found = false;
      links.forEach(function (a) { var on = a.getAttribute("data-tab") === name; a.classList.toggle("on", on); found = found || on; });
      if (!found && links.length) return show(links[0].getAttribute("data-tab"));
      document.querySelectorAll("section.tab").forEach(function (s) { s.classList.toggle("on", s.id === name); });
    }
    links.forEach(function (a) {
      a.addEventListener("click", function (ev) { ev.preventDefault(); show(a.getAttribute("data-tab")); history.replaceState(null, "", "#" + a.getAttribute("data-tab")); });
    });
    show((location.hash || "").slice(1));
    window.scrollTo(0, 0);
    showTab = show;
  }

  // ---- sortable, filterable tables
  var PAGE = 500;  // rows shown at once: a 10,000-row table is laid out 500 rows at a time
  function tables() {
    document.querySelectorAll("table.data").forEach(function (t) {
      var tbody = t.tBodies[0], rows = Array.prototype.slice.call(tbody.rows), texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
      var limit = PAGE, apply = null;
      rows.forEach(function (r, i) { r._pkgscanText = texts[i]; });
      var ths = t.tHead.rows[0].cells, state = { col: -1, dir: 1 };
      Array.prototype.forEach.call(ths, function (th, col) {
        var b = th.querySelector("button");
        if (!b) return;
        b.addEventListener("click", function () {
          state.dir = state.col === col ? -state.dir : 1; state.col = col;
          Array.prototype.forEach.call(ths, function (h) { h.removeAttribute("aria-sort"); });
          th.setAttribute("aria-sort", state.dir > 0 ? "ascending" : "descending");
          var num = th.classList.contains("num");
          var keyed = rows.map(function (r, i) {
            var c = r.cells[col], v = c ? (c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent) : "";
            return { r: r, i: i, v: num ? parseFloat(v) || 0 : v.toLowerCase() };
          });
          keyed.sort(function (a, b) { return a.v < b.v ? -state.dir : a.v > b.v ? state.dir : a.i - b.i; });
          var frag = document.createDocumentFragment();
          keyed.forEach(function (k) { frag.appendChild(k.r); });
          tbody.appendChild(frag);
          if (apply) apply(true); else page();
        });
      });
      function page() {  // no filter box: the first PAGE rows in the current order, then a button
        var n = 0;
        Array.prototype.forEach.call(tbody.rows, function (r) { r.classList.toggle("hide", ++n > limit); });
        more(n);
        tbody.classList.add("ready");
      }
      var box = document.querySelector(".controls[data-table='" + t.id + "']"), moreButton = null;
      function more(matched) {
        if (matched <= limit) { if (moreButton) moreButton.hidden = true; return; }
        if (!moreButton) {
          moreButton = el("button", "more");
          moreButton.type = "button";
          moreButton.addEventListener("click", function () { limit += PAGE * 4; if (apply) apply(true); else page(); });
          t.parentNode.insertBefore(moreButton, t.nextSibling);
        }
        moreButton.hidden = false;
        moreButton.textContent = "Show " + Math.min(PAGE * 4, matched - limit) + " more (" + (matched - limit) + " not shown)";
      }
      if (!box) { page(); return; }
      var input = box.querySelector("input"), selects = box.querySelectorAll("select"), count = box.querySelector(".count");
      apply = function (keepLimit) {
        if (keepLimit !== true) limit = PAGE;
        var terms = (input ? input.value : "").toLowerCase().split(/\s+/).filter(Boolean), matched = 0;
        Array.prototype.forEach.call(tbody.rows, function (r) {  // in the order shown (sorted or not)
          var text = r._pkgscanText || "";
          var ok = terms.every(function (w) { return text.indexOf(w) >= 0; });
          selects.forEach(function (s) {
            if (ok && s.value) ok = (" " + (r.getAttribute("data-" + s.name) || "") + " ").indexOf(" " + s.value + " ") >= 0;
          });
          if (ok) matched++;
          r.classList.toggle("hide", !ok || matched > limit);
        });
        if (count) count.textContent = matched + " of " + rows.length + " shown" +
          (matched > limit ? " (the first " + limit + " listed)" : "");
        more(matched);
        tbody.classList.add("ready");
      };
      FILTERS[t.id] = function (q) { if (input) input.value = q; apply(); };
      if (input) input.addEventListener("input", apply);
      selects.forEach(function (s) { s.addEventListener("change", apply); });
      apply();
    });
  }

  // ---- drill-downs
  function S(i) { return D.strings[i]; }
  function pkgLabel(p) { return p[1] + " " + (p[2] || "(no version)"); }
  // function index -> [[package index, [location, ...]], ...] (from the packages' places)
  function inventoryOf(fi) {
    if (!invIndex) {
      invIndex = {};
      D.packages.forEach(function (p, pi) {
        (p[6] || []).forEach(function (o) {
          var place = D.places[o[0]], f = place[1];
          var key = f >= 0 ? "f" + f : "p" + o[0];
          (invIndex[key] = invIndex[key] || []).push([pi, o.slice(1).map(S)]);
        });
      });
    }
    return invIndex["f" + fi] || [];
  }
  function findingRows(items) {
    return items.map(function (it) {
      var f = D.findings[it[0]], p = D.packages[f[8]];
      return [sev(f[2], f[6]), f[3] === null ? "" : f[3], opener("vuln", it[0], f[0]), opener("pkg", f[8], p[1]), p[2],
              f[4] || (f[6] ? "remove it" : "no fix"), (it[1] || []).join(", "), it[2] || ""];
    });
  }
  function showFunction(i) {
    var f = D.functions[i], body = panel(f.name + (f.version ? " @ " + f.version : ""));
    var rv = f.rv || {};
    kv(body, [["ARN", f.arn], ["Account", f.account], ["Region", f.region], ["Status", f.status + (f.reason ? ": " + f.reason : "")],
              ["Runtime", f.runtime + (rv.status ? " (" + rv.status + ")" : "")], ["Runtime verdict", rv.message],
              ["Package type", f.package_type], ["Code SHA-256", f.code_sha256], ["Code size", f.code_size ? f.code_size + " bytes" : ""],
              ["Image", f.image_uri], ["Image (resolved)", f.resolved_image_uri]]);
    add(body, el("h3", null, "Findings (" + f.findings.length + ")"));
    table(body, ["Severity", "Score", "Vulnerability", "Package", "Version", "Fixed in", "Labels", "Suppressed"], findingRows(f.findings));
    var inv = inventoryOf(i);
    add(body, el("h3", null, "Packages (" + inv.length + ")"));
    table(body, ["Ecosystem", "Package", "Version", "Location"], inv.map(function (x) {
      var p = D.packages[x[0]]; return [p[0], opener("pkg", x[0], p[1]), p[2], x[1].join("\n")];
    }));
    add(body, el("h3", null, "Layers (" + f.layers.length + ")"));
    list(body, f.layers.map(function (a) {
      var li = D.layerIndex[a];
      return li === undefined ? el("span", "mono", a + " (not scanned here)") : opener("layer", li, a);
    }));
    add(body, el("h3", null, "Effective runtime view"));
    if (!f.eff) add(body, el("p", "mut", "Not computed (the function was not scanned)."));
    else {
      list(body, f.eff.notes.map(S));
      if (f.eff.shadowed.length) {
        add(body, el("p", null, "Copies the runtime never loads (shadowed by an earlier copy on its search path):"));
        table(body, ["Package", "Version", "Location", "Source", "Shadowed by"], f.eff.shadowed.map(function (s) { return s.map(S); }));
      }
    }
    add(body, el("h3", null, "Code signing"));
    var sg = f.signing;
    kv(body, [["Verdict", sg.verdict ? el("span", "v v-" + sg.verdict, sg.verdict) : "not checked"], ["Class", sg["class"]], ["Severity", sg.severity]]);
    sg.reports.forEach(function (r) {
      add(body, el("p", "mono", r[0] + ": " + r[1]));
      table(body, ["Check", "Verdict", "Severity", "Reason"], r[2].map(function (c) {
        return [c[0], el("span", "v v-" + c[1], c[1]), c[2], S(c[3])];
      }));
    });
    add(body, el("h3", null, "Coverage"));
    codeCoverage(body, f.coverage);
    coverage(body, inv.map(function (x) { return x[0]; }));
    return body;
  }
  function codeCoverage(body, c) {
    if (!c) { add(body, el("p", "mut", "No code coverage figures for this function.")); return; }
    kv(body, [["Code coverage", el("span", "v v-" + (c.status === "partial" ? "fail" : "pass"), c.status)], ["Summary", c.summary]]);
    table(body, ["Kind", "Files", "Bytes", "Attributed files", "Attributed bytes", "Third-party-looking bytes", "Not attributed bytes"], c.kinds);
    if (c.not.length) {
      add(body, el("p", null, "Largest third-party-looking code no identified package accounts for:"));
      table(body, ["Path", "Kind", "Bytes"], c.not);
    }
  }
  function coverage(body, pkgIdx) {
    var by = {}, unversioned = 0;
    pkgIdx.forEach(function (pi) { var p = D.packages[pi]; by[p[0]] = (by[p[0]] || 0) + 1; if (!p[2]) unversioned++; });
    var rows = Object.keys(by).sort().map(function (e) {
      var db = D.db ? D.db[e] : undefined, note;
      if (D.noOsv.indexOf(e) >= 0) note = "OSV publishes no advisories for this ecosystem: not checked";
      else if (D.db && db === undefined) note = "the advisory database has no " + e + " advisories: not checked";
      else if (db !== undefined) note = db + " advisories in the database";
      else note = "";
      return [e, by[e], note];
    });
    table(body, D.db ? ["Ecosystem", "Packages", "Advisories"] : ["Ecosystem", "Packages", "Note"], rows);
    if (unversioned) add(body, el("p", "mut", unversioned + " package(s) without a version cannot be matched against advisories."));
  }
  function showPackage(i) {
    var p = D.packages[i], body = panel(pkgLabel(p));
    kv(body, [["Ecosystem", p[0]], ["Name", p[1]], ["Version", p[2] || "(none)"], ["purl", p[3]], ["Licenses", (p[4] || []).join(", ")]]);
    var fs = [];
    D.findings.forEach(function (f, fi) { if (f[8] === i) fs.push([fi, [], f[10] || ""]); });
    add(body, el("h3", null, "Findings (" + fs.length + ")"));
    table(body, ["Severity", "Score", "Vulnerability", "Package", "Version", "Fixed in", "Labels", "Suppressed"], findingRows(fs));
    var occ = p[6] || [];
    add(body, el("h3", null, D.kind === "live" ? "Shipped by (" + occ.length + ")" : "Locations"));
    table(body, D.kind === "live" ? ["Function or layer", "Location"] : ["Location"], occ.map(function (o) {
      var place = D.places[o[0]], locs = o.slice(1).map(S).join("\n");
      if (D.kind !== "live") return [locs];
      return [place[1] >= 0 ? opener("fn", place[1], place[0]) : el("span", "mono", place[0]), locs];
    }));
    var ev = p[5] || {};
    if (ev.evidence && ev.evidence.length) {
      add(body, el("h3", null, "Evidence"));
      table(body, ["Technique", "Confidence", "Location", "Detail"], ev.evidence);
    }
    if (ev.properties && ev.properties.length) {
      add(body, el("h3", null, "Properties"));
      table(body, ["Name", "Value"], ev.properties);
    }
    return body;
  }
  function showVuln(i) {
    var f = D.findings[i], p = D.packages[f[8]], body = panel(f[0]);
    kv(body, [["Severity", sev(f[2], f[6])], ["Score", f[3]], ["Aliases", f[1].join(", ")], ["Summary", f[7]],
              ["Package", opener("pkg", f[8], pkgLabel(p))], ["Fixed in", f[4] || "no fix known"], ["Recommended upgrade", f[5]],
              ["Suppressed", f[10]], ["Advisory", link(f[9][0], f[9][0])]]);
    add(body, el("h3", null, "References"));
    list(body, f[9].slice(1).map(function (u) { return link(u, u); }).concat((f[11] || []).map(function (u) { return el("span", "mono", u + " (not a web link: shown as text)"); })));
    return body;
  }
  function showLayer(i) {
    var l = D.layers[i], body = panel(l.arn);
    kv(body, [["Status", l.status + (l.reason ? ": " + l.reason : "")], ["Region", l.region], ["Account", l.account],
              ["Compatible runtimes", l.runtimes.join(", ")], ["Code SHA-256", l.code_sha256]]);
    add(body, el("h3", null, "Findings (" + l.findings.length + ")"));
    table(body, ["Severity", "Score", "Vulnerability", "Package", "Version", "Fixed in", "Labels", "Suppressed"], findingRows(l.findings));
    var pl = -1;
    D.places.forEach(function (p, k) { if (p[1] < 0 && p[0] === l.arn) pl = k; });
    if (pl >= 0) {
      inventoryOf(-1);
      var inv = invIndex["p" + pl] || [];
      add(body, el("h3", null, "Packages (" + inv.length + ")"));
      table(body, ["Ecosystem", "Package", "Version", "Location"], inv.map(function (x) {
        var p = D.packages[x[0]]; return [p[0], opener("pkg", x[0], p[1]), p[2], x[1].join("\n")];
      }));
    }
    add(body, el("h3", null, "Used by"));
    list(body, l.usedBy.map(function (fi) { return opener("fn", fi, D.functions[fi].name + " @ " + D.functions[fi].version + " (" + D.functions[fi].region + ")"); }));
    return body;
  }
  function panel(title) {
    var d = document.getElementById("detail"), body = document.getElementById("detail-body");
    while (body.firstChild) body.removeChild(body.firstChild);
    add(body, el("h2", "mono", title));
    d.hidden = false;
    return body;
  }
  var OPEN = { fn: showFunction, pkg: showPackage, vuln: showVuln, layer: showLayer };
  function details() {
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("button.open") : null;
      if (!b) return;
      for (var k in OPEN) if (b.hasAttribute("data-" + k)) { OPEN[k](parseInt(b.getAttribute("data-" + k), 10)); document.getElementById("detail").scrollTop = 0; return; }
    });
    document.getElementById("detail-close").addEventListener("click", function () { document.getElementById("detail").hidden = true; });
    document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") document.getElementById("detail").hidden = true; });
  }
  function selftest() {
    var n = 0, lim = 300;
    (D.functions || []).slice(0, lim).forEach(function (_, i) { showFunction(i); n++; });
    (D.layers || []).slice(0, lim).forEach(function (_, i) { showLayer(i); n++; });
    D.findings.slice(0, lim).forEach(function (_, i) { showVuln(i); n++; });
    // the packages last, so the panel left open shows one (hostile names included) for the screenshot
    D.packages.slice(0, lim).forEach(function (_, i) { showPackage(i); n++; });
    var hostile = document.querySelectorAll("#detail-body img, #detail-body script, #detail-body iframe").length;
    document.body.setAttribute("data-selftest", n + " opened; " + hostile + " foreign elements");
  }
  function init() {
    D = JSON.parse(document.getElementById("data").textContent);
    tabs(); tables(); details();
    if (location.hash === "#selftest") selftest();
    var m = /^#open=(fn|pkg|vuln|layer):(\d+)$/.exec(location.hash);
    if (m) OPEN[m[1]](parseInt(m[2], 10));
    var q = /^#find=(.*)$/.exec(location.hash);
    if (q && FILTERS["pkg-table"]) { showTab("packages"); var v = q[1]; try { v = decodeURIComponent(v); } catch (e) { /* shown as typed */ } FILTERS["pkg-table"](v); }
    document.body.setAttribute("data-ok", "1");
    mark();
  }
  document.addEventListener("DOMContentLoaded", function () {
    try { init(); } catch (e) { errors++; mark(); throw e; }
  });
})();
"""


def _sha256_b64(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


CSP = (f"default-src 'none'; script-src 'sha256-{_sha256_b64(JS)}'; style-src 'sha256-{_sha256_b64(CSS)}'; "
       "img-src data:; base-uri 'none'; form-action 'none'")


# ----------------------------------------------------------------------------- building blocks
def _sev_badge(r: str, malicious: bool = False) -> str:
    if malicious:
        return '<span class="sev s-malicious">malicious</span>'
    r = r if r in _SEV_ORDER else "unknown"
    return f'<span class="sev s-{r}">{r}</span>'


def _chart(caption: str, items: list[tuple[str, int, str]]) -> str:
    """A horizontal bar chart in inline SVG: (label, value, CSS class) per bar."""
    items = [x for x in items if x[1]] or [("none", 0, "v-other")]
    top = max(v for _l, v, _c in items) or 1
    row, label_w, bar_w = 24, 150, 230
    h = row * len(items) + 6
    out = [f'<figure><figcaption>{_t(caption)}</figcaption>'
           f'<svg viewBox="0 0 440 {h}" role="img" aria-label="{_t(caption)}">']
    for i, (label, value, cls) in enumerate(items):
        y = 3 + i * row
        w = max(1, round(bar_w * value / top)) if value else 0
        shown = label if len(label) <= 22 else label[:21] + "\u2026"
        out.append(f'<text x="0" y="{y + 16}">{_t(shown)}<title>{_t(label)}</title></text>'
                   f'<rect class="bg" x="{label_w}" y="{y + 3}" width="{bar_w}" height="16"/>'
                   f'<rect class="{_t(cls)}" x="{label_w}" y="{y + 3}" width="{w}" height="16"/>'
                   f'<text x="{label_w + bar_w + 8}" y="{y + 16}">{value}</text>')
    out.append("</svg></figure>")
    return "".join(out)


def _cards(items: list[tuple[str, object, bool]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card{" bad" if bad else ""}"><b>{_t(v)}</b><span>{_t(k)}</span></div>' for k, v, bad in items) + "</div>"


def _controls(table_id: str, placeholder: str, selects: list[tuple[str, str, list[tuple[str, str]]]] = ()) -> str:
    out = [f'<div class="controls" data-table="{_t(table_id)}"><input type="search" placeholder="{_t(placeholder)}" '
           f'aria-label="{_t(placeholder)}">']
    for name, label, options in selects:
        out.append(f'<select name="{_t(name)}" aria-label="{_t(label)}"><option value="">{_t(label)}: all</option>')
        out += [f'<option value="{_t(v)}">{_t(text)}</option>' for v, text in options]
        out.append("</select>")
    out.append('<span class="count"></span></div>')
    return "".join(out)


def _thead(cols: list[tuple[str, bool]]) -> str:
    return "<thead><tr>" + "".join(
        f'<th{" class=num" if num else ""}><button type="button">{_t(c)}</button></th>' for c, num in cols) + "</tr></thead>"


def _worst(ratings) -> str:
    rs = [r for r in ratings if r]
    return min(rs, key=lambda r: _SEV_ORDER.get(r, len(RATINGS))) if rs else ""


def _finding_rating(r: object) -> str:
    r = str(r or "unknown").lower()
    return r if r in _SEV_ORDER else "unknown"


# ----------------------------------------------------------------------------- the data model
class _Data:
    """What the script needs, with repeated strings and packages stored once."""

    def __init__(self, kind: str, database=None):
        self.kind = kind
        self.strings: list[str] = []
        self._sidx: dict[str, int] = {}
        self.packages: list[list] = []
        self._pidx: dict[str, int] = {}
        self.findings: list[list] = []
        self._fidx: dict[tuple[str, str], int] = {}
        self.places: list[list] = []
        self._plidx: dict[str, int] = {}
        self.db = None
        if database is not None and database.ecosystems:
            from .. import ecosystems

            db: dict[str, int] = {}
            for name, count, _modified in database.ecosystems:
                eco = ecosystems.by_osv(name)
                if eco is not None:
                    db[eco.key] = db.get(eco.key, 0) + int(count)
            self.db = db

    def s(self, text: object) -> int:
        t = _n(text)
        i = self._sidx.get(t)
        if i is None:
            i = self._sidx[t] = len(self.strings)
            self.strings.append(t)
        return i

    def place(self, label: str, fn: int) -> int:
        i = self._plidx.get(label)
        if i is None:
            i = self._plidx[label] = len(self.places)
            self.places.append([_n(label), fn])
        return i

    def package(self, c, occurrences: list[list] | None = None) -> int:
        i = self._pidx.get(c.purl)
        if i is None:
            i = self._pidx[c.purl] = len(self.packages)
            extra = {}
            if c.evidence:
                extra["evidence"] = [[_n(e.technique), f"{e.confidence:.2f}", _n(e.location), _n(e.detail)] for e in c.evidence]
            if c.properties:
                extra["properties"] = [[_n(k), _n(v)] for k, v in c.properties]
            self.packages.append([_n(c.ecosystem), _n(c.name), _n(c.version), _n(c.purl), [_n(x) for x in c.licenses],
                                  extra, occurrences or []])
        return i

    def package_from_finding(self, x: dict) -> int:
        """A package the scan result does not list (no scan result given): from a finding entry."""
        i = self._pidx.get(x["purl"])
        if i is None:
            i = self._pidx[x["purl"]] = len(self.packages)
            self.packages.append([_n(x["ecosystem"]), _n(x["package"]), _n(x["version"]), _n(x["purl"]), [], {}, []])
        return i

    def finding(self, key: tuple[str, str], pkg: int, *, fid, ids, severity, score, fixed, recommended, malicious,
                summary="", references=(), suppressed="") -> int:
        i = self._fidx.get(key)
        if i is None:
            i = self._fidx[key] = len(self.findings)
            safe = [u for u in references if is_safe_url(u)]
            unsafe = [_n(u) for u in references if not is_safe_url(u)]
            self.findings.append([
                _n(fid), [_n(a) for a in sorted({x for x in ids if x and x != fid})], _finding_rating(severity),
                score if isinstance(score, (int, float)) and not isinstance(score, bool) else None,
                _n(", ".join(fixed)), _n(recommended) if recommended else "", bool(malicious), _n(summary), pkg,
                [osv_url(fid), *safe], _n(suppressed), unsafe])
        return i

    def add_scan_findings(self, scan) -> None:
        for f in sorted(scan.findings, key=lambda f: (not f.malicious, -rating_rank(rating(f)), f.component.name,
                                                      f.component.version, f.id)):
            pi = self.package(f.component)
            self.finding((f.id, f.component.purl), pi, fid=f.id, ids=f.ids, severity=rating(f), score=f.severity.score,
                         fixed=f.fixed, recommended=f.recommended, malicious=f.malicious, summary=f.summary,
                         references=f.references, suppressed=_suppressed_text(f.suppressed))

    def doc(self, **extra) -> dict:
        from .. import ecosystems

        return {"kind": self.kind, "strings": self.strings, "packages": self.packages, "findings": self.findings,
                "places": self.places, "db": self.db,
                "noOsv": sorted(e.key for e in ecosystems.all_ecosystems() if not e.osv), **extra}


_PARTIAL = ' <span class="v v-deprecating-soon">partial coverage</span>'


def _coverage(d) -> dict | None:
    """A Coverage.to_dict() (inventory code coverage) for the script; None when absent or malformed."""
    if d is not None and not isinstance(d, dict) and hasattr(d, "to_dict"):
        d = d.to_dict()
    if not isinstance(d, dict):
        return None
    try:
        num = lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) else 0  # noqa: E731
        kinds = [[_n(k), *(num(v.get(f)) for f in ("files", "bytes", "attributed_files", "attributed_bytes",
                                                   "third_party_bytes", "unattributed_bytes"))]
                 for k, v in sorted((d.get("kinds") or {}).items()) if isinstance(v, dict)]
        return {"status": _n(d.get("status")), "summary": _n(d.get("summary")), "kinds": kinds,
                "not": [[_n(x.get("path")), _n(x.get("kind")), num(x.get("bytes"))]
                        for x in d.get("not_attributed") or [] if isinstance(x, dict)]}
    except (AttributeError, TypeError):
        return None


def _coverage_html(c: dict | None) -> str:
    if c is None:
        return ""
    cls = "fail" if c["status"] == "partial" else "pass"
    summary = c["summary"].removeprefix(c["status"] + ": ")
    out = [f'<h3>Code coverage</h3><p><span class="v v-{cls}">{_t(c["status"])}</span> {_t(summary)}</p>']
    if c["kinds"]:
        out.append("<table><thead><tr><th>Kind</th><th class=num>Files</th><th class=num>Bytes</th>"
                   "<th class=num>Attributed files</th><th class=num>Attributed bytes</th>"
                   "<th class=num>Third-party-looking bytes</th><th class=num>Not attributed bytes</th></tr></thead><tbody>")
        out += ["<tr>" + f"<td>{_t(k[0])}</td>" + "".join(f'<td class="num">{_t(v)}</td>' for v in k[1:]) + "</tr>"
                for k in c["kinds"]]
        out.append("</tbody></table>")
    if c["not"]:
        out.append("<p>Largest third-party-looking code no identified package accounts for:</p><table><thead><tr>"
                   "<th>Path</th><th>Kind</th><th class=num>Bytes</th></tr></thead><tbody>")
        out += [f'<tr><td class="mono">{_t(p)}</td><td>{_t(k)}</td><td class="num">{_t(n)}</td></tr>' for p, k, n in c["not"]]
        out.append("</tbody></table>")
    return "".join(out)


def _suppressed_text(s) -> str:
    if s is None:
        return ""
    if isinstance(s, dict):
        kind, reason = s.get("kind", ""), s.get("reason", "")
    else:
        kind, reason = s.kind, s.reason
    return f"{kind}: {reason}" if reason else str(kind)


# ----------------------------------------------------------------------------- page
def _page(title: str, subtitle: str, tabs: list[tuple[str, str, str]], data: dict, footer: str) -> str:
    nav = "".join(f'<a href="#{tid}" data-tab="{tid}">{_t(label)}</a>' for tid, label, _body in tabs)
    sections = "".join(f'<section id="{tid}" class="tab"><h2>{_t(label)}</h2>{body}</section>' for tid, label, body in tabs)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{html.escape(CSP, quote=True)}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_t(title)}</title><style>{CSS}</style><script>{JS}</script></head>\n"
        f"<body><header><h1>{_t(title)}</h1><p class=\"sub\">{subtitle}</p></header>"
        f"<nav>{nav}</nav><main>{sections}</main>"
        '<aside id="detail" hidden><button type="button" id="detail-close">Close</button><div id="detail-body"></div></aside>'
        f"<footer>{footer}</footer>"
        f'<script type="application/json" id="data">{_embed_json(data)}</script>'
        "</body></html>\n")


def _footer(options) -> str:
    when = source_date(getattr(options, "timestamp", None))
    stamp = f" on {_t(when.strftime('%Y-%m-%d %H:%M UTC'))}" if when is not None else ""
    return f"Generated by pkgscan{stamp}. Self-contained: no network access; every name in it is shown as text."


def _vuln_table(data: _Data, counts_by_finding: dict[int, int] | None, where_label: str) -> str:
    rows = []
    for i, f in enumerate(data.findings):
        p = data.packages[f[8]]
        r = "malicious" if f[6] else f[2]
        status = "suppressed" if f[10] else "active"
        where = counts_by_finding.get(i, 0) if counts_by_finding is not None else sum(len(o) - 1 for o in p[6])
        rows.append(
            f'<tr data-sev="{_t(r)}" data-status="{status}">'
            f'<td data-v="{-1 if f[6] else _SEV_ORDER[f[2]]}">{_sev_badge(f[2], f[6])}</td>'
            f'<td class="num" data-v="{f[3] if f[3] is not None else -1}">{"" if f[3] is None else f"{f[3]:.1f}"}</td>'
            f'<td><button type="button" class="open mono" data-vuln="{i}">{_t(f[0])}</button>'
            f'<div class="mut mono">{_t(", ".join(f[1]))}</div></td>'
            f'<td><button type="button" class="open" data-pkg="{f[8]}">{_t(p[1])}</button></td>'
            f'<td class="mono">{_t(p[2])}</td><td class="mono">{_t(f[4] or ("remove it" if f[6] else "no fix"))}</td>'
            f'<td class="num">{where}</td><td>{_t(status)}</td></tr>')
    sev_opts = [(r, r) for r in ("malicious", *RATINGS)]
    return (_controls("vuln-table", "filter: id, package, version", [("sev", "Severity", sev_opts),
                      ("status", "Status", [("active", "active"), ("suppressed", "suppressed")])])
            + '<table class="data" id="vuln-table">'
            + _thead([("Severity", False), ("Score", True), ("Vulnerability", False), ("Package", False), ("Installed", False),
                      ("Fixed in", False), (where_label, True), ("Status", False)])
            + "<tbody>" + "".join(rows) + "</tbody></table>")


def _package_table(data: _Data, extra: dict[int, tuple[int, str]] | None, where_label: str) -> str:
    """extra: package index -> (findings, worst rating)."""
    by_pkg: dict[int, list[int]] = {}
    for i, f in enumerate(data.findings):
        if not f[10]:
            by_pkg.setdefault(f[8], []).append(i)
    rows = []
    order = sorted(range(len(data.packages)), key=lambda i: (data.packages[i][1].lower(), data.packages[i][2], data.packages[i][3]))
    ecos = sorted({p[0] for p in data.packages})
    for i in order:
        p = data.packages[i]
        fs = by_pkg.get(i, [])
        worst = _worst(data.findings[j][2] for j in fs)
        mal = any(data.findings[j][6] for j in fs)
        where = len(p[6]) if data.kind == "live" else sum(len(o) - 1 for o in p[6])
        sev_attr = "malicious" if mal else (worst or "clean")
        rows.append(
            f'<tr data-eco="{_t(p[0])}" data-sev="{_t(sev_attr)}"><td>{_t(p[0])}</td>'
            f'<td><button type="button" class="open" data-pkg="{i}">{_t(p[1])}</button></td>'
            f'<td class="mono">{_t(p[2])}</td><td class="mono">{_t(", ".join(p[4]))}</td>'
            f'<td class="num">{where}</td><td class="num">{len(fs)}</td>'
            f'<td data-v="{-1 if mal else _SEV_ORDER.get(worst, 9)}">{_sev_badge(worst, mal) if worst else ""}</td></tr>')
    return (_controls("pkg-table", "filter: e.g. lodash 4.17.15", [
                ("eco", "Ecosystem", [(e, e) for e in ecos]),
                ("sev", "Highest", [(r, r) for r in ("malicious", *RATINGS)] + [("clean", "no findings")])])
            + '<table class="data" id="pkg-table">'
            + _thead([("Ecosystem", False), ("Package", False), ("Version", False), ("Licenses", False), (where_label, True),
                      ("Findings", True), ("Highest", False)])
            + "<tbody>" + "".join(rows) + "</tbody></table>")


# ----------------------------------------------------------------------------- scan
def render_scan(result, options=None) -> str:
    inv = result.inventory
    data = _Data("scan", result.database)
    place = data.place(inv.artifact.name, -1)
    for c in inv.components:
        data.package(c, [[place, *(data.s(o.location) for o in c.occurrences)]])
    data.add_scan_findings(result)
    active = [f for f in data.findings if not f[10]]
    by_sev = Counter(f[2] for f in active)
    malicious = sorted({(data.packages[f[8]][1], data.packages[f[8]][2], f[0]) for f in active if f[6]})
    by_eco = Counter(p[0] for p in data.packages)
    art = inv.artifact
    alerts = "".join(f'<div class="alert"><b>Malicious package:</b> <span class="mono">{_t(n)} {_t(v)}</span> ({_t(i)}): '
                     "remove it and treat the environment as compromised.</div>" for n, v, i in malicious)
    suspicious = sum(1 for x in inv.notices if x.suspicious)
    if suspicious:
        alerts += f'<div class="alert warn">{suspicious} suspicious archive entr{"y" if suspicious == 1 else "ies"} (see Notices).</div>'
    alerts += "".join(f'<div class="alert warn">{_t(w)}</div>' for w in result.warnings)
    overview = (alerts + _cards([
        ("packages", len(data.packages), False),
        ("vulnerable packages", len({f[8] for f in active}), bool(active)),
        ("findings", len(active), bool(active)),
        ("critical or high", by_sev["critical"] + by_sev["high"], bool(by_sev["critical"] + by_sev["high"])),
        ("malicious", len(malicious), bool(malicious)),
        ("suppressed", len(data.findings) - len(active), False),
    ]) + '<div class="charts">'
        + _chart("Findings by severity", [(r, by_sev[r], f"s-{r}") for r in RATINGS])
        + _chart("Packages by ecosystem", [(e, n, "v-eco") for e, n in sorted(by_eco.items(), key=lambda kv: (-kv[1], kv[0]))])
        + "</div>" + _coverage_html(_coverage(getattr(inv, "coverage", None))) + _scan_facts(result))
    notices = inv.notices
    notice_rows = "".join(f'<tr data-sus="{"yes" if x.suspicious else "no"}"><td>{_t(x.code)}</td><td class="mono">{_t(x.path)}</td>'
                          f'<td>{_t(x.message)}</td><td>{"yes" if x.suspicious else ""}</td></tr>' for x in notices)
    notice_html = (_controls("notice-table", "filter notices", [("sus", "Suspicious", [("yes", "yes"), ("no", "no")])])
                   + '<table class="data" id="notice-table">'
                   + _thead([("Code", False), ("Path", False), ("Message", False), ("Suspicious", False)])
                   + f"<tbody>{notice_rows}</tbody></table>") if notices else '<p class="mut">None.</p>'
    tabs = [("overview", "Overview", overview),
            ("vulns", f"Vulnerabilities ({len(active)})", _vuln_table(data, None, "Locations")),
            ("packages", f"Packages ({len(data.packages)})", _package_table(data, None, "Locations")),
            ("notices", f"Notices ({len(notices)})", notice_html)]
    subtitle = (f"{_t(art.layout)} {_t(art.kind)}" + (f", SHA-256 <span class=\"mono\">{_t(art.sha256)}</span>" if art.sha256 else "")
                + f"; {len(data.packages)} packages, {len(active)} findings")
    return _page(f"pkgscan: {single_line(art.name)}", subtitle, tabs, data.doc(), _footer(options))


def _scan_facts(result) -> str:
    db = result.database
    if db is None:
        return ""
    rows = [("Advisory source", db.source)]
    if db.ecosystems:
        rows.append(("Ecosystems", ", ".join(f"{e} ({n} advisories)" for e, n, _m in db.ecosystems)))
    return '<h3>Advisory database</h3><dl class="kv">' + "".join(f"<dt>{_t(k)}</dt><dd>{_t(v)}</dd>" for k, v in rows) + "</dl>"


# ----------------------------------------------------------------------------- live (Lambda)
def render_live(doc: dict, scan=None, options=None) -> str:
    data = _Data("live", getattr(scan, "database", None))
    fns = doc.get("functions", [])
    layers = doc.get("layers", [])
    fn_key = {f"{f['account']}/{f['region']}/{f['name']}@{f['version']}:": i for i, f in enumerate(fns)}
    layer_key = {f"{lr['arn']}:": lr["arn"] for lr in layers}
    pkg_count: Counter = Counter()
    if scan is not None:
        for c in scan.inventory.components:
            by_place: dict[int, list[int]] = {}
            for o in c.occurrences:
                loc = o.location
                cut = loc.find(":/")
                key = loc[:cut + 1] if cut >= 0 else ""
                if key in fn_key:
                    pl = data.place(key[:-1], fn_key[key])
                elif key in layer_key:
                    pl = data.place(layer_key[key], -1)
                else:
                    pl, key = data.place("(elsewhere)", -1), ""
                by_place.setdefault(pl, []).append(data.s(loc[len(key):]))
            data.package(c, [[pl, *locs] for pl, locs in by_place.items()])
            for pl in by_place:
                fi = data.places[pl][1]
                if fi >= 0:
                    pkg_count[fi] += 1
        data.add_scan_findings(scan)
    layer_index = {lr["arn"]: i for i, lr in enumerate(layers)}
    used_by: dict[str, list[int]] = {}
    js_functions = []
    fn_rows = []
    for i, f in enumerate(fns):
        items = _live_findings(data, f.get("findings", []))
        active = [x for x, fx in zip(items, f.get("findings", [])) if not fx.get("suppressed")]
        worst = _worst(data.findings[x[0]][2] for x in active)
        mal = any(data.findings[x[0]][6] for x in active)
        for a in f.get("layers", []):
            used_by.setdefault(a, []).append(i)
        rv = f.get("runtime_verdict") or {}
        sg = f.get("signing") or {}
        verdict = sg.get("verdict") or ""
        sign_label = _signing_label(sg)
        eff = f.get("effective_runtime")
        js_functions.append({
            "arn": _n(f.get("arn")), "name": _n(f.get("name")), "version": _n(f.get("version")),
            "region": _n(f.get("region")), "account": _n(f.get("account")), "status": _n(f.get("status")),
            "reason": _n(f.get("reason")), "runtime": _n(f.get("runtime")), "package_type": _n(f.get("package_type")),
            "code_sha256": _n(f.get("code_sha256")), "code_size": f.get("code_size") if isinstance(f.get("code_size"), int) else 0,
            "image_uri": _n(f.get("image_uri")), "resolved_image_uri": _n(f.get("resolved_image_uri")),
            "layers": [_n(a) for a in f.get("layers", [])],
            "rv": {"status": _n(rv.get("status")), "message": _n(rv.get("message"))} if rv else None,
            "signing": {"verdict": _n(verdict), "class": _n(sg.get("class")), "severity": _n(sg.get("severity")),
                        "reports": [[_n(r.get("kind")), _n(r.get("resource_arn")),
                                     [[_n(c.get("name")), _n(c.get("verdict")), _n(c.get("severity")), data.s(c.get("reason"))]
                                      for c in r.get("checks", [])]]
                                    for r in [sg.get("function"), *sg.get("layers", [])] if isinstance(r, dict)]},
            "eff": None if not eff else {
                "notes": [data.s(x) for x in eff.get("notes", [])],
                "shadowed": [[data.s(s.get("name")), data.s(s.get("version")), data.s(s.get("location")),
                              data.s(s.get("source")), data.s(s.get("shadowed_by"))] for s in eff.get("shadowed", [])]},
            "findings": items,
            "coverage": _coverage(f.get("coverage")),
        })
        rt_status = rv.get("status", "")
        status = f.get("status", "")
        fn_rows.append(
            f'<tr data-sev="{_t("malicious" if mal else (worst or "clean"))}" data-runtime="{_t(f.get("runtime"))} {_t(rt_status)}" '
            f'data-signing="{_t(sign_label)}" data-status="{_t(status)}" data-region="{_t(f.get("region"))}">'
            f'<td><button type="button" class="open" data-fn="{i}">{_t(f.get("name"))}</button></td>'
            f'<td class="mono">{_t(f.get("version"))}</td><td>{_t(f.get("region"))}</td><td class="mono">{_t(f.get("account"))}</td>'
            f'<td>{_t(f.get("runtime"))} <span class="v v-{_t(rt_status)}">{_t(rt_status)}</span></td>'
            f'<td><span class="v v-{_t(sign_label.replace(" ", "-"))}">{_t(sign_label)}</span></td>'
            f'<td class="num">{pkg_count[i]}</td><td class="num">{len(active)}</td>'
            f'<td data-v="{-1 if mal else _SEV_ORDER.get(worst, 9)}">{_sev_badge(worst, mal) if worst else ""}</td>'
            f'<td><span class="v v-{_t(status)}">{_t(status)}</span>{(" " + _t(f.get("reason"))) if f.get("reason") else ""}'
            f'{_PARTIAL if (js_functions[-1]["coverage"] or {}).get("status") == "partial" else ""}</td></tr>')
    js_layers = []
    layer_rows = []
    for i, lr in enumerate(layers):
        items = _live_findings(data, lr.get("findings", []))
        active = [x for x, fx in zip(items, lr.get("findings", [])) if not fx.get("suppressed")]
        worst = _worst(data.findings[x[0]][2] for x in active)
        js_layers.append({"arn": _n(lr.get("arn")), "status": _n(lr.get("status")), "reason": _n(lr.get("reason")),
                          "region": _n(lr.get("region")), "account": _n(lr.get("account")),
                          "runtimes": [_n(x) for x in lr.get("compatible_runtimes", []) or []],
                          "code_sha256": _n(lr.get("code_sha256")), "findings": items,
                          "usedBy": used_by.get(lr.get("arn"), [])})
        layer_rows.append(
            f'<tr data-status="{_t(lr.get("status"))}"><td><button type="button" class="open mono" data-layer="{i}">{_t(lr.get("arn"))}</button></td>'
            f'<td>{_t(lr.get("region"))}</td><td>{_t(", ".join(lr.get("compatible_runtimes", []) or []))}</td>'
            f'<td class="num">{len(used_by.get(lr.get("arn"), []))}</td><td class="num">{len(active)}</td>'
            f'<td data-v="{_SEV_ORDER.get(worst, 9)}">{_sev_badge(worst) if worst else ""}</td>'
            f'<td><span class="v v-{_t(lr.get("status"))}">{_t(lr.get("status"))}</span> {_t(lr.get("reason"))}</td></tr>')

    # per finding: how many functions (or standalone layers) ship the affected package
    where = {i: len(data.packages[f[8]][6]) for i, f in enumerate(data.findings)}
    overview = _live_overview(doc, data, fns, js_functions)
    fn_table = (_controls("fn-table", "filter: name, region, runtime, account", [
        ("sev", "Highest", [(r, r) for r in ("malicious", *RATINGS)] + [("clean", "no findings")]),
        ("runtime", "Runtime", [(x, x) for x in sorted({f.get("runtime") or "" for f in fns} - {""})]
         + [("deprecated", "deprecated"), ("deprecating-soon", "deprecating soon")]),
        ("signing", "Signing", [(x, x) for x in sorted({_signing_label(f.get("signing") or {}) for f in fns})]),
        ("status", "Status", [(x, x) for x in sorted({f.get("status") or "" for f in fns})]),
        ("region", "Region", [(x, x) for x in sorted({f.get("region") or "" for f in fns})])])
        + '<table class="data" id="fn-table">'
        + _thead([("Function", False), ("Version", False), ("Region", False), ("Account", False), ("Runtime", False),
                  ("Signing", False), ("Packages", True), ("Findings", True), ("Highest", False), ("Status", False)])
        + "<tbody>" + "".join(fn_rows) + "</tbody></table>")
    layer_table = ('<table class="data" id="layer-table">'
                   + _thead([("Layer version", False), ("Region", False), ("Runtimes", False), ("Used by", True),
                             ("Findings", True), ("Highest", False), ("Status", False)])
                   + "<tbody>" + "".join(layer_rows) + "</tbody></table>") if layers else '<p class="mut">None.</p>'
    tabs = [("overview", "Overview", overview),
            *([("functions", f"Functions ({len(fns)})", fn_table)] if fns else []),
            ("packages", f"Packages ({len(data.packages)})", _package_table(data, None, "Functions")),
            ("vulns", f"Vulnerabilities ({sum(1 for f in data.findings if not f[10])})", _vuln_table(data, where, "Functions")),
            ("layers", f"Layers ({len(layers)})", layer_table)]
    names = ", ".join(single_line(a.get("account")) for a in doc.get("accounts", [])) or "(account unknown)"
    c = doc.get("counts", {})
    subtitle = _t(f"{c.get('functions', len(fns))} functions, {c.get('layers', len(layers))} layers, "
                  f"{len(data.packages)} distinct packages in {len(doc.get('regions', []))} region(s)")
    js = data.doc(functions=js_functions, layers=js_layers, layerIndex={_n(k): v for k, v in layer_index.items()})
    return _page(f"pkgscan: Lambda {names}", subtitle, tabs, js, _footer(options))


def _signing_label(sg: dict) -> str:
    verdict = sg.get("verdict")
    if not verdict:
        return "not checked"
    if sg.get("class") == "none configured":
        return "none configured"
    return str(verdict)


def _live_findings(data: _Data, entries: list[dict]) -> list[list]:
    """A function's (or layer's) finding entries as [finding index, labels, suppressed]."""
    out = []
    for x in entries:
        key = (x.get("id", ""), x.get("purl", ""))
        pi = data._pidx.get(key[1])
        if pi is None:
            pi = data.package_from_finding(x)
        fi = data.finding(key, pi, fid=x.get("id", ""), ids=x.get("ids", []), severity=x.get("severity"),
                          score=x.get("score"), fixed=x.get("fixed", []), recommended=x.get("recommended"),
                          malicious=x.get("malicious"), suppressed=_suppressed_text(x.get("suppressed")))
        out.append([fi, [_n(lb) for lb in x.get("labels", [])], _n(_suppressed_text(x.get("suppressed")))])

    def order(item):
        f = data.findings[item[0]]
        return (not f[6], -rating_rank(f[2]), -(f[3] if f[3] is not None else -1.0), data.packages[f[8]][1], f[0])
    return sorted(out, key=order)


def _live_overview(doc: dict, data: _Data, fns: list[dict], js_functions: list[dict]) -> str:
    c = doc.get("counts", {})
    active = [f for f in data.findings if not f[10]]
    mal = sorted({(data.packages[f[8]][1], data.packages[f[8]][2], f[0]) for f in active if f[6]})
    alerts = "".join(f'<div class="alert"><b>Malicious package:</b> <span class="mono">{_t(n)} {_t(v)}</span> ({_t(i)}): '
                     "remove it and treat the environment as compromised.</div>" for n, v, i in mal)
    for a in doc.get("accounts", []):
        if a.get("status") != "scanned":
            alerts += f'<div class="alert warn">Account {_t(a.get("account"))}: {_t(a.get("status"))} ({_t(a.get("reason"))})</div>'
    for r in doc.get("regions", []):
        if r.get("status") != "scanned":
            alerts += (f'<div class="alert warn">Region {_t(r.get("account", ""))}/{_t(r.get("region"))}: '
                       f'{_t(r.get("status"))} ({_t(r.get("reason"))})</div>')
    alerts += "".join(f'<div class="alert warn">{_t(w)}</div>' for w in doc.get("warnings", []))
    sev = c.get("findings_by_severity", {})
    worst = Counter()
    for f in js_functions:
        act = [x for x in f["findings"] if not x[2]]
        w = _worst(data.findings[x[0]][2] for x in act)
        worst["malicious" if any(data.findings[x[0]][6] for x in act) else (w or "no findings")] += 1
    runtimes = Counter((f.get("runtime") or "(image / none)", (f.get("runtime_verdict") or {}).get("status", "")) for f in fns)
    rt_items = sorted(runtimes.items(), key=lambda kv: (-kv[1], kv[0]))
    rt_chart = [(f"{rt}", n, f"v-{st}" if st in ("supported", "deprecated", "deprecating-soon") else "v-other")
                for (rt, st), n in rt_items[:14]]
    if len(rt_items) > 14:
        rt_chart.append(("other", sum(n for _k, n in rt_items[14:]), "v-other"))
    signing = Counter(_signing_label(f.get("signing") or {}) for f in fns)
    sig_cls = {"pass": "v-pass", "fail": "v-fail", "unknown": "v-unknown", "none configured": "v-other", "not checked": "v-other"}
    rt_status = Counter((f.get("runtime_verdict") or {}).get("status") or "none" for f in fns)
    return (alerts + _cards([
        ("functions", c.get("functions", len(fns)), False),
        ("layers", c.get("layers", 0), False),
        ("distinct packages", len(data.packages), False),
        ("findings", sum(sev.values()), bool(sev)),
        ("critical or high", sev.get("critical", 0) + sev.get("high", 0), bool(sev.get("critical", 0) + sev.get("high", 0))),
        ("malicious", len(mal), bool(mal)),
        ("signing failures", c.get("signing_fail", 0), bool(c.get("signing_fail"))),
        ("deprecated runtimes", c.get("runtime_deprecated", 0), bool(c.get("runtime_deprecated"))),
    ]) + '<div class="charts">'
        + _chart("Findings by severity" + (" (all functions)" if fns else ""), [(r, sev.get(r, 0), f"s-{r}") for r in RATINGS])
        + ("" if not fns else _chart("Functions by highest severity", [(r, worst[r], "s-malicious" if r == "malicious" else f"s-{r}" if r in _SEV_ORDER
                                                     else "v-pass") for r in ("malicious", *RATINGS, "no findings")])
        + _chart("Functions by runtime", rt_chart)
        + _chart("Functions by runtime status", [(k, n, f"v-{k}" if k in ("supported", "deprecated", "deprecating-soon") else "v-other")
                                                 for k, n in sorted(rt_status.items(), key=lambda kv: (-kv[1], kv[0]))])
        + _chart("Functions by signing verdict", [(k, n, sig_cls.get(k, "v-other")) for k, n in sorted(signing.items(), key=lambda kv: (-kv[1], kv[0]))]))
        + "</div>" + _region_table(doc))


def _region_table(doc: dict) -> str:
    regions = doc.get("regions", [])
    if not regions:
        return ""
    rows = "".join(f'<tr><td class="mono">{_t(r.get("account", ""))}</td><td>{_t(r.get("region"))}</td>'
                   f'<td><span class="v v-{_t(r.get("status"))}">{_t(r.get("status"))}</span> {_t(r.get("reason"))}</td>'
                   f'<td class="num">{_t(r.get("functions", ""))}</td><td class="num">{_t(r.get("layers", ""))}</td></tr>'
                   for r in regions)
    return ('<h3>Regions</h3><table><thead><tr><th>Account</th><th>Region</th><th>Status</th><th class="num">Functions</th>'
            f'<th class="num">Layers</th></tr></thead><tbody>{rows}</tbody></table>')


def render_report(report, options=None) -> str:
    from . import LIVE, SCAN

    if report.kind == LIVE:
        return render_live(report.live, report.scan, options)
    if report.kind == SCAN:
        return render_scan(report.scan, options)
    raise ValueError(f"the html format cannot show a {report.kind} report")
