#!/usr/bin/env python3
"""Independent signature vectors for bridge-core's tests, computed with Python's hmac.

Prints JSON to stdout. Regenerate the committed copy with:
    python3 scripts/signing_vectors.py > crates/bridge-core/tests/fixtures/signing-vectors.json
"""
import base64
import hashlib
import hmac
import json

BODY_1K = json.dumps({"event": "message.created", "deliveryId": "d_bench", "data": {"text": "x" * 900}}, separators=(",", ":"))

JAIBBER = [
    ("whsec_test_secret", '{"event":"message.created","deliveryId":"d_1"}'),
    ("whsec_abc", ""),
    ("plain secret with spaces", '{"text":"héllo @Coder ✓"}'),
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", BODY_1K),
]

STANDARD = [
    ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'),
    ("whsec_" + base64.b64encode(bytes(range(32))).decode(), "msg_2", 1772280000, '{"text":"héllo ✓"}'),
    ("whsec_" + base64.b64encode(b"k" * 24).decode(), "d_3", 1700000000, BODY_1K),
]


def jaibber(secret, body):
    digest = hmac.new(secret.encode("utf-8"), body.encode("utf-8"), hashlib.sha256).hexdigest()
    return "sha256=" + digest


def standard(secret, msg_id, ts, body):
    key = base64.b64decode(secret[len("whsec_"):])
    content = f"{msg_id}.{ts}.{body}".encode("utf-8")
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


print(json.dumps({
    "jaibber": [{"secret": s, "body": b, "signature": jaibber(s, b)} for s, b in JAIBBER],
    "standard": [
        {"secret": s, "msg_id": i, "timestamp": t, "body": b, "signature": standard(s, i, t, b)}
        for s, i, t, b in STANDARD
    ],
}, indent=2, ensure_ascii=False))
