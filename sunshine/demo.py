"""`sunshine demo`: a county's procurement registry, every event signed by its actor.

Keys are derived from fixed seeds so the demo is the same on every machine; they
are written to <data>/demo-keys/ so a newcomer can sign commands with them. Demo
keys are public knowledge: never use them for a real ledger.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger import signing
from ledger.application import Ledger

REGION = "清河县"
FINANCE = ("qhx-czj", "清河县财政局政府采购监督管理办公室", "finance_office")
ADMIN = "qhx-czj-admin"

ORGANISATIONS: list[tuple[str, str, str]] = [
    ("qhx-rmyy", "清河县人民医院", "purchaser"),
    ("qhx-zyy", "清河县中医医院", "purchaser"),
    ("qhx-jyj", "清河县教育局", "purchaser"),
    ("qhx-yz", "清河县第一中学", "purchaser"),
    ("qhx-jtysj", "清河县交通运输局", "purchaser"),
    ("qhx-wjw", "清河县卫生健康委员会", "purchaser"),
    ("qhx-nyncj", "清河县农业农村局", "purchaser"),
    ("qhx-slj", "清河县水利局", "purchaser"),
    ("qhx-ggzy", "清河县公共资源交易中心", "agency"),
    ("qhx-hyzb", "河北恒远招标代理有限公司", "agency"),
    ("hb-kangtai", "河北康泰医疗器械有限公司", "supplier"),
    ("hb-zhiyuan", "石家庄智远教育科技有限公司", "supplier"),
    ("hb-luqiao", "邢台市路桥建设集团有限公司", "supplier"),
    ("hb-xinda", "河北信达信息技术有限公司", "supplier"),
    ("hb-huamei", "华美办公用品（河北）有限公司", "supplier"),
    ("bj-anxin", "北京安信物业管理有限公司", "supplier"),
    ("hb-nongke", "河北农科种业有限公司", "supplier"),
    ("hb-shuiyun", "河北水运工程有限公司", "supplier"),
    ("qhx-jw", "清河县纪委监委", "inspector"),
    ("qhx-sjj", "清河县审计局", "inspector"),
    ("qhx-fbfw", "清河县政府采购信息发布服务", "publisher"),
]

PEOPLE = [
    "王建国",
    "李秀英",
    "张伟",
    "刘洋",
    "陈静",
    "杨帆",
    "赵磊",
    "黄敏",
    "周杰",
    "吴芳",
    "徐明",
    "孙丽",
    "马超",
    "朱婷",
    "胡斌",
    "郭强",
    "何雪",
    "高峰",
    "林涛",
    "罗娟",
    "梁晨",
]


def demo_key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(f"sunshine-demo:{name}".encode()).digest()
    )


@dataclass
class DemoSummary:
    organisations: int
    actors: int
    keys: int
    size: int


class DemoBuilder:
    def __init__(self, ledger: Ledger, keys_dir: Path):
        self.ledger = ledger
        self.keys_dir = keys_dir
        self.admin = demo_key(ADMIN)
        self.counts = {"organisations": 0, "actors": 0, "keys": 0}

    def _submit(
        self,
        kind: str,
        payload: dict[str, Any],
        actor: str = ADMIN,
        key: Ed25519PrivateKey | None = None,
    ) -> None:
        signer = key or self.admin
        body = signing.sign(signing.new_command(kind, payload, actor=actor, key=signer), signer)
        self.ledger.submit(json.dumps(body, ensure_ascii=False).encode())

    def _save_key(self, name: str, key: Ed25519PrivateKey) -> None:
        path = self.keys_dir / f"{name}.pem"
        if not path.exists():
            signing.write_key(path, key)

    def build(self) -> DemoSummary:
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        self._save_key(ADMIN, self.admin)
        genesis = signing.new_command(
            "Genesis",
            {
                "organisation": {
                    "code": FINANCE[0],
                    "name": FINANCE[1],
                    "region": REGION,
                    "address": "清河县武松路88号",
                },
                "administrator": {"code": ADMIN, "name": "赵志刚"},
                "public_key": signing.public_b64(self.admin),
            },
            actor=ADMIN,
            key=self.admin,
        )
        self.ledger.genesis(json.dumps(signing.sign(genesis, self.admin)).encode())
        self.counts = {"organisations": 1, "actors": 1, "keys": 1}
        for n, (code, name, kind) in enumerate(ORGANISATIONS):
            self._submit(
                "RegisterOrganisation", {"code": code, "name": name, "kind": kind, "region": REGION}
            )
            actor = f"{code}-{'svc' if kind == 'publisher' else 'op'}"
            self._submit(
                "RegisterActor",
                {
                    "code": actor,
                    "organisation": code,
                    "role": kind,
                    "name": PEOPLE[n % len(PEOPLE)],
                },
            )
            key = demo_key(actor)
            self._submit("RegisterKey", {"actor": actor, "public_key": signing.public_b64(key)})
            self._save_key(actor, key)
            self.counts["organisations"] += 1
            self.counts["actors"] += 1
            self.counts["keys"] += 1
        # An organisation keeps its own details current.
        hospital = demo_key("qhx-rmyy-op")
        self._submit(
            "AmendOrganisation",
            {"code": "qhx-rmyy", "address": "清河县长江路12号"},
            actor="qhx-rmyy-op",
            key=hospital,
        )
        # A supplier reports a lost key: the old one is revoked, a new one registered.
        lost = demo_key("hb-xinda-op")
        self._submit(
            "RevokeKey",
            {"key_id": signing.key_id(lost), "reason": "笔记本电脑遗失，密钥作废"},
            actor="hb-xinda-op",
            key=lost,
        )
        replacement = demo_key("hb-xinda-op#2")
        self._submit(
            "RegisterKey", {"actor": "hb-xinda-op", "public_key": signing.public_b64(replacement)}
        )
        (self.keys_dir / "hb-xinda-op.pem").unlink(missing_ok=True)
        self._save_key("hb-xinda-op", replacement)
        self.counts["keys"] += 1
        return DemoSummary(size=self.ledger.integrator.integrate(), **self.counts)
