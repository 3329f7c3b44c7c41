"""The emulator: moto's ThreadedMotoServer behind a small HTTP front end of ours.

    with Emulator() as emu:
        lam = emu.client("lambda", "us-east-1")
        ...

Every request to ``emu.endpoint_url`` is identified (service/operation/region from the
SigV4 credential scope), logged, run through fault injection and the optional IAM
allow-list, then answered by our own implementation (Lambda reads, code signing
configs, Signer, downloads) or forwarded to moto over HTTP.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import hmac
import http.client
import logging
import socket
import threading
import traceback
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit
from xml.sax.saxutils import escape

from .lambda_api import LambdaService, split_function_ref
from .protocol import (
    ApiError,
    RequestInfo,
    access_denied_error,
    identify,
    params_summary,
    render_error,
    server_error,
    throttle_error,
)
from .signer_api import SignerService
from .state import API_FAULTS, DOWNLOAD_FAULTS, ApiCall, Clock, Download, Faults, Ids, RequestLog

log = logging.getLogger("aws_emulator")

DEFAULT_ACCOUNT = "123456789012"
ACCESS_KEY = "AKIAEMULATORTESTKEY1"
SECRET_KEY = "emulator-secret-key-not-a-real-one"

_live_accounts: set[str] = set()
_live_lock = threading.Lock()

_org_ids_pinned = False
_org_ids_local = threading.local()


def org_account_id(management_account: str, email: str) -> str:
    """The id the emulator gives an account created in ``management_account``'s organization.

    moto draws it at random, so which shard an (account, region) unit hashes to, and so whether a
    shard has any work, changed from run to run.  Here it is derived from the account's e-mail (unique
    within an organization): every run of a test sees the same ids.
    """
    digest = hashlib.sha256(f"pkgscan-emulator/{management_account}/{email.strip().lower()}".encode()).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 10**12:012d}"


def _pin_org_account_ids() -> None:
    """Make moto's organizations:CreateAccount use :func:`org_account_id` (once per process)."""
    global _org_ids_pinned
    with _live_lock:
        if _org_ids_pinned:
            return
        from moto.organizations import models as org_models
        from moto.organizations import utils as org_utils

        random_id = org_utils.make_random_account_id
        original_init = org_models.FakeAccount.__init__

        def make_account_id() -> str:
            return getattr(_org_ids_local, "account_id", None) or random_id()

        def init(self, organization, **kwargs):  # the id is drawn inside __init__, in this thread
            _org_ids_local.account_id = org_account_id(organization.master_account_id, str(kwargs.get("Email", "")))
            try:
                original_init(self, organization, **kwargs)
            finally:
                _org_ids_local.account_id = None

        org_utils.make_random_account_id = make_account_id
        org_models.FakeAccount.__init__ = init
        _org_ids_pinned = True


_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
               "proxy-authorization", "proxy-authenticate", "expect", "content-length"}


def _clear_moto_account(account: str) -> None:
    """Drop every moto backend's state for ``account`` (other accounts are untouched)."""
    from moto.core.base_backend import BackendDict
    from moto.core.base_backend import backend_lock

    with backend_lock:
        for bd in list(BackendDict._instances):  # type: ignore[attr-defined]
            if account in dict.keys(bd):
                dict.pop(bd, account, None)
    try:
        from moto.s3.models import s3_backends

        accounts = getattr(s3_backends, "bucket_accounts", None)
        if isinstance(accounts, dict):
            for bucket in [b for b, a in accounts.items() if a == account]:
                accounts.pop(bucket, None)
    except Exception:  # pragma: no cover
        pass


