"""A loopback stand-in for osv.dev's API: ``POST /v1/querybatch`` and ``GET /v1/vulns/{id}``.

Served from the real committed OSV exports; matching is this package's independent implementation
of the OSV evaluation algorithm.  Like osv.dev:

* querybatch answers ``{"results": [{"vulns": [{"id", "modified"}, ...]}, ...]}`` - only id and
  modified - with ``{}`` for a query without results; withdrawn records are returned too;
* more than 1000 queries in one call are rejected with HTTP 400;
* results longer than ``page_size`` are paged: the result carries ``next_page_token`` and the
  client repeats that query with ``page_token``;
* an unknown id is a 404 on ``/v1/vulns/{id}``.

``counts`` has one entry per endpoint ("querybatch", "vulns") plus ``vulns_by_id``; see
``LoopbackServer`` for fault injection.
"""
from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Iterable
from urllib.parse import unquote, urlsplit

from . import EXPORTS, LoopbackServer, RecordIndex, json_response, load_records

MAX_QUERIES = 1000


def _token(query: dict, offset: int) -> str:
    raw = json.dumps({"q": [query.get("package", {}).get("ecosystem"), query.get("package", {}).get("name"),
                            query.get("version")], "o": offset})
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _offset(query: dict, token: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except ValueError:
        return None
    want = [query.get("package", {}).get("ecosystem"), query.get("package", {}).get("name"), query.get("version")]
    if data.get("q") != want or not isinstance(data.get("o"), int):
        return None
    return data["o"]


class OsvApiServer(LoopbackServer):
    def __init__(self, records: Iterable[dict] | None = None, page_size: int | None = None):
        super().__init__()
        self.index = RecordIndex(load_records(EXPORTS) if records is None else records)
        #: results per query and page; None = no paging
        self.page_size = page_size
        self.vulns_by_id: Counter[str] = Counter()
        #: number of queries in each querybatch call that was answered (faults excluded)
        self.batch_sizes: list[int] = []
        #: querybatch calls that carried at least one page_token
        self.paged_calls = 0

    def reset(self) -> None:
        super().reset()
        self.vulns_by_id.clear()
        self.batch_sizes.clear()
        self.paged_calls = 0

    def endpoint(self, method: str, path: str) -> str:
        p = urlsplit(path).path
        if method == "POST" and p == "/v1/querybatch":
            return "querybatch"
        if method == "GET" and p.startswith("/v1/vulns/"):
            return "vulns"
        return "other"

    def route(self, handler, method: str, path: str, body: bytes):
        endpoint = self.endpoint(method, path)
        if endpoint == "querybatch":
            return self._querybatch(body)
        if endpoint == "vulns":
            vid = unquote(urlsplit(path).path[len("/v1/vulns/"):])
            with self._lock:
                self.vulns_by_id[vid] += 1
            rec = self.index.by_id.get(vid)
            if rec is None:
                return json_response(404, {"code": 5, "message": "Bug not found."})
            return json_response(200, rec)
        return json_response(404, {"code": 5, "message": "Not Found"})

    def _querybatch(self, body: bytes):
        try:
            payload = json.loads(body)
            queries = payload["queries"]
            if not isinstance(queries, list):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return json_response(400, {"code": 3, "message": "Invalid request"})
        if len(queries) > MAX_QUERIES:
            return json_response(400, {"code": 3, "message": f"Too many queries (max {MAX_QUERIES})."})
        with self._lock:
            self.batch_sizes.append(len(queries))
            if any(isinstance(q, dict) and q.get("page_token") for q in queries):
                self.paged_calls += 1
        results = []
        for q in queries:
            pkg = q.get("package") if isinstance(q, dict) else None
            if not isinstance(pkg, dict) or not pkg.get("name") or not pkg.get("ecosystem"):
                return json_response(400, {"code": 3, "message": "Invalid query: package name and ecosystem required"})
            version = q.get("version")
            hits = self.index.matching(str(pkg["ecosystem"]), str(pkg["name"]), None if version is None else str(version))
            start = 0
            if q.get("page_token"):
                start = _offset(q, str(q["page_token"]))
                if start is None:
                    return json_response(400, {"code": 3, "message": "Invalid page token"})
            end = len(hits) if self.page_size is None else start + self.page_size
            res: dict = {}
            page = hits[start:end]
            if page:
                res["vulns"] = [{"id": r["id"], "modified": r.get("modified", "")} for r in page]
            if end < len(hits):
                res["next_page_token"] = _token(q, end)
            results.append(res)
        return json_response(200, {"results": results})
