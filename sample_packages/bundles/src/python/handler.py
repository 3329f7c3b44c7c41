"""pkgscan sample: a Python Lambda handler deployed with serverless-python-requirements."""
try:
    import unzip_requirements  # noqa: F401  (zip: true: unpacks .requirements.zip into /tmp)
except ImportError:
    pass

import requests
import yaml


def handler(event, context):
    cfg = yaml.safe_load(event.get("config", "{}"))
    return {"status": requests.get(cfg.get("url", "http://localhost:1/")).status_code}