def _clear_moto_organization(management_account: str) -> None:
    """Drop the moto state of the accounts created in ``management_account``'s organization.

    Their ids are derived (:func:`org_account_id`), so a later emulator of the same account creates
    the same ids again: it must find them empty, as a fresh organization's accounts are.
    """
    try:
        from moto.core.base_backend import backend_lock
        from moto.organizations.models import organizations_backends

        with backend_lock:
            backend = dict.get(dict.get(organizations_backends, management_account) or {}, "aws")
        if backend is None or backend.org is None:
            return
        members = {a.id for a in backend.accounts}
        members.add(org_account_id(management_account, backend.org.master_account_email))  # moto's "master" record
        members.discard(management_account)
    except Exception:  # pragma: no cover - moto internals moved: nothing to clear
        return
    for account in sorted(members):
        _clear_moto_account(account)
        organizations_backends.master_accounts.pop(account, None)


class DownloadTarget:
    __slots__ = ("token", "kind", "target", "function_name", "region", "data", "sha", "issued")

    def __init__(self, token, kind, target, function_name, region, data, sha, issued):
        self.token, self.kind, self.target = token, kind, target
        self.function_name, self.region = function_name, region
        self.data, self.sha, self.issued = data, sha, issued


class Downloads:
    """Presigned-style download URLs for function and layer code."""

    def __init__(self, emu: "Emulator", expires: int = 600):
        self.emu = emu
        self.expires = expires
        self.secret = base64.b64encode(hashlib.sha256(SECRET_KEY.encode() + str(id(self)).encode()).digest())
        self._tokens: dict[str, DownloadTarget] = {}
        self._lock = threading.Lock()

    def _sign(self, token: str, cred: str, amz_date: str, expires: str) -> str:
        msg = f"GET\n/download/{token}\n{cred}\n{amz_date}\n{expires}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()

    def issue(self, *, kind: str, target: str, function_name: str | None, region: str,
              data: bytes, sha: str) -> str:
        import secrets

        token = secrets.token_urlsafe(24)
        now = self.emu.clock.now()
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        cred = f"ASIAEMULATORDOWNLOAD/{now:%Y%m%d}/{region}/s3/aws4_request"
        exp = str(self.expires)
        sig = self._sign(token, cred, amz_date, exp)
        with self._lock:
            self._tokens[token] = DownloadTarget(token, kind, target, function_name, region, data, sha, now)
        return (f"{self.emu.endpoint_url}/download/{token}?X-Amz-Security-Token=emulator"
                f"&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date={amz_date}&X-Amz-SignedHeaders=host"
                f"&X-Amz-Expires={exp}&X-Amz-Credential={quote(cred, safe='')}&X-Amz-Signature={sig}")

    def get(self, token: str) -> DownloadTarget | None:
        with self._lock:
            return self._tokens.get(token)


