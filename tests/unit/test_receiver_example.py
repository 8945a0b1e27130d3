"""publisher/README.md's receiver takes what the publisher sends and refuses anything else:
a changed body, another key, a wrong secret, an old timestamp, a key not in whpk_ form."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from standardwebhooks import WebhookVerificationError

from publisher import webhooks

README = Path(__file__).parents[2] / "publisher" / "README.md"
SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


def receiver() -> Any:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### A receiver") :]
    found = re.search(r"```python\n(.*?)```", section, re.S)
    assert found is not None
    namespace: dict[str, Any] = {}
    exec(compile(found.group(1), str(README), "exec"), namespace)  # our own README's block
    return namespace["receive"]


def test_the_readme_receiver_takes_the_publishers_notices_and_only_them() -> None:
    receive = receiver()
    key = Ed25519PrivateKey.generate()
    whpk = webhooks.public_key(key.public_key())
    body = '{"type":"notice.tender","data":{"title":"澄溪县"}}'.encode()
    msg_id = "msg_1_0101010101010101_site"
    signed = webhooks.headers(msg_id, body, key, SECRET)
    assert receive(body, signed, whpk, SECRET)["data"]["title"] == "澄溪县"
    assert receive(body, webhooks.headers(msg_id, body, key), whpk)["type"] == "notice.tender"

    with pytest.raises(InvalidSignature):
        receive(body.replace("澄溪县".encode(), "别的县".encode()), webhooks.headers(
            msg_id, body, key), whpk)  # fmt: skip
    other = webhooks.public_key(Ed25519PrivateKey.generate().public_key())
    with pytest.raises(InvalidSignature):
        receive(body, signed, other)
    with pytest.raises(WebhookVerificationError):
        receive(body, signed, whpk, "whsec_" + base64.b64encode(b"x" * 32).decode())
    old = webhooks.headers(msg_id, body, key, moment=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(ValueError, match="5 minutes"):
        receive(body, old, whpk)
    with pytest.raises(ValueError, match="whpk_"):
        receive(body, signed, whpk[5:])
