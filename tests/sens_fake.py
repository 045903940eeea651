"""A local stand-in for NAVER Cloud's SENS SMS API v2, written from its published contract
(api.ncloud-docs.com: sens-overview, sens-sms-send, sens-sms-list, sens-sms-get): a real HTTP
server on 127.0.0.1 that checks every request's signature and timestamp as the API gateway
does, takes texts with 202, and answers receipts as the test scripts them per number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SERVICE = "ncp:sms:kr:100000000001:safewatch"
ACCESS, SECRET = "test-access-key", "test-secret-key-for-sens"


@dataclass
class Sent:
    request_id: str
    message_id: str
    body: dict[str, Any]
    to: str


@dataclass
class FakeSens:
    """``outcome[number]``: "success" (default), "fail" or "processing"; ``down``: every
    request answers 500."""

    outcome: dict[str, str] = field(default_factory=dict)
    sent: list[Sent] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # why requests were refused
    down: bool = False
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeSens:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                fake.answer(self, "POST")

            def do_GET(self) -> None:
                fake.answer(self, "GET")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def answer(self, h: BaseHTTPRequestHandler, method: str) -> None:
        if self.down:
            return _reply(h, 500, {"error": {"errorCode": "500", "message": "down"}})
        problem = _unsigned(h, method)
        if problem:
            self.refused.append(problem)
            return _reply(h, 401, {"error": {"errorCode": "200", "message": problem}})
        path = urlsplit(h.path)
        base = f"/sms/v2/services/{SERVICE}/messages"
        if method == "POST" and path.path == base:
            body = json.loads(h.rfile.read(int(h.headers["Content-Length"])))
            request_id = uuid.uuid4().hex
            for m in body["messages"]:
                self.sent.append(Sent(request_id, str(uuid.uuid4()), body, m["to"]))
            return _reply(
                h,
                202,
                {
                    "requestId": request_id,
                    "requestTime": time.strftime("%Y-%m-%dT%H:%M:%S.000"),
                    "statusCode": "202",
                    "statusName": "success",
                },
            )
        if method == "GET" and path.path == base:
            [request_id] = parse_qs(path.query)["requestId"]
            listed = [
                {"messageId": s.message_id, "to": s.to, "from": s.body["from"]}
                for s in self.sent
                if s.request_id == request_id
            ]
            return _reply(
                h, 200, {"requestId": request_id, "statusCode": "202", "messages": listed}
            )
        if method == "GET" and path.path.startswith(base + "/"):
            message_id = path.path.rsplit("/", 1)[1]
            [s] = [s for s in self.sent if s.message_id == message_id]
            return _reply(h, 200, {"statusCode": "202", "messages": [self._result(s)]})
        return _reply(h, 404, {"error": {"errorCode": "404", "message": "not found"}})

    def _result(self, s: Sent) -> dict[str, Any]:
        outcome = self.outcome.get(s.to, "success")
        result = {"to": s.to, "content": s.body["content"], "status": "PROCESSING"}
        if outcome == "success":
            result |= {
                "status": "COMPLETED",
                "statusCode": "0",
                "statusName": "success",
                "statusMessage": "성공",
                "completeTime": "2026-12-07 21:00:05",  # Korean time: 12:00:05 UTC
                "telcoCode": "SKT",
            }
        elif outcome == "fail":
            result |= {
                "status": "COMPLETED",
                "statusCode": "3018",
                "statusName": "fail",
                "statusMessage": "전원 꺼짐",
                "completeTime": "2026-12-07 21:00:09",
            }
        return result


def _unsigned(h: BaseHTTPRequestHandler, method: str) -> str:
    """Why the API gateway would refuse this request ("" when it would not)."""
    timestamp = h.headers.get("x-ncp-apigw-timestamp", "")
    if h.headers.get("x-ncp-iam-access-key") != ACCESS:
        return "unknown access key"
    if not timestamp.isdigit() or abs(int(timestamp) / 1000 - time.time()) > 300:
        return "timestamp more than five minutes off"
    message = f"{method} {h.path}\n{timestamp}\n{ACCESS}".encode()
    expected = base64.b64encode(hmac.new(SECRET.encode(), message, hashlib.sha256).digest())
    if h.headers.get("x-ncp-apigw-signature-v2", "").encode() != expected:
        return "signature does not match"
    return ""


def _reply(h: BaseHTTPRequestHandler, code: int, body: dict[str, Any]) -> None:
    data = json.dumps(body, ensure_ascii=False).encode()
    h.send_response(code)
    h.send_header("Content-Type", "application/json; charset=utf-8")
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


# A production hub's SMS account (production refuses the development folder).
PRODUCTION_SMS: dict[str, Any] = {
    "sms_gateway": "sens",
    "sms_sender": "1588-0112",
    "sens_service_id": SERVICE,
    "sens_access_key": ACCESS,
    "sens_secret_key": SECRET,
}


def production_sms_env(monkeypatch: Any) -> None:
    for name, value in PRODUCTION_SMS.items():
        monkeypatch.setenv(f"SAFEWATCH_{name.upper()}", value)
