"""The effective runtime view: which copy of a package the Lambda runtime loads."""
import dataclasses

from pkgscan import scan_path
from pkgscan.model import PYPI
from pkgscan.aws.runtime_view import effective_view

from .conftest import SAMPLES

FN_PY = scan_path(SAMPLES / "python-function.zip")
LAYER_SITE = scan_path(SAMPLES / "python-layer-sitepackages.zip")
LAYER_SHORT = scan_path(SAMPLES / "python-layer.zip")
FN_NODE = scan_path(SAMPLES / "node-function.zip")
LAYER_NODE = scan_path(SAMPLES / "node-layer.zip")
LAYER_NODE20 = scan_path(SAMPLES / "node-layer-node20.zip")
L1 = "arn:aws:lambda:us-east-1:111111111111:layer:site:1"
L2 = "arn:aws:lambda:us-east-1:111111111111:layer:short:1"


def test_function_copy_shadows_layer_copy_python():
    # function ships requests 2.19.1 at /var/task; the layer has requests 2.20.0 in site-packages
    view = effective_view("python3.12", FN_PY, [(L1, LAYER_SITE)])
    loaded = view.loaded(PYPI, "requests")
    assert (loaded.version, loaded.source, loaded.search_path) == ("2.19.1", "function", "/var/task")
    shadowed = [c for c in view.copies if c.name == "requests" and c.status == "shadowed"]
    assert [(c.version, c.source) for c in shadowed] == [("2.20.0", L1)]
    assert shadowed[0].shadowed_by == "function requests-2.19.1.dist-info/METADATA"
    # urllib3 1.24.1 only in the layer, 1.23 in the function: the function's wins
    assert view.loaded(PYPI, "urllib3").version == "1.23"
    # the runtime provides boto3 / botocore
    assert any("boto3" in n for n in view.notes)


def test_site_packages_before_python_dir_and_python_version_matters():
    # site-packages of the runtime's Python version is searched before /opt/python
    view = effective_view("python3.12", None, [(L2, LAYER_SHORT), (L1, LAYER_SITE)])
    assert view.loaded(PYPI, "requests").search_path == "/opt/python/lib/python3.12/site-packages"
    # a runtime of another Python version does not search python3.12/site-packages at all
    other = effective_view("python3.11", None, [(L1, LAYER_SITE)])
    assert other.loaded(PYPI, "requests") is None
    assert {c.status for c in other.copies if c.name == "requests"} == {"not-on-path"}


def test_later_layer_overwrites_the_same_path():
    first = "arn:aws:lambda:us-east-1:111111111111:layer:a:1"
    second = "arn:aws:lambda:us-east-1:111111111111:layer:b:1"
    view = effective_view("python3.12", None, [(first, LAYER_SITE), (second, LAYER_SITE)])
    req = [c for c in view.copies if c.name == "requests"]
    assert {(c.source, c.status) for c in req} == {(second, "loaded"), (first, "overwritten")}


def test_node_resolution_order_and_nested_copies():
    # the node20 layer and the nodejs/node_modules layer share no package with the function by default:
    # make one by giving the layer's copy of 'ms' a function-level twin
    view = effective_view("nodejs20.x", FN_NODE, [(L1, LAYER_NODE), (L2, LAYER_NODE20)])
    ms = [c for c in view.copies if c.name == "ms"]
    # ms is in nodejs/node_modules (layer 1) and nodejs/node20/node_modules (layer 2): node20 wins
    assert {c.search_path for c in ms if c.status == "loaded"} == {"/opt/nodejs/node20/node_modules"}
    assert any(c.status == "shadowed" for c in ms)
    # nested node_modules copies are private to their parent: never listed
    assert not any("/node_modules/mkdirp/node_modules/" in c.location for c in view.copies)
    # nodejs20.x provides the v3 SDK
    assert any("@aws-sdk" in n for n in view.notes)


def test_node_major_version_must_match():
    view = effective_view("nodejs18.x", None, [(L2, LAYER_NODE20)])
    assert all(c.status == "not-on-path" for c in view.copies)


def test_function_dir_other_than_root_is_not_on_path():
    moved = dataclasses.replace(FN_PY, components=tuple(
        dataclasses.replace(c, occurrences=tuple(dataclasses.replace(o, root="vendor") for o in c.occurrences))
        for c in FN_PY.components))
    view = effective_view("python3.12", moved, [])
    assert {c.status for c in view.copies} == {"not-on-path"}
