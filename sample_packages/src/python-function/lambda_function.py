"""Sample Lambda handler for the pkgscan python-function test package."""
import json

import jinja2
import requests
import yaml

TEMPLATE = jinja2.Template("Hello {{ name }}!")


def lambda_handler(event, context):
    config = yaml.safe_load(event.get("config", "name: world")) or {}
    body = {
        "greeting": TEMPLATE.render(name=config.get("name", "world")),
        "requests_version": requests.__version__,
    }
    return {"statusCode": 200, "body": json.dumps(body)}
