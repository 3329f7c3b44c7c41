"""Wire-level helpers: which service/operation/region a request is, and AWS-shaped errors.

The operation is identified the way AWS front ends do it: from the SigV4 credential
scope (service, region), then ``X-Amz-Target`` (JSON protocol), the ``Action``
parameter (query/EC2 protocol) or the HTTP method + path template of the botocore
service model (REST protocols).
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote
from xml.sax.saxutils import escape

import botocore.session

_AUTH_RE = re.compile(
    r"Credential=(?P<key>[^/,\s]+)/(?P<date>\d{8})/(?P<region>[^/]+)/(?P<service>[^/]+)/aws4_request"
)

_session_lock = threading.Lock()
_session: botocore.session.Session | None = None


def _botocore_session() -> botocore.session.Session:
    global _session
    with _session_lock:
        if _session is None:
            _session = botocore.session.get_session()
        return _session


@lru_cache(maxsize=None)
def service_model(name: str):
    return _botocore_session().get_service_model(name)


# credential-scope (signing) name -> botocore service model name
_SIGNING_TO_MODEL = {"execute-api": "apigateway"}


@dataclass
class Route:
    method: str
    regex: re.Pattern[str]
    query: dict[str, str]
    literal_len: int
    operation: str


@lru_cache(maxsize=None)
def _rest_routes(service: str) -> list[Route]:
    model = service_model(service)
    routes: list[Route] = []
    for op_name in model.operation_names:
        http = model.operation_model(op_name).http
        uri = http["requestUri"]
        path, _, q = uri.partition("?")
        query = dict(parse_qsl(q, keep_blank_values=True))
        pattern = ""
        literal = 0
        pos = 0
        for m in re.finditer(r"\{([^}]+)\}", path):
            lit = path[pos : m.start()]
            pattern += re.escape(lit)
            literal += len(lit)
            label = m.group(1)
            if label.endswith("+"):
                pattern += f"(?P<{label[:-1]}>.+)"
            else:
                pattern += f"(?P<{label}>[^/]+)"
            pos = m.end()
        lit = path[pos:]
        pattern += re.escape(lit)
        literal += len(lit)
        if len(pattern) > 1 and pattern.endswith("/"):
            pattern = pattern[:-1]
        routes.append(
            Route(http["method"].upper(), re.compile("^" + pattern + "/?$"), query, literal, op_name)
        )
    routes.sort(key=lambda r: (-len(r.query), -r.literal_len))
    return routes


def match_rest(service: str, method: str, raw_path: str, query: dict[str, list[str]]):
    """Return (operation, path_params) for a REST request, or (None, {})."""
    path = raw_path if raw_path else "/"
    for route in _rest_routes(service):
        if route.method != method:
            continue
        m = route.regex.match(path)
        if not m:
            continue
        ok = True
        for k, v in route.query.items():
            if k not in query or (v and v not in query[k]):
                ok = False
                break
        if not ok:
            continue
        return route.operation, {k: unquote(v) for k, v in m.groupdict().items()}
    return None, {}


@dataclass
class RequestInfo:
    method: str
    raw_path: str  # path without query, still percent-encoded
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    raw_query: str = ""  # query string as received (forwarded verbatim)
    service: str | None = None  # botocore model name
    region: str | None = None
    access_key: str | None = None
    operation: str | None = None
    protocol: str | None = None
    path_params: dict[str, str] = field(default_factory=dict)
    account: str = ""
    request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _json: Any = None

    def q(self, name: str, default: str | None = None) -> str | None:
        v = self.query.get(name)
        return v[0] if v else default

    def json(self) -> dict[str, Any]:
        if self._json is None:
            try:
                self._json = json.loads(self.body or b"{}")
            except ValueError:
                self._json = {}
        return self._json

    def form(self) -> dict[str, str]:
        out = {k: v[0] for k, v in self.query.items()}
        if self.body and "x-www-form-urlencoded" in self.headers.get("content-type", ""):
            out.update({k: v[0] for k, v in parse_qs(self.body.decode("utf-8", "replace")).items()})
        return out


def identify(info: RequestInfo) -> None:
    """Fill service/region/operation/path_params from the request."""
    m = _AUTH_RE.search(info.headers.get("authorization", ""))
    if m:
        info.access_key = m.group("key")
        info.region = m.group("region")
        signing = m.group("service")
        info.service = _SIGNING_TO_MODEL.get(signing, signing)
    if not info.service:
        return
    try:
        model = service_model(info.service)
    except Exception:
        return
    info.protocol = model.protocol
    if info.protocol == "json":
        target = info.headers.get("x-amz-target", "")
        info.operation = target.rsplit(".", 1)[-1] or None
    elif info.protocol in ("query", "ec2"):
        info.operation = info.form().get("Action")
    else:
        info.operation, info.path_params = match_rest(
            info.service, info.method, info.raw_path, info.query
        )


def params_summary(info: RequestInfo, limit: int = 200) -> dict[str, Any]:
    """Small, log-friendly view of the request parameters (no blobs)."""
    out: dict[str, Any] = {}
    out.update(info.path_params)
    if info.protocol in ("query", "ec2"):
        src: dict[str, Any] = info.form()
        src.pop("Action", None)
        src.pop("Version", None)
    else:
        src = {k: (v[0] if len(v) == 1 else v) for k, v in info.query.items()}
        if info.body and info.protocol in ("json", "rest-json"):
            body = info.json()
            if isinstance(body, dict):
                src = {**src, **body}
    for k, v in src.items():
        if isinstance(v, (dict, list)):
            v = _shrink(v, limit)
        elif isinstance(v, str) and len(v) > limit:
            v = f"<{len(v)} chars>"
        out[k] = v
    return out


def _shrink(v: Any, limit: int) -> Any:
    if isinstance(v, dict):
        return {k: _shrink(x, limit) for k, x in v.items()}
    if isinstance(v, list):
        return [_shrink(x, limit) for x in v[:20]]
    if isinstance(v, str) and len(v) > limit:
        return f"<{len(v)} chars>"
    return v


# --------------------------------------------------------------------------- errors

THROTTLE_CODES = {
    "lambda": ("TooManyRequestsException", 429),
    "signer": ("TooManyRequestsException", 429),
    "organizations": ("TooManyRequestsException", 400),
    "ec2": ("RequestLimitExceeded", 503),
    "s3": ("SlowDown", 503),
}
DENIED_CODES = {
    "ec2": ("UnauthorizedOperation", 403),
    "sts": ("AccessDenied", 403),
    "iam": ("AccessDenied", 403),
    "s3": ("AccessDenied", 403),
    "organizations": ("AccessDeniedException", 400),
}
SERVER_ERROR_CODES = {
    "lambda": "ServiceException",
    "signer": "InternalServiceErrorException",
    "organizations": "ServiceException",
    "ec2": "InternalError",
    "s3": "InternalError",
}


class ApiError(Exception):
    """An AWS error to send back, in the protocol of the calling service."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra or {}
        self.headers = headers or {}


