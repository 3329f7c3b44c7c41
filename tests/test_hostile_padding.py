"""No package hidden by padding its metadata, and metadata work is bounded (tests/hostile/padding.py).
Each case runs in a child process: ≤ 10 s and ≤ 300 MB peak RSS."""
from __future__ import annotations

import pytest

from .hostile import padding
from .hostile.runner import assert_bounded, scan_child


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return padding.build_all(tmp_path_factory.mktemp("padding"))


def test_padded_metadata_does_not_hide_packages(corpus):
    assert corpus["padded-metadata"].stat().st_size < 1 << 20
    res = scan_child(corpus["padded-metadata"])
    assert_bounded(res)
    found = {tuple(c) for c in res["components"]}
    assert {("pypi", "evilpy", "6.6.6"), ("pypi", "frontpad", "1.0"), ("npm", "evilnpm", "6.6.6"),
            ("npm", "trail", "2.0.0"), ("npm", "lodash", "4.17.21")} <= found, found
    padded = {n[1] for n in res["notices"] if n[0] == "metadata-padded"}
    assert len(padded) == 4 and all(n[3] for n in res["notices"] if n[0] == "metadata-padded")
    assert res["suspicious"] is True


def test_requires_dist_bomb_is_bounded(corpus):
    res = scan_child(corpus["requires-bomb"])
    assert_bounded(res)
    assert {("pypi", f"req{i}", "1.0") for i in range(12)} <= {tuple(c) for c in res["components"]}
    assert res["notice_counts"].get("metadata-truncated") == 12


def _scan_zip(tmp_path, files: dict[str, str]):
    import io
    import zipfile

    from pkgscan.scan import scan_path

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    (tmp_path / "pad.zip").write_bytes(buf.getvalue())
    return scan_path(tmp_path / "pad.zip")


def test_padding_before_the_name_still_names_the_distribution(tmp_path):
    """A padded field before Name: the bounded prefix holds no Name, the .dist-info directory does."""
    inv = _scan_zip(tmp_path, {"evil-6.6.6.dist-info/METADATA": "Metadata-Version: 2.1\nSummary: " + " " * (5 << 20)
                               + "\nName: evil\nVersion: 6.6.6\n", "app.py": "x = 1\n"})
    assert [(c.name, c.version) for c in inv.components] == [("evil", "6.6.6")]
    assert {"metadata-padded", "metadata-from-directory-name"} <= {n.code for n in inv.notices}


def test_padding_before_the_name_of_a_package_json_keeps_the_package(tmp_path):
    """npm has no version in its folder name: the package stays, named by its folder, version unknown."""
    inv = _scan_zip(tmp_path, {"node_modules/evil/package.json": '{"description": "' + " " * (6 << 20)
                               + '", "name": "evil", "version": "6.6.6"}', "index.js": "x = 1\n"})
    [c] = inv.components
    assert (c.ecosystem, c.name, c.version) == ("npm", "evil", "") and c.confidence == 0.5
    codes = {n.code: n for n in inv.notices}
    assert "metadata-padded" in codes and codes["metadata-from-directory-name"].suspicious
