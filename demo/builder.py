"""`sunshine demo`: a county's registry and its year of procurement, every event signed
by its actor.

The registry (the finance office, purchasers, agencies, suppliers, inspectors) comes first,
then the year of ``demo.year``. Keys are derived from fixed seeds so the demo is the
same on every machine; they are written to <data>/demo-keys/ so a newcomer can sign commands
with them. Demo keys are public knowledge: never use them for a real ledger.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from demo.catalogue import DEBARMENT, person
from demo.identities import identity
from demo.keys import demo_key as demo_key  # where the CLI and tests find it
from demo.year import CITY_FINANCE, END, EXPERT_POOL, EXPERTS, DemoYear
from ledger import signing
from ledger.application import Ledger
from ledger.bulk import BulkLoader
from ledger.domain.context import china_day
from ledger.domain.sealed import Disclosure
from ledger.statute_payloads import package_calendar_payload, packaged_time_limits_payload

REGION = "澄溪县"
FINANCE = ("qhx-czj", "澄溪县财政局政府采购监督管理办公室", "finance_office")
ADMIN = "qhx-czj-admin"

ORGANISATIONS: list[tuple[str, str, str]] = [
    ("qhx-rmyy", "澄溪县人民医院", "purchaser"),
    ("qhx-zyy", "澄溪县中医医院", "purchaser"),
    ("qhx-fybjy", "澄溪县妇幼保健院", "purchaser"),
    ("qhx-cdc", "澄溪县疾病预防控制中心", "purchaser"),
    ("qhx-wjw", "澄溪县卫生健康委员会", "purchaser"),
    ("qhx-jyj", "澄溪县教育局", "purchaser"),
    ("qhx-yz", "澄溪县第一中学", "purchaser"),
    ("qhx-syxx", "澄溪县实验小学", "purchaser"),
    ("qhx-zjzx", "澄溪县职业技术教育中心", "purchaser"),
    ("qhx-jtysj", "澄溪县交通运输局", "purchaser"),
    ("qhx-slj", "澄溪县水利局", "purchaser"),
    ("qhx-nyncj", "澄溪县农业农村局", "purchaser"),
    ("qhx-gaj", "澄溪县公安局", "purchaser"),
    ("qhx-zjj", "澄溪县住房和城乡建设局", "purchaser"),
    ("qhx-cgj", "澄溪县城市管理综合行政执法局", "purchaser"),
    ("qhx-zrzyj", "澄溪县自然资源和规划局", "purchaser"),
    ("qhx-mzj", "澄溪县民政局", "purchaser"),
    ("qhx-wglj", "澄溪县文化广电和旅游局", "purchaser"),
    ("qhx-yjglj", "澄溪县应急管理局", "purchaser"),
    ("qhx-xzfb", "澄溪县人民政府办公室", "purchaser"),
    ("qhx-rsj", "澄溪县人力资源和社会保障局", "purchaser"),
    ("qhx-scjgj", "澄溪县市场监督管理局", "purchaser"),
    ("qhx-ggzy", "澄溪县公共资源交易中心", "agency"),
    ("qhx-hyzb", "云岭恒远招标代理有限公司", "agency"),
    ("hb-zhongtai", "云岭中泰项目管理有限公司", "agency"),
    ("xt-zhengxin", "青峦正信招标代理有限公司", "agency"),
    # Suppliers, by the line of trade demo_catalogue.SECTORS files them under.
    ("hb-kangtai", "云岭康泰医疗器械有限公司", "supplier"),
    ("sjz-renhe", "白鹭仁和医疗设备有限公司", "supplier"),
    ("xt-huakang", "青峦华康医药有限公司", "supplier"),
    ("hb-yikang", "云岭益康医疗科技有限公司", "supplier"),
    ("bj-meidi", "北京美迪医学科技有限公司", "supplier"),
    ("hs-jiankang", "丹霞健康源医疗器械有限公司", "supplier"),
    ("hb-zhiyuan", "白鹭智远教育科技有限公司", "supplier"),
    ("hb-boya", "云岭博雅教学设备有限公司", "supplier"),
    ("xt-qiming", "青峦启明教育装备有限公司", "supplier"),
    ("hs-huati", "丹霞华体体育器材有限公司", "supplier"),
    ("sd-dehui", "山东德汇教育科技有限公司", "supplier"),
    ("hb-xinda", "云岭信达信息技术有限公司", "supplier"),
    ("sjz-zhongke", "白鹭中科信息工程有限公司", "supplier"),
    ("xt-ruixin", "青峦瑞信电子科技有限公司", "supplier"),
    ("bj-hengtong", "北京恒通数据系统有限公司", "supplier"),
    ("hb-tianyuan", "云岭天源网络科技有限公司", "supplier"),
    ("qhx-chuangxin", "澄溪县创新电脑科技有限公司", "supplier"),
    ("hb-huamei", "华美办公用品（云岭）有限公司", "supplier"),
    ("xt-jiayi", "青峦佳艺家具制造有限公司", "supplier"),
    ("qhx-xinghe", "澄溪县兴和办公设备有限公司", "supplier"),
    ("hb-hongtu", "云岭宏图印务有限公司", "supplier"),
    ("hs-meilin", "丹霞美林家具有限公司", "supplier"),
    ("xt-jianye", "青峦建业建筑工程有限公司", "supplier"),
    ("hb-hongda", "云岭宏达建设集团有限公司", "supplier"),
    ("qhx-chengjian", "澄溪县城建工程有限公司", "supplier"),
    ("hb-zhuyuan", "云岭筑远装饰工程有限公司", "supplier"),
    ("xt-guangsha", "青峦广厦建筑安装有限公司", "supplier"),
    ("hb-luqiao", "青峦市路桥建设集团有限公司", "supplier"),
    ("hb-shuiyun", "云岭水运工程有限公司", "supplier"),
    ("hb-huasheng", "云岭华晟市政工程有限公司", "supplier"),
    ("xt-hongyuan", "青峦宏源水利水电工程有限公司", "supplier"),
    ("sd-tongda", "山东通达路桥工程有限公司", "supplier"),
    ("bj-anxin", "北京安信物业管理有限公司", "supplier"),
    ("hb-jiajie", "云岭洁佳环境服务有限公司", "supplier"),
    ("xt-antai", "青峦安泰保安服务有限公司", "supplier"),
    ("sjz-lvyuan", "白鹭绿源园林绿化工程有限公司", "supplier"),
    ("qhx-lejia", "澄溪县乐家物业服务有限公司", "supplier"),
    ("hb-nongke", "云岭农科种业有限公司", "supplier"),
    ("hb-fengshou", "云岭丰收农资连锁有限公司", "supplier"),
    ("xt-wotian", "青峦沃田农业机械有限公司", "supplier"),
    ("hb-kemu", "云岭科牧生物技术有限公司", "supplier"),
    ("hb-chengxin", "云岭诚信工程造价咨询有限公司", "supplier"),
    ("hb-zhongheng", "云岭中衡工程项目管理有限公司", "supplier"),
    ("xt-huayuan", "青峦华源工程设计有限公司", "supplier"),
    ("hb-zhengda", "云岭正达会计师事务所有限公司", "supplier"),
    ("xt-hengxin", "青峦恒信测绘有限公司", "supplier"),
    ("qhx-huimin", "澄溪县惠民农副产品配送有限公司", "supplier"),
    ("xt-xianfeng", "青峦鲜丰食品配送有限公司", "supplier"),
    ("hb-jinhe", "云岭金禾粮油贸易有限公司", "supplier"),
    ("qhx-tongda", "澄溪县通达汽车维修服务有限公司", "supplier"),
    ("xt-shunan", "青峦顺安汽车销售服务有限公司", "supplier"),
    ("hb-hongtai", "云岭宏泰专用汽车有限公司", "supplier"),
    ("xt-shuntong", "青峦顺通石化销售有限公司", "supplier"),
    # The 行政监督部门 of the county's works tenders (招标投标法 第七条): it takes their
    # complaints and written reports.
    ("qhx-zjj-jd", "澄溪县住房和城乡建设局（建设工程招标投标监督）", "supervision_department"),
    ("qhx-jw", "澄溪县纪委监委", "inspector"),
    ("qhx-sjj", "澄溪县审计局", "inspector"),
    ("qhx-fbfw", "澄溪县政府采购信息发布服务", "publisher"),
]

#: The suppliers of the flag cases (``demo.catalogue.CASE_BIDDERS``), registered after the
#: rest so every other organisation's entries and names stay as they were.
CASE_SUPPLIERS: Final = [
    ("hb-jiuding", "云岭九鼎实业有限公司", "supplier"),
    ("hs-boda", "丹霞博达科技有限公司", "supplier"),
    ("sd-huaxin", "山东华信商贸有限公司", "supplier"),
    ("qhx-ruifeng", "澄溪县瑞丰商贸有限公司", "supplier"),
    ("qhx-ruitai", "澄溪县瑞泰科技有限公司", "supplier"),
    ("sjz-yongxin", "白鹭永信医疗器械有限公司", "supplier"),
]

#: The bid box's organisation and actor (its key is the ledger server's own).
BID_BOX: Final = ("qhx-tbx", "qhx-tbx-svc")


#: Commands per batch of the bulk path: one commit and one checkpoint each.
BATCH: Final = 256

#: The day before whose acts the county finance bureau adopts 2026's working calendar.
ADOPT_2026: Final = date(2026, 3, 2)


@dataclass
class DemoSummary:
    organisations: int
    actors: int
    keys: int
    size: int
    procurements: int = 0
    events: int = 0  # commands of the procurement year, one event each


class DemoBuilder:
    def __init__(self, ledger: Ledger, keys_dir: Path, copies: int = 1):
        self.ledger = ledger
        self.keys_dir = keys_dir
        self.copies = copies  # > 1 only for the 10× benchmark
        self.lookup_codes: list[tuple[str, str, str]] = []  # (supplier actor, number, code)
        self.admin = demo_key(ADMIN)
        self.keys = {ADMIN: self.admin}  # each actor's current key
        self.counts = {"organisations": 0, "actors": 0, "keys": 0}
        self.loader = BulkLoader(ledger)
        self._batch: list[tuple[str, bytes]] = []  # (actor, body), signed, not yet submitted

    def _submit(
        self,
        kind: str,
        payload: dict[str, Any],
        actor: str = ADMIN,
        procurement: str | None = None,
        sealed: dict[str, Disclosure] | None = None,
    ) -> None:
        key = self.keys[actor]
        command = signing.new_command(kind, payload, actor=actor, key=key, procurement=procurement)
        body = signing.sign(command, key, sealed)
        self._batch.append((actor, json.dumps(body, ensure_ascii=False).encode()))
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> int:
        """The commands signed so far, through the bulk path; the log's size."""
        batch, self._batch = self._batch, []
        outcome = self.loader.submit_batch([body for _, body in batch])
        if outcome.failures:  # every command of the demo is lawful: a refusal is a bug
            raise RuntimeError(f"the demo's {outcome.failures[0]}")
        for position, lookup in sorted(outcome.lookups.items()):
            # A filed challenge: keep its lookup code for the reader.
            self.lookup_codes.append((batch[position][0], lookup["challenge"], lookup["code"]))
        return outcome.size

    def _register_experts(self) -> None:
        """The city's expert pool 评审专家库 and its experts, each with a key to sign the
        evaluation reports with (written to demo-keys/ like the officials')."""
        code, name, region = EXPERT_POOL
        pool = {"code": code, "name": name, "kind": "evaluation_expert", "region": region}
        self._submit("RegisterOrganisation", pool)
        self.counts["organisations"] += 1
        for actor, person_name in EXPERTS:
            expert = {"code": actor, "organisation": code, "role": "evaluation_expert",
                      "name": person_name}  # fmt: skip
            self._submit("RegisterActor", expert)
            key = demo_key(actor)
            self._submit("RegisterKey", {"actor": actor, "public_key": signing.public_b64(key)})
            self._save_key(actor, key)  # to sign a report on the workbench with
            self.counts["actors"] += 1
            self.counts["keys"] += 1

    def _register_bid_box(self) -> None:
        """The ledger's own bid-box service: its key is the server's, not a demo key."""
        code, actor = BID_BOX
        self._submit(
            "RegisterOrganisation",
            {"code": code, "name": "澄溪县电子投标箱", "kind": "bid_box", "region": REGION},
        )
        self._submit(
            "RegisterActor",
            {"code": actor, "organisation": code, "role": "bid_box", "name": "投标箱服务"},
        )
        self._submit("RegisterKey", {"actor": actor, "public_key": self.ledger.bid_box.public_b64})
        for count in ("organisations", "actors", "keys"):
            self.counts[count] += 1

    def _save_key(self, name: str, key: Ed25519PrivateKey) -> None:
        path = self.keys_dir / f"{name}.pem"
        if not path.exists():
            signing.write_key(path, key)

    def _save_lookup_codes(self) -> None:
        """The codes each supplier received when filing, so a reader can try the lookup."""
        lines = ["# 质疑查询码：供应商提交质疑时收到的查询码（演示数据，公开）", ""]
        lines += [f"{number}\t{code}\t{actor}" for actor, number, code in self.lookup_codes]
        path = self.keys_dir.parent / "challenge-lookup-codes.txt"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def build(self) -> DemoSummary:
        try:
            return self._build()
        finally:
            self.loader.close()

    # Over 60 lines by design: the demo's steps in the order they must run, one line or two each.
    def _build(self) -> DemoSummary:
        today = china_day(datetime.now(UTC))
        if today < END:  # the ledger refuses acts dated after the day they are signed
            raise RuntimeError(f"the demo year runs to {END}; this machine's date is {today}")
        self.keys_dir.mkdir(parents=True, exist_ok=True)
        self._save_key(ADMIN, self.admin)
        genesis = signing.new_command(
            "Genesis",
            {
                "organisation": {
                    "code": FINANCE[0],
                    "name": FINANCE[1],
                    "region": REGION,
                    "address": "澄溪县武松路88号",
                    "level": "county",
                    **{k: v for k, v in identity(*FINANCE).items() if k != "address"},
                },
                "administrator": {"code": ADMIN, "name": "赵志刚"},
                "public_key": signing.public_b64(self.admin),
            },
            actor=ADMIN,
            key=self.admin,
        )
        self.ledger.genesis(json.dumps(signing.sign(genesis, self.admin)).encode())
        # The finance office adopts the statutes every deadline is counted with: the table,
        # and the calendar of the years before the demo's. 2026's arrangement is adopted only
        # in January (ADOPT_2026): what was counted through 2026 before is provisional, and is
        # re-evaluated then, in entries of their own.
        self._submit("AdoptTimeLimits", packaged_time_limits_payload())
        self._submit("AdoptCalendar", package_calendar_payload(range(2004, 2026)))
        self.counts = {"organisations": 1, "actors": 1, "keys": 1}
        city, city_name, city_region = CITY_FINANCE
        offices = [(city, city_name, "finance_office", city_region)]
        organisations = [(code, name, kind, REGION) for code, name, kind in ORGANISATIONS]
        cases = [(code, name, kind, REGION) for code, name, kind in CASE_SUPPLIERS]
        for n, (code, name, kind, region) in enumerate(organisations + offices + cases):
            registration: dict[str, Any] = {
                "code": code, "name": name, "kind": kind, "region": region,
                **identity(code, name, kind),
            }  # fmt: skip
            if code == city:  # over the county: it approves methods above the threshold
                registration |= {"level": "city", "oversees": [REGION]}
            self._submit("RegisterOrganisation", registration)
            actor = f"{code}-{'svc' if kind == 'publisher' else 'op'}"
            self._submit(
                "RegisterActor",
                {
                    "code": actor,
                    "organisation": code,
                    "role": kind,
                    "name": person(n),
                },
            )
            key = self.keys[actor] = demo_key(actor)
            self._submit("RegisterKey", {"actor": actor, "public_key": signing.public_b64(key)})
            self._save_key(actor, key)
            self.counts["organisations"] += 1
            self.counts["actors"] += 1
            self.counts["keys"] += 1
        self._register_bid_box()
        self._register_experts()
        # An organisation keeps its own details current.
        self._submit(
            "AmendOrganisation",
            {"code": "qhx-rmyy", "address": "澄溪县长江路12号"},
            actor="qhx-rmyy-op",
        )
        # A supplier moves and names a new contact (its 中小企业 status stays as declared).
        self._submit(
            "AmendOrganisation",
            {
                "code": "hb-kangtai",
                "address": "澄溪县工业园二路6号",
                "contact": "孙晓燕",
                "telephone": "13812345678",
            },
            actor="hb-kangtai-op",
        )
        # A supplier reports a lost key: the old one is revoked, a new one registered.
        lost = self.keys["hb-xinda-op"]
        self._submit(
            "RevokeKey",
            {"key_id": signing.key_id(lost), "reason": "笔记本电脑遗失，密钥作废"},
            actor="hb-xinda-op",
        )
        replacement = self.keys["hb-xinda-op"] = demo_key("hb-xinda-op#2")
        self._submit(
            "RegisterKey", {"actor": "hb-xinda-op", "public_key": signing.public_b64(replacement)}
        )
        (self.keys_dir / "hb-xinda-op.pem").unlink(missing_ok=True)
        self._save_key("hb-xinda-op", replacement)
        self.counts["keys"] += 1
        # The finance office debars a supplier, which bids in the year all the same.
        self._submit("RecordDebarment", dict(DEBARMENT))
        year = DemoYear({code: name for code, name, _ in ORGANISATIONS}, ADMIN)
        steps = year.plan(self.copies)
        events = len(steps)
        # Taken from the end as they are signed: the plan shrinks as the log grows, so the
        # year's plan and the ledger's caches are never both whole in memory.
        steps.reverse()
        adopted = False
        while steps:
            step = steps.pop()
            if not adopted and step.on >= ADOPT_2026:
                self._submit("AdoptCalendar", package_calendar_payload([2026]))
                adopted = True
            self._submit(step.kind, step.payload, step.actor, step.procurement, step.sealed)
        size = self._flush()
        self._save_lookup_codes()
        return DemoSummary(
            size=size,
            procurements=len(year.codes),
            events=events,
            **self.counts,
        )