def _s3_error(code: str, message: str, extra: dict[str, str] | None = None) -> bytes:
    parts = [f"<Code>{code}</Code>", f"<Message>{escape(message)}</Message>"]
    for k, v in (extra or {}).items():
        parts.append(f"<{k}>{escape(v)}</{k}>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>' + "".join(parts) + "</Error>").encode()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "pkgscan-aws-emulator"
    emu: "Emulator"

    def setup(self) -> None:
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:  # pragma: no cover
            pass

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _go(self) -> None:
        try:
            self.emu._handle(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _go


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Emulator:
    """AWS emulator on 127.0.0.1. Use as a context manager (or start()/stop())."""

    def __init__(self, account_id: str | None = None, *, url_expires: int = 600,
                 default_region: str = "us-east-1"):
        self._requested_account = account_id
        self.account_id = account_id or DEFAULT_ACCOUNT
        self.default_region = default_region
        self.clock = Clock()
        #: ids of the emulator's own resources (code signing configs, profile versions, signing jobs)
        self.ids = Ids(lambda: self.account_id)
        self.faults = Faults()
        self.log = RequestLog()
        self.downloads = Downloads(self, url_expires)
        self.signer = SignerService(self)
        self.lambda_ = LambdaService(self)
        from .ecr_api import EcrService  # container images (tests/aws_emulator/ecr_api.py)

        self.ecr = EcrService(self)
        #: IAM allow-list (fnmatch patterns like "lambda:Get*"); None allows everything.
        self.allowed_actions: set[str] | None = None
        self._moto = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._local = threading.local()
        self._session = None
        self._session_lock = threading.Lock()
        #: access keys issued by AssumeRole -> the role's account
        self._assumed: dict[str, str] = {}
        #: role ARNs whose AssumeRole is refused (an account whose scanner role does not trust us)
        self.denied_roles: set[str] = set()
        #: tracebacks of exceptions inside the emulator itself (tests should assert it stays empty)
        self.bugs: list[str] = []
        self.moto_port = 0
        self.port = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "Emulator":
        from moto.server import ThreadedMotoServer

        with _live_lock:
            if self._requested_account is None:
                n = int(DEFAULT_ACCOUNT)
                while f"{n:012d}" in _live_accounts:
                    n += 1
                self.account_id = f"{n:012d}"
            elif self.account_id in _live_accounts:
                raise RuntimeError(f"another live Emulator already uses account {self.account_id}")
            _live_accounts.add(self.account_id)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        _pin_org_account_ids()
        _clear_moto_account(self.account_id)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        self.moto_port = self._moto.get_host_and_port()[1]
        handler = type("Handler", (_Handler,), {"emu": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="aws-emulator",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        _clear_moto_organization(self.account_id)
        _clear_moto_account(self.account_id)
        with _live_lock:
            _live_accounts.discard(self.account_id)

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # ------------------------------------------------------------------ client helpers
    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def moto_url(self) -> str:
        return f"http://127.0.0.1:{self.moto_port}"

    def credentials(self, account: str | None = None) -> dict[str, str]:
        """boto3 keyword credentials. A 12-digit access key selects that account."""
        key = account if account and account != self.account_id else ACCESS_KEY
        return {"aws_access_key_id": key, "aws_secret_access_key": SECRET_KEY}

    def client(self, service: str, region: str | None = None, *, account: str | None = None,
               **config: Any):
        import boto3
        from botocore.config import Config

        config.setdefault("retries", {"mode": "standard"})
        cfg = Config(**config)
        with self._session_lock:  # boto3 sessions are not thread-safe; clients are
            if self._session is None:
                self._session = boto3.session.Session()
            return self._session.client(
                service, region_name=region or self.default_region, endpoint_url=self.endpoint_url,
                config=cfg, **self.credentials(account))

    def env(self) -> dict[str, str]:
        """Environment for a subprocess (e.g. the pkgscan CLI) to talk to the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_DEFAULT_REGION": self.default_region,
            "AWS_REGION": self.default_region,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
            "AWS_RETRY_MODE": "standard",
        }

    def account_for(self, access_key: str | None) -> str:
        if access_key and len(access_key) == 12 and access_key.isdigit():
            return access_key
        if access_key and access_key in self._assumed:
            return self._assumed[access_key]
        return self.account_id

    def _role_denied(self, info: RequestInfo) -> bool:
        params = parse_qs(info.body.decode("utf-8", "replace"))
        return (params.get("RoleArn") or [""])[0] in self.denied_roles

    def _remember_assumed_role(self, info: RequestInfo, body: bytes) -> None:
        """Credentials from AssumeRole act in the role's account (as they do in AWS)."""
        import re as _re

        params = parse_qs(info.body.decode("utf-8", "replace"))
        role_arn = (params.get("RoleArn") or [""])[0]
        parts = role_arn.split(":")
        key = _re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        if len(parts) > 4 and parts[4].isdigit() and key:
            self._assumed[key.group(1).decode()] = parts[4]

    # ------------------------------------------------------------------ moto access
    def s3_get(self, account: str, bucket: str, key: str, version: str | None = None) -> bytes | None:
        from moto.s3.models import s3_backends

        be = s3_backends[account]["aws"]
        for vid in ([version, None] if version else [None]):
            try:
                obj = be.get_object(bucket, key, version_id=vid)
            except Exception:
                obj = None
            if obj is not None:
                return obj.value
        return None

    def s3_put(self, account: str, bucket: str, key: str, data: bytes) -> None:
        from moto.s3.models import s3_backends

        s3_backends[account]["aws"].put_object(bucket, key, data)

    def lambda_backend(self, region: str, account: str | None = None):
        return self.lambda_.backend(account or self.account_id, region)

    # ------------------------------------------------------------------ forwarding
    def _moto_conn(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "port", None) != self.moto_port:
            conn = http.client.HTTPConnection("127.0.0.1", self.moto_port, timeout=120)
            conn.connect()
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._local.conn, self._local.port = conn, self.moto_port
        return conn

    def forward(self, info: RequestInfo) -> tuple[int, dict[str, str], bytes]:
        path = info.raw_path + ("?" + info.raw_query if info.raw_query else "")
        headers = {k: v for k, v in info.headers.items() if k not in _HOP_BY_HOP and k != "host"}
        headers["host"] = f"127.0.0.1:{self.moto_port}"
        headers["x-moto-account-id"] = info.account
        headers["content-length"] = str(len(info.body))
        for attempt in (0, 1):
            conn = self._moto_conn()
            try:
                conn.request(info.method, path, body=info.body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                break
            except (http.client.HTTPException, OSError):
                conn.close()
                self._local.conn = None
                if attempt:
                    raise
        out: dict[str, str] = {}
        for k, v in resp.getheaders():
            lk = k.lower()
            if lk in _HOP_BY_HOP and not (lk == "content-length" and info.method == "HEAD"):
                continue
            if lk in ("server", "date"):
                continue
            out[k] = v
        return resp.status, out, data

    # ------------------------------------------------------------------ request handling
    @staticmethod
    def _read_body(h: BaseHTTPRequestHandler) -> bytes:
        if "chunked" in (h.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = h.rfile.readline().strip()
                size = int(line.split(b";")[0] or b"0", 16)
                if size == 0:
                    while h.rfile.readline().strip():
                        pass
                    break
                chunks.append(h.rfile.read(size))
                h.rfile.readline()
            return b"".join(chunks)
        n = int(h.headers.get("Content-Length") or 0)
        return h.rfile.read(n) if n else b""

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        h.send_response(status)
        has_len = False
        for k, v in headers.items():
            if k.lower() == "content-length":
                has_len = True
            h.send_header(k, v)
        if not has_len:
            h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        if h.command != "HEAD" and body:
            h.wfile.write(body)

    def _resources(self, info: RequestInfo) -> list[str]:
        """Names/ARNs a request is about, for resource-scoped faults."""
        pairs: list[tuple[str, str]] = list(info.path_params.items())
        for k in ("Arn", "FunctionName"):
            if info.q(k):
                pairs.append((k, info.q(k) or ""))
        if info.protocol in ("json", "rest-json") and isinstance(info.json(), dict):
            for k in ("FunctionName", "LayerName", "profileName", "jobId"):
                v = info.json().get(k)
                if isinstance(v, str):
                    pairs.append((k, v))
        out: list[str] = []
        for k, v in pairs:
            out.append(v)
            if info.service == "lambda" and (k == "FunctionName" or ":function:" in v):
                name, qual, acct, reg = split_function_ref(v)
                base = f"arn:aws:lambda:{reg or info.region}:{acct or info.account}:function:{name}"
                out += [name, base] + ([f"{base}:{qual}"] if qual else [])
        return out

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        body = self._read_body(h)
        if parts.path.startswith("/download/"):
            self._serve_download(h, parts.path[len("/download/"):], parse_qs(parts.query, keep_blank_values=True), headers)
            return
        info = RequestInfo(method=h.command, raw_path=parts.path, raw_query=parts.query,
                           query=parse_qs(parts.query, keep_blank_values=True), headers=headers, body=body)
        identify(info)
        info.account = self.account_for(info.access_key)
        call = ApiCall(time=self.clock.time(), service=info.service, operation=info.operation,
                       region=info.region, account=info.account, params={})
        try:
            call.params = params_summary(info)
        except Exception:  # pragma: no cover
            pass
        self.log.add_call(call)
        try:
            if not info.service:
                info.protocol = "rest-json"
                raise ApiError("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            fault = self.faults.fire(API_FAULTS, info.service, info.operation, info.region,
                                     self._resources(info))
            if fault is not None:
                call.fault = fault.kind
                call.handled_by = "fault"
                if fault.kind == "throttle":
                    raise throttle_error(info, fault.retry_after)
                if fault.kind == "server_error":
                    raise server_error(info, fault.status)
                if fault.kind == "deny":
                    raise access_denied_error(
                        info, f"on resource: * with an explicit deny in a service control policy "
                              f"(region {info.region} is not allowed)")
                if fault.kind == "drop_api":
                    call.status = 0
                    h.close_connection = True
                    h.connection.shutdown(socket.SHUT_RDWR)
                    return
            if self.allowed_actions is not None and not any(
                    fnmatch.fnmatchcase(call.iam_action, p) for p in self.allowed_actions):
                call.handled_by = "policy"
                raise access_denied_error(info, "because no identity-based policy allows the action")
            if info.service == "lambda" and self.lambda_.handles(info.operation):
                call.handled_by = "emulator"
                status, rheaders, rbody = self.lambda_.handle(info)
            elif info.service == "ecr" and self.ecr.handles(info.operation):
                call.handled_by = "emulator"
                status, rheaders, rbody = self.ecr.handle(info)
            elif info.service == "signer":
                call.handled_by = "emulator"
                status, rheaders, rbody = self.signer.handle(info)
            elif info.service == "sts" and info.operation == "AssumeRole" and self._role_denied(info):
                call.handled_by = "policy"
                raise access_denied_error(info, "because the role's trust policy does not allow this principal")
            else:
                call.handled_by = "moto"
                status, rheaders, rbody = self.forward(info)
                if info.service == "sts" and info.operation == "AssumeRole" and status == 200:
                    self._remember_assumed_role(info, rbody)
            rheaders.setdefault("x-amzn-RequestId", info.request_id)
        except ApiError as e:
            status, rheaders, rbody = render_error(info, e)
            call.error = e.code
        except Exception as e:  # a bug in the emulator: make it visible
            tb = traceback.format_exc()
            self.bugs.append(f"{info.service} {info.operation}: {tb}")
            log.error("emulator error on %s %s: %s", info.service, info.operation, tb)
            err = ApiError("ServiceException", f"emulator error: {type(e).__name__}: {e}", 500)
            status, rheaders, rbody = render_error(info, err)
            call.error = "EmulatorBug:" + type(e).__name__
        call.status = status
        if status >= 400 and call.error is None and rheaders:
            call.error = next((v for k, v in rheaders.items() if k.lower() == "x-amzn-errortype"), None) or str(status)
        self._send(h, status, rheaders, rbody)

    # ------------------------------------------------------------------ downloads
    def _serve_download(self, h: BaseHTTPRequestHandler, token: str, query: dict[str, list[str]],
                        headers: dict[str, str]) -> None:
        q = {k: v[0] for k, v in query.items()}
        tgt = self.downloads.get(token)
        d = Download(time=self.clock.time(), token=token, kind=tgt.kind if tgt else None,
                     target=tgt.target if tgt else None,
                     function_name=tgt.function_name if tgt else None,
                     region=tgt.region if tgt else None, code_sha256=tgt.sha if tgt else None,
                     size=len(tgt.data) if tgt else 0)
        self.log.add_download(d)
        rid = base64.b16encode(hashlib.md5(f"{token}{d.time}".encode()).digest()[:8]).decode()
        xml_headers = {"Content-Type": "application/xml", "x-amz-request-id": rid}

        def fail(status: int, code: str, msg: str, extra: dict[str, str] | None = None) -> None:
            d.status, d.error = status, code
            self._send(h, status, xml_headers, _s3_error(code, msg, {**(extra or {}), "RequestId": rid}))

        if "authorization" in headers:
            return fail(400, "InvalidArgument", "Only one auth mechanism allowed; only the X-Amz-Algorithm "
                        "query parameter, Signature query string parameter or the Authorization header "
                        "should be specified", {"ArgumentName": "Authorization"})
        need = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Signature")
        if any(k not in q for k in need):
            return fail(400, "AuthorizationQueryParametersError",
                        "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                        "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                        "X-Amz-Expires parameters.")
        expected = self.downloads._sign(token, q["X-Amz-Credential"], q["X-Amz-Date"], q["X-Amz-Expires"])
        if not hmac.compare_digest(expected, q["X-Amz-Signature"]) or q["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
            return fail(403, "SignatureDoesNotMatch", "The request signature we calculated does not match "
                        "the signature you provided. Check your key and signing method.")
        try:
            signed_at = datetime.strptime(q["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
            expires = int(q["X-Amz-Expires"])
        except ValueError:
            return fail(400, "AuthorizationQueryParametersError", "Invalid X-Amz-Date or X-Amz-Expires")
        now = self.clock.now()
        expired_extra = {"X-Amz-Expires": str(expires),
                         "Expires": (datetime.fromtimestamp(signed_at.timestamp() + expires, timezone.utc)
                                     .strftime("%Y-%m-%dT%H:%M:%SZ")),
                         "ServerTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
        if now.timestamp() > signed_at.timestamp() + expires:
            return fail(403, "AccessDenied", "Request has expired", expired_extra)
        if tgt is None:
            return fail(404, "NoSuchKey", "The specified key does not exist.")
        resources = [tgt.target, tgt.function_name or ""]
        if tgt.kind == "function":
            resources.append(tgt.target.rsplit(":", 1)[0])
        else:
            resources.append(tgt.target.rsplit(":", 1)[0].rsplit(":", 1)[-1])  # layer name
        fault = self.faults.fire(DOWNLOAD_FAULTS, "s3", "GetObject", tgt.region, resources)
        if fault is not None:
            d.fault = fault.kind
            if fault.kind == "expire":
                return fail(403, "AccessDenied", "Request has expired", expired_extra)
        data = tgt.data
        status = 200
        out_headers = {"Content-Type": "application/zip", "x-amz-request-id": rid,
                       "ETag": '"' + hashlib.md5(data).hexdigest() + '"',
                       "Last-Modified": tgt.issued.strftime("%a, %d %b %Y %H:%M:%S GMT"),
                       "Accept-Ranges": "bytes"}
        rng = headers.get("range")
        body = data
        if rng and rng.startswith("bytes="):
            try:
                a, _, b = rng[6:].partition("-")
                start = int(a) if a else max(0, len(data) - int(b))
                end = int(b) if (a and b) else len(data) - 1
                end = min(end, len(data) - 1)
                if start > end:
                    raise ValueError
            except ValueError:
                return fail(416, "InvalidRange", "The requested range is not satisfiable")
            body = data[start : end + 1]
            status = 206
            out_headers["Content-Range"] = f"bytes {start}-{end}/{len(data)}"
        if fault is not None and fault.kind == "corrupt":
            b = bytearray(body)
            for i in range(len(b) // 3, len(b), max(1, len(b) // 7)):
                b[i] ^= 0xFF
            body = bytes(b)
        d.status = status
        if h.command == "HEAD":
            out_headers["Content-Length"] = str(len(body))
            self._send(h, status, out_headers, b"")
            return
        if fault is not None and fault.kind == "drop":
            h.send_response(status)
            for k, v in out_headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            half = body[: len(body) // 2]
            d.bytes_sent = len(half)
            h.wfile.write(half)
            h.wfile.flush()
            h.close_connection = True
            try:
                h.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        d.bytes_sent = len(body)  # before writing: the client may look at the log as soon as it has the body
        try:
            self._send(h, status, out_headers, body)
        except OSError:
            d.bytes_sent, d.error = 0, "client-disconnected"
            raise
