""".NET and Ruby hostile inputs (see tests/test_hostile_dotnet_ruby.py), and a worker that scans one.

* ``build(outdir) -> dict[name, Path]`` writes every case (directories: a zip would be refused as a
  compression bomb before the parsers ever saw these files; that defence is tested elsewhere);
* ``python dotnet_ruby.py --scan PATH`` scans one input and prints a JSON summary with the wall time
  and the peak resident memory (VmHWM) of that process.

Cases:

* ``deps-json-50mb``: a 50 MB ``App.deps.json``: three real package libraries, then 10^6-deep
  nesting and arrays of 10^7 numbers and 10^6 strings under keys the SDK never writes;
* ``deps-json-deep-small``: the same shape in 2 MB (under the size above which deps.json is read by
  pattern, so the JSON reader itself meets the nesting);
* ``deps-json-many-libraries``: 2.5 MB (read as JSON) of 30,001 distinct ``"name/version": {"type": "package"}`` libraries;
* ``gemspec-code``: installed specifications full of Ruby that would run if evaluated (``system``,
  backticks, ``%x``, ``eval``, ``exec``, ``Kernel.open("|...")``, heredocs hiding assignments,
  interpolation in the version): every command would create a canary file next to the case;
* ``gemfile-lock-million``: a Gemfile.lock of 10^6 lines (a million gems... and more than the
  parser keeps) next to 3 installed gems;
* ``gemfile-lock-one-gem-million-deps``: one gem with 10^6 dependency lines.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

LIBS = {
    "Newtonsoft.Json/12.0.3": "package",
    "AWSSDK.Core/3.7.300.29": "package",
    "App/1.0.0": "project",
}


def _deps_prefix() -> str:
    target = {k: {"runtime": {f"lib/{k.split('/')[0]}.dll": {}}} for k in LIBS}
    libraries = {k: {"type": v, "serviceable": v == "package", "sha512": ""} for k, v in LIBS.items()}
    doc = {"runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"}, "compilationOptions": {},
           "targets": {".NETCoreApp,Version=v8.0": target}, "libraries": libraries}
    return json.dumps(doc, indent=2)[:-2]  # open: more keys follow


def deps_json_hostile(path: Path, size: int) -> None:
    depth = min(size // 20, 1_000_000)
    with open(path, "w") as f:
        f.write(_deps_prefix())
        f.write(',\n  "deep": ' + "[" * depth + "]" * depth)
        written = f.tell()
        left = size - written
        numbers = max(0, left * 2 // 3 // 2)
        f.write(',\n  "numbers": [' + "0," * numbers + "0]")
        left = size - f.tell()
        strings = max(0, left // 6 - 2)
        f.write(',\n  "strings": [' + '"ab",' * strings + '"ab"]\n}\n')


def deps_json_many_libraries(path: Path, count: int) -> None:
    with open(path, "w") as f:
        f.write('{\n  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},\n  "libraries": {\n')
        for i in range(count):
            f.write(f'    "Pkg.{i}/1.0.{i}": {{"type": "package", "serviceable": true, "sha512": ""}},\n')
        f.write('    "Last/1.0.0": {"type": "package"}\n  }\n}\n')


def gemspecs(home: Path, canary: Path) -> None:
    spec = home / "specifications"
    spec.mkdir(parents=True)
    c = str(canary)
    (spec / "evil-1.0.0.gemspec").write_text(f'''# -*- encoding: utf-8 -*-
# stub: evil 1.0.0 ruby lib
system("touch {c}.system; rm -rf /")
`touch {c}.backtick`
%x(touch {c}.percent_x)
eval("system('touch {c}.eval')")
exec("touch {c}.exec") if ENV["NEVER"]
Kernel.open("|touch {c}.open")
Gem::Specification.new do |s|
  s.description = <<~EOS
    s.name = "hidden-in-heredoc"
    s.version = "9.9.9"
  EOS
  s.name = "evil".freeze
  s.version = "1.0.0".freeze
  s.summary = `touch {c}.summary`
  s.files = Dir["**/*"].each {{ |f| File.delete(f) }}
  s.licenses = ["MIT".freeze]
end
''')
    # the version only a Ruby interpreter could compute: file name fallback
    (spec / "sneaky-2.1.0.gemspec").write_text(f'''Gem::Specification.new do |s|
  s.name = "sneaky"
  s.version = "#{{`touch {c}.interp`}}2.1.0"
end
''')
    # nothing literal at all and a file name without a version: no package, a notice
    (spec / "nameless.gemspec").write_text(f'eval(File.read("{c}"))\n')
    # a heredoc that never ends must not swallow the rest into a hang
    (spec / "heredoc-3.0.0.gemspec").write_text('Gem::Specification.new do |s|\n  s.description = <<-X\n' +
                                               's.name = "x"\n' * 100_000)
    # 1.9 MB of what RubyGems writes for a gem with many files: every character is looked at
    files = ", ".join(f'"lib/f{i}.rb".freeze' for i in range(80_000))
    (spec / "bigfiles-5.0.0.gemspec").write_text(
        f'Gem::Specification.new do |s|\n  s.name = "bigfiles".freeze\n  s.version = "5.0.0"\n  s.files = [{files}]\nend\n')
    # a 3 MB specification (over the 2 MiB read limit): the file name still names the gem
    (spec / "huge-4.0.0.gemspec").write_text("# " + "x" * (3 * 1024 * 1024) + "\n")


def gemfile_lock_million(path: Path, lines: int) -> None:
    with open(path, "w") as f:
        f.write("GEM\n  remote: https://rubygems.org/\n  specs:\n")
        for i in range(lines - 10):
            f.write(f"    gem{i} (1.{i})\n" if i % 2 == 0 else f"      gem{i - 1}dep (>= 0)\n")
        f.write("\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  gem0\n\nBUNDLED WITH\n   2.5.11\n")


def gemfile_lock_one_gem(path: Path, lines: int) -> None:
    with open(path, "w") as f:
        f.write("GEM\n  remote: https://rubygems.org/\n  specs:\n    faraday (1.1.0)\n")
        for i in range(lines):
            f.write(f"      dep{i} (>= 0)\n")
        f.write("\nBUNDLED WITH\n   2.5.11\n")


def _installed(home: Path) -> None:
    here = Path(__file__).resolve().parent.parent / "fixtures" / "ruby" / "debian"
    (home / "specifications").mkdir(parents=True, exist_ok=True)
    for f in here.glob("*.gemspec"):
        (home / "specifications" / f.name).write_bytes(f.read_bytes())


def build(out: Path) -> dict[str, Path]:
    cases: dict[str, Path] = {}
    d = out / "deps-json-50mb"
    d.mkdir(parents=True)
    deps_json_hostile(d / "App.deps.json", 50 * 1024 * 1024)
    cases[d.name] = d
    d = out / "deps-json-deep-small"
    d.mkdir()
    deps_json_hostile(d / "App.deps.json", 2 * 1024 * 1024)
    cases[d.name] = d
    d = out / "deps-json-many-libraries"
    d.mkdir()
    deps_json_many_libraries(d / "App.deps.json", 30_000)
    cases[d.name] = d
    d = out / "gemspec-code"
    gemspecs(d / "vendor" / "bundle" / "ruby" / "3.3.0", out / "CANARY")
    cases[d.name] = d
    d = out / "gemfile-lock-million"
    _installed(d / "vendor" / "bundle" / "ruby" / "3.3.0")
    gemfile_lock_million(d / "Gemfile.lock", 1_000_000)
    cases[d.name] = d
    d = out / "gemfile-lock-one-gem-million-deps"
    d.mkdir()
    gemfile_lock_one_gem(d / "Gemfile.lock", 1_000_000)
    cases[d.name] = d
    return cases


def peak_rss_mb() -> float:
    """This process's peak resident memory: VmHWM (of this program only; ``ru_maxrss`` keeps the
    parent's high-water mark across fork+exec on Linux), else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scan(path: str) -> dict:
    t0 = time.perf_counter()
    from pkgscan import scan_path

    inv = scan_path(path)
    wall = time.perf_counter() - t0
    return {
        "wall": round(wall, 3),
        "maxrss_mb": round(peak_rss_mb(), 1),
        "components": len(inv.components),
        "sample": sorted(f"{c.ecosystem}:{c.name}@{c.version}" for c in inv.components)[:20],
        "evidence": sorted({f"{c.name}:{c.evidence[0].technique}:{c.evidence[0].confidence}" for c in inv.components
                            if c.evidence})[:20],
        "declared_only": len(inv.declared_only),
        "notices": sorted({n.code for n in inv.notices}),
        "notice_text": [n.message[:200] for n in inv.notices][:20],
        "edges": len(inv.dependencies),
    }


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--scan":
        print(json.dumps(scan(sys.argv[2])))
    elif len(sys.argv) == 2:
        for name, p in build(Path(sys.argv[1])).items():
            print(name, p, sum(f.stat().st_size for f in p.rglob("*") if f.is_file()))
    else:
        sys.exit(__doc__)
