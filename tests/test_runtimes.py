"""Lambda runtime lifecycle table and verdicts."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from pkgscan.errors import InputError
from pkgscan.aws.runtimes import (
    DATE_FIELDS,
    RuntimeTableError,
    load_table,
    runtime_verdict,
)

# Every Python and Node.js identifier Lambda has had (from AWS's runtime tables, current and past).
PYTHON_IDS = ["python2.7", "python3.6", "python3.7", "python3.8", "python3.9", "python3.10", "python3.11",
              "python3.12", "python3.13", "python3.14"]
NODE_IDS = ["nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
            "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x", "nodejs22.x", "nodejs24.x"]
OTHER_IDS = ["java8", "java8.al2", "java11", "java17", "java21", "java25", "dotnetcore1.0", "dotnetcore2.0",
             "dotnetcore2.1", "dotnetcore3.1", "dotnet6", "dotnet8", "dotnet10", "ruby2.5", "ruby2.7", "ruby3.2",
             "ruby3.3", "ruby3.4", "go1.x", "provided", "provided.al2", "provided.al2023"]


def write_table(tmp_path, runtimes, name="override.json", **top):
    doc = {"schema_version": 1, "source": "https://example.test/runtimes", "as_of": "2030-01-01",
           "runtimes": runtimes, **top}
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


@pytest.fixture
def test_table(tmp_path):
    path = write_table(tmp_path, [
        {"identifier": "testrt1", "name": "Test Runtime 1", "deprecation": "2030-06-30",
         "block_create": "2030-07-31", "block_update": "2030-08-31"},
        {"identifier": "monthrt", "deprecation": "2031-03", "block_create": None, "block_update": None,
         "note": "docs give only the month"},
    ])
    return load_table(path)


# ----------------------------------------------------------------------------------------- table
def test_vendored_table_has_source_and_as_of():
    table = load_table()
    assert table.source == "https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html"
    assert table.as_of == date(2026, 11, 26)
    assert table.notes
    assert table.origins == ("pkgscan/data/lambda-runtimes.json",)


@pytest.mark.parametrize("identifier", PYTHON_IDS + NODE_IDS + OTHER_IDS)
def test_every_known_identifier_is_in_the_table(identifier):
    assert identifier in load_table()


def test_every_python_and_node_identifier_in_botocore_is_in_the_table():
    botocore_session = pytest.importorskip("botocore.session")
    model = botocore_session.get_session().get_service_model("lambda")
    enum = model.shape_for("Runtime").enum
    table = load_table()
    # python/nodejs only: a new botocore adding e.g. a Java runtime should not break the build (it
    # gets an "unknown" verdict until the table learns it); the vendored file covers the whole enum
    # of botocore 1.44.8.
    missing = [r for r in enum if r.startswith(("python", "nodejs")) and r not in table]
    assert not missing, f"Python/Node.js runtimes in botocore's Lambda Runtime enum missing from the table: {missing}"


def test_entries_name_their_source_and_explain_null_dates():
    for info in load_table():
        assert info.source.startswith("https://"), info.identifier
        if info.managed and any(getattr(info, f) is None for f in DATE_FIELDS):
            assert info.note, f"{info.identifier}: a null date needs a note saying why"
        if info.block_create and info.block_update:
            assert info.block_update >= info.block_create, info.identifier


def test_known_dates_from_aws_docs():
    table = load_table()
    py39 = table.get("python3.9")
    assert py39.deprecation == date(2025, 12, 15)
    node22 = table.get("nodejs22.x")
    assert (node22.deprecation, node22.block_create, node22.block_update) == (
        date(2027, 4, 30), date(2027, 6, 1), date(2027, 7, 1))
    py27 = table.get("python2.7")
    assert (py27.deprecation, py27.block_update) == (date(2021, 7, 15), date(2022, 5, 30))


def test_lookup_tolerates_case_and_spaces():
    table = load_table()
    assert table.get("Python3.12").identifier == "python3.12"
    assert table.get(" python3.12 ").identifier == "python3.12"


# ----------------------------------------------------------------------------------------- verdicts
@pytest.mark.parametrize("offset, status, severity", [
    (-181, "supported", "info"),
    (-180, "deprecating-soon", "medium"),   # boundary: exactly warn_days before
    (-1, "deprecating-soon", "medium"),
    (0, "deprecated", "high"),              # the deprecation date itself
    (1, "deprecated", "high"),
    (400, "deprecated", "high"),
])
def test_status_at_boundaries(test_table, offset, status, severity):
    today = date(2030, 6, 30) + timedelta(days=offset)
    v = runtime_verdict("testrt1", today, table=test_table)
    assert (v.status, v.severity) == (status, severity)
    assert v.days_until_deprecation == -offset
    assert (v.deprecation, v.block_create, v.block_update) == (date(2030, 6, 30), date(2030, 7, 31), date(2030, 8, 31))


def test_block_dates_in_messages(test_table):
    v = runtime_verdict("testrt1", date(2030, 7, 1), table=test_table)
    assert "creating functions blocked from 2030-07-31" in v.message
    v = runtime_verdict("testrt1", date(2030, 8, 31), table=test_table)
    assert "creating functions blocked since 2030-07-31" in v.message
    assert "updating functions blocked since 2030-08-31" in v.message
    assert "as of 2030-01-01" in v.message


def test_warn_days(test_table):
    day_before = date(2030, 6, 29)
    assert runtime_verdict("testrt1", day_before, table=test_table, warn_days=0).status == "supported"
    assert runtime_verdict("testrt1", date(2029, 6, 30), table=test_table, warn_days=365).status == "deprecating-soon"
    with pytest.raises(ValueError):
        runtime_verdict("testrt1", day_before, table=test_table, warn_days=-1)


def test_month_only_dates(test_table):
    info = test_table.get("monthrt")
    assert info.deprecation == date(2031, 3, 1) and info.month_only == frozenset({"deprecation"})
    v = runtime_verdict("monthrt", date(2031, 2, 1), table=test_table)
    assert v.status == "deprecating-soon" and "2031-03 (month only)" in v.message
    assert runtime_verdict("monthrt", date(2031, 3, 1), table=test_table).status == "deprecated"


@pytest.mark.parametrize("runtime, today, status", [
    ("python3.9", date(2025, 12, 14), "deprecating-soon"),
    ("python3.9", date(2025, 12, 15), "deprecated"),
    ("nodejs22.x", date(2026, 10, 31), "supported"),
    ("nodejs22.x", date(2026, 11, 1), "deprecating-soon"),    # 180 days before Apr 30, 2027
    ("nodejs22.x", date(2027, 4, 30), "deprecated"),
    ("python3.14", date(2026, 11, 26), "supported"),
    ("python2.7", date(2026, 11, 26), "deprecated"),
])
def test_vendored_verdicts(runtime, today, status):
    assert runtime_verdict(runtime, today).status == status


def test_deprecated_without_published_deprecation_date():
    v = runtime_verdict("nodejs8.10", date(2026, 1, 1))
    assert v.status == "deprecated" and v.deprecation is None and v.days_until_deprecation is None
    assert "deprecation date not published" in v.message
    assert "updating functions blocked since 2020-03-06" in v.message


def test_null_block_dates_are_said_not_pinned():
    v = runtime_verdict("python3.9", date(2026, 11, 26))
    assert v.block_create is None and "not pinned" in v.message


def test_no_dates_published_is_supported_with_message():
    v = runtime_verdict("python3.15", date(2026, 11, 26))
    assert v.status == "supported" and "no deprecation date published" in v.message


@pytest.mark.parametrize("runtime", [None, "", "   "])
def test_image_functions_are_not_applicable(runtime):
    v = runtime_verdict(runtime, date(2026, 11, 26))
    assert (v.status, v.severity) == ("not-applicable", "info")
    assert v.deprecation is None and v.days_until_deprecation is None


def test_customer_managed_runtime_is_not_applicable():
    assert runtime_verdict("custom", date(2026, 11, 26)).status == "not-applicable"


def test_unknown_identifier():
    v = runtime_verdict("cobol1.0", date(2026, 11, 26))
    assert (v.status, v.severity) == ("unknown", "low")
    assert "cobol1.0" in v.message and v.info is None


# ----------------------------------------------------------------------------------------- overrides
def test_override_replaces_and_extends(tmp_path):
    path = write_table(tmp_path, [
        {"identifier": "python3.9", "name": "Python 3.9", "deprecation": "2025-12-15",
         "block_create": "2027-02-01", "block_update": "2027-03-03", "note": "from the live page"},
        {"identifier": "python3.99", "deprecation": "2040-01-01", "block_create": None, "block_update": None},
    ], notes=["my corrections"])
    table = load_table(path)
    assert table.get("python3.9").block_create == date(2027, 2, 1)
    assert table.get("python3.9").as_of == date(2030, 1, 1)
    assert table.get("python3.99").source == "https://example.test/runtimes"  # entry inherits the file's source
    assert table.get("python3.12") == load_table().get("python3.12")          # the rest is ours
    assert table.origins[-1] == str(path)
    assert "my corrections" in table.notes
    v = runtime_verdict("python3.9", date(2027, 2, 2), table=table)
    assert "creating functions blocked since 2027-02-01" in v.message and "as of 2030-01-01" in v.message
    assert load_table().get("python3.9").block_create is None                 # vendored table untouched


@pytest.mark.parametrize("content, phrase", [
    ("{not json", "not valid JSON"),
    ("[]", "JSON object"),
    ('{"schema_version": 2, "source": "s", "as_of": "2030-01-01", "runtimes": []}', "schema_version"),
    ('{"schema_version": 1, "as_of": "2030-01-01", "runtimes": []}', "'source'"),
    ('{"schema_version": 1, "source": "s", "as_of": "soon", "runtimes": []}', "as_of"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01", "runtimes": []}', "as_of"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01"}', "'runtimes'"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [], "runtime": []}', "unknown top-level"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [], "notes": "x"}', "notes"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [1]}', "runtimes[0]"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"name": "x"}]}', "identifier"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"deprecation": "2025/01/01"}]}', "deprecation"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"block_update": "2025-02-30"}]}', "block_update"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"block_update": 20250101}]}', "block_update"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"deprecaton": "2025-01-01"}]}', "unknown key"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a"}, '
     '{"identifier": "a"}]}', "duplicate"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"managed": "no"}]}', "managed"),
    ('{"schema_version": 1, "source": "s", "as_of": "2030-01-01", "runtimes": [{"identifier": "a", '
     '"note": 5}]}', "note"),
])
def test_malformed_override_files(tmp_path, content, phrase):
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(RuntimeTableError) as err:
        load_table(path)
    assert str(path) in str(err.value)
    assert phrase in str(err.value)
    assert isinstance(err.value, InputError)


def test_missing_override_file(tmp_path):
    with pytest.raises(RuntimeTableError, match="cannot read"):
        load_table(tmp_path / "nope.json")
