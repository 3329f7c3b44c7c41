import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_packages"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def sample_cases():
    out = []
    for exp in sorted(SAMPLES.glob("*.expected.json")):
        data = json.loads(exp.read_text())
        out.append(pytest.param(SAMPLES / data["zip"], data, id=data["zip"]))
    return out
