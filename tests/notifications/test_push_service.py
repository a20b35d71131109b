"""A real Web Push service on 127.0.0.1 for tests, and browser-made subscriptions.

``PushService`` is an HTTP server in a thread that accepts what a push service accepts
(RFC 8030 ``POST`` to a subscription's endpoint) and records each request. Each path
can be told to answer with another status (410 for a gone device, 500 for a failure).
``BrowserKeys`` is what a browser makes when it subscribes: a P-256 key pair and a
16-byte auth secret; it decrypts a recorded body (RFC 8291, aes128gcm) and checks the
VAPID ``Authorization`` header (RFC 8292) the way a push service does.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class PushRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    requests: list[PushRequest] = field(default_factory=list)
    # path → list of statuses to answer in turn (the last one repeats); default 201.
    answers: dict[str, list[int]] = field(default_factory=dict)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def to(self, path: str) -> list[PushRequest]:
        return [request for request in self.requests if request.path == path]

    def answer(self, path: str) -> int:
        statuses = self.answers.get(path)
        if not statuses:
            return 201
        return statuses.pop(0) if len(statuses) > 1 else statuses[0]


def _handler(service: PushService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            service.requests.append(
                PushRequest(
                    "POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
            )
            status = service.answer(self.path)
            self.send_response(status)
            if status == 201:
                self.send_header("Location", f"{service.origin}/message/{len(service.requests)}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    service.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class BrowserKeys:
    """The keys a browser makes for one push subscription."""

    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth_b64(self) -> str:
        return b64url(self.auth)

    def subscription_json(self, endpoint: str, label: str = "") -> dict[str, Any]:
        """What ``PushSubscription.toJSON()`` gives, plus Loom's device label."""
        return {
            "endpoint": endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth_b64},
            "label": label,
        }

    def decrypt(self, body: bytes) -> Any:
        plain = http_ece.decrypt(
            body, private_key=self.private_key, auth_secret=self.auth, version="aes128gcm"
        )
        return json.loads(plain.decode("utf-8"))


def verify_vapid(authorization: str, *, public_key: str, audience: str) -> dict[str, Any]:
    """Checks ``vapid t=<jwt>,k=<key>`` like a push service; returns the JWT's claims."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid", authorization
    parts = dict(item.strip().split("=", 1) for item in params.split(","))
    assert parts["k"] == public_key
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    header = json.loads(unb64url(header_b64))
    assert header == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    assert len(signature) == 64
    der = encode_dss_signature(
        int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    )
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    try:
        key.verify(der, f"{header_b64}.{claims_b64}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:  # pragma: no cover - the assertion message is the point
        raise AssertionError("The VAPID signature does not verify.") from None
    claims: dict[str, Any] = json.loads(unb64url(claims_b64))
    assert claims["aud"] == audience
    now = time.time()
    # RFC 8292: in the future, and no more than 24 hours ahead.
    assert now < claims["exp"] <= now + 24 * 60 * 60
    assert claims["sub"].startswith(("mailto:", "https:"))
    return claims


# --- The checks above refuse what a push service refuses ----------------------------------


def test_the_vapid_check_refuses_a_tampered_token_and_a_foreign_audience() -> None:
    from py_vapid import Vapid

    key = ec.generate_private_key(ec.SECP256R1())
    public = b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    claims = {
        "sub": "mailto:admin@loom.test",
        "aud": "http://127.0.0.1:1",
        "exp": int(time.time()) + 60,
    }
    header = Vapid(key).sign(dict(claims))["Authorization"]
    assert (
        verify_vapid(header, public_key=public, audience="http://127.0.0.1:1")["exp"]
        == claims["exp"]
    )
    with pytest.raises(AssertionError):
        verify_vapid(header, public_key=public, audience="http://127.0.0.1:2")
    token = header.split("t=", 1)[1].split(",", 1)[0]
    head, _claims, signature = token.split(".")
    forged_claims = b64url(json.dumps({**claims, "aud": "http://127.0.0.1:2"}).encode())
    forged = header.replace(token, f"{head}.{forged_claims}.{signature}")
    with pytest.raises(AssertionError):
        verify_vapid(forged, public_key=public, audience="http://127.0.0.1:2")


def test_only_the_subscriptions_own_keys_decrypt_a_body() -> None:
    from pywebpush import WebPusher

    browser, stranger = BrowserKeys(), BrowserKeys()
    info = {
        "endpoint": "http://127.0.0.1:1/p",
        "keys": {"p256dh": browser.p256dh, "auth": browser.auth_b64},
    }
    body = WebPusher(info).encode(b'{"hello": "world"}', "aes128gcm")["body"]
    assert browser.decrypt(body) == {"hello": "world"}
    with pytest.raises(Exception):  # noqa: B017 (http_ece raises its own or cryptography's)
        BrowserKeys(private_key=stranger.private_key, auth=browser.auth).decrypt(body)
