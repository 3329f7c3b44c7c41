"""First-party helper module shipped in the pkgscan python-layer-sitepackages sample."""
import requests


def fetch_status(url):
    return requests.get(url, timeout=5).status_code