def render_error(info: RequestInfo, err: ApiError) -> tuple[int, dict[str, str], bytes]:
    headers = {"x-amzn-RequestId": info.request_id, **err.headers}
    proto = info.protocol or "rest-json"
    if proto in ("json", "rest-json"):
        body: dict[str, Any] = {"__type": err.code, "message": err.message}
        if info.service == "lambda":
            body = {"Type": "User", "Message": err.message, "message": err.message}
        body.update(err.extra)
        headers["x-amzn-ErrorType"] = err.code
        headers["Content-Type"] = (
            "application/x-amz-json-1.1" if proto == "json" else "application/json"
        )
        return err.status, headers, json.dumps(body).encode()
    headers["Content-Type"] = "text/xml"
    msg = escape(err.message)
    if proto == "ec2":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{err.code}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{info.request_id}</RequestID></Response>"
        )
    elif proto == "rest-xml":
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error>'
            f"<Code>{err.code}</Code><Message>{msg}</Message>"
            f"<RequestId>{info.request_id}</RequestId></Error>"
        )
    else:
        kind = "Receiver" if err.status >= 500 else "Sender"
        xml = (
            "<ErrorResponse><Error>"
            f"<Type>{kind}</Type><Code>{err.code}</Code><Message>{msg}</Message>"
            f"</Error><RequestId>{info.request_id}</RequestId></ErrorResponse>"
        )
    return err.status, headers, xml.encode()


def throttle_error(info: RequestInfo, retry_after: float | None) -> ApiError:
    code, status = THROTTLE_CODES.get(info.service or "", ("Throttling", 400))
    headers = {}
    extra: dict[str, Any] = {}
    if retry_after is not None:
        ra = str(int(retry_after)) if float(retry_after).is_integer() else str(retry_after)
        headers["Retry-After"] = ra
        if info.service == "lambda":
            extra = {"Reason": "CallerRateLimitExceeded", "retryAfterSeconds": ra}
    return ApiError(code, "Rate exceeded", status, extra=extra, headers=headers)


def access_denied_error(info: RequestInfo, why: str) -> ApiError:
    code, status = DENIED_CODES.get(info.service or "", ("AccessDeniedException", 403))
    action = f"{iam_prefix(info.service)}:{iam_action(info.service, info.operation)}"
    msg = (
        f"User: arn:aws:iam::{info.account}:user/pkgscan-test is not authorized to perform: "
        f"{action} {why}"
    )
    return ApiError(code, msg, status)


def server_error(info: RequestInfo, status: int) -> ApiError:
    code = SERVER_ERROR_CODES.get(info.service or "", "InternalFailure")
    if status == 503 and info.service not in ("ec2", "s3"):
        code = "ServiceUnavailableException" if info.service == "lambda" else "ServiceUnavailable"
    return ApiError(code, "We encountered an internal error. Please try again.", status)


# IAM action names differ from API operation names in a few places.
_IAM_ACTION_OVERRIDES = {
    ("lambda", "GetLayerVersionByArn"): "GetLayerVersion",
    ("lambda", "ListVersionsByFunction"): "ListVersionsByFunction",
    ("s3", "HeadObject"): "GetObject",
    ("s3", "HeadBucket"): "ListBucket",
    ("s3", "ListObjectsV2"): "ListBucket",
    ("s3", "ListObjects"): "ListBucket",
    ("s3", "ListObjectVersions"): "ListBucketVersions",
    ("s3", "PutBucketVersioning"): "PutBucketVersioning",
}


def iam_prefix(service: str | None) -> str:
    return {"organizations": "organizations"}.get(service or "", service or "unknown")


def iam_action(service: str | None, operation: str | None) -> str:
    return _IAM_ACTION_OVERRIDES.get((service or "", operation or ""), operation or "Unknown")
