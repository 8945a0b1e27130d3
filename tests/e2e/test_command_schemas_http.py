"""Every command's schema over real HTTP: a bad command is refused with every field error at
once, in Chinese, before anything is decided; the OpenAPI document holds each command's
payload as a variant of a union on ``type``; `sunshine submit` prints the same list, and a
one-line receipt when the command is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import Actor, Server, hospital_world, make_config, start_server, sunshine

from ledger import signing
from ledger.application import Ledger
from ledger.domain.schema.payloads import PAYLOADS
from ledger.store.url import parse_database_url

BAD_PLAN: dict[str, Any] = {
    "date": "2026-02-30",
    "title": "人民医院\n救护车",
    "category": "vehicles",
    "method": "open_tender",
    "budget": 1800000,
    "organisation_form": "centralised",
    "requirment": "两辆负压救护车",  # misspelt
}
GOOD_PLAN: dict[str, Any] = {
    "date": "2026-03-02",
    "title": "人民医院救护车采购",
    "category": "goods",
    "method": "open_tender",
    "budget": "1800000.00",
}


@dataclass
class Served:
    server: Server
    data_dir: Path
    actors: dict[str, Actor]

    def post(self, actor: str, kind: str, payload: dict[str, Any], **extra: Any) -> httpx.Response:
        body = self.actors[actor].body(kind, payload, **extra)
        return httpx.post(self.server.url + "/commands", content=body, timeout=30)

    def size(self) -> int:
        return int(httpx.get(self.server.url + "/log/health", timeout=30).json()["size"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("schemas")
    db = parse_database_url(f"sqlite:///{data_dir / 'ledger.db'}")
    ledger = Ledger(make_config(db, data_dir, inline_integration=True))
    try:
        actors = hospital_world(ledger).actors
    finally:
        ledger.close()
    server = start_server(db, data_dir)
    try:
        yield Served(server, data_dir, actors)
    finally:
        server.stop()


def test_a_bad_command_gets_every_field_error_at_once_in_chinese(served: Served) -> None:
    before = served.size()
    answer = served.post("rmyy-op", "FilePlan", BAD_PLAN, procurement="p-bad")
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert set(body) == {"code", "message", "message_zh", "errors"}
    assert body["code"] == "invalid_fields"
    errors = {e["field"]: e["message"] for e in body["errors"]}
    assert errors == {
        "payload.date": "2026-02-30不是日历上的日子",
        "payload.title": "应为一行文字，不能换行或含制表符",
        "payload.category": "应为下列之一：goods（货物）、works（工程）、services（服务）",
        "payload.budget": '应为以元为单位的金额，写成字符串，最多两位小数，如"1234567.89"'
        "（不用数字、逗号或空格）",
        "payload.requirment": "本命令没有这一项",
    }
    assert body["message"].startswith("命令有5处字段错误：payload.date：")
    assert served.size() == before  # nothing recorded


def test_nested_fields_are_named_by_their_json_path(served: Served) -> None:
    tender = {
        "date": "2026-03-10",
        "requirement": "负压救护车两辆",
        "qualifications": "具有医疗器械经营许可",
        "contact": "张三 0871-65551234",
        "items": [
            {"name": "负压救护车", "catalogue": "A02030501", "quantity": "2", "unit": "辆"},
            {"name": "车载呼吸机", "catalogue": "呼吸机", "quantity": "-1", "unit": "台"},
        ],
        "policies": {"sme": "price_deduction", "price_deduction": 50, "imports": False},
    }
    answer = served.post("rmyy-op", "AnnounceTender", tender, procurement="p1")
    assert answer.status_code == 422, answer.text
    fields = [e["field"] for e in answer.json()["errors"]]
    assert fields == [
        "payload.items[1].catalogue",
        "payload.items[1].quantity",
        "payload.policies.price_deduction",
        "payload.policies.consortium",
    ]


def test_a_well_formed_command_goes_on_to_the_ledger_s_rules(served: Served) -> None:
    # The schema passes it; the ledger refuses it by its own rule (a supplier files no plan).
    answer = served.post("kangtai-op", "FilePlan", GOOD_PLAN, procurement="p-kt")
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "forbidden"


def test_the_openapi_document_has_every_command_as_a_variant_of_a_union_on_type(
    served: Served,
) -> None:
    document = httpx.get(served.server.url + "/openapi.json", timeout=30).json()
    schemas = document["components"]["schemas"]
    body = document["paths"]["/commands"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["properties"]["command"] == {"$ref": "#/components/schemas/Command"}
    union = schemas["Command"]
    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == set(PAYLOADS)
    assert len(union["oneOf"]) == len(PAYLOADS) >= 48
    plan = schemas["FilePlanCommand"]
    assert plan["properties"]["type"] == {"type": "string", "const": "FilePlan"}
    assert plan["properties"]["payload"] == {"$ref": "#/components/schemas/FilePlanPayload"}
    fields = schemas["FilePlanPayload"]["properties"]
    assert fields["title"]["title"] == "项目名称"
    assert fields["category"]["enum"] == ["goods", "works", "services"]
    assert fields["category"]["x-enum-descriptions"] == ["货物", "工程", "服务"]
    assert fields["budget"]["pattern"].startswith("^(?:0|[1-9]")
    assert fields["date"]["format"] == "date"
    item = schemas["TenderItem"]["properties"]
    assert item["catalogue"]["title"] == "品目编码"
    refused = document["paths"]["/commands"]["post"]["responses"]["422"]
    assert refused["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"
    }
    listed = schemas["Error"]["properties"]["errors"]["items"]
    assert listed == {"$ref": "#/components/schemas/FieldError"}
    assert set(schemas["FieldError"]["required"]) == {"field", "message"}
    local = [r for r in _refs(document) if r.startswith("#/components/schemas/")]
    for ref in local:  # every reference within the document resolves
        assert ref.removeprefix("#/components/schemas/") in schemas, ref


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        if isinstance(value.get("$ref"), str):
            yield value["$ref"]
        for inner in value.values():
            yield from _refs(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _refs(inner)


def _command_file(tmp_path: Path, actor: str, kind: str, payload: dict[str, Any],
                  procurement: str | None = None) -> Path:  # fmt: skip
    path = tmp_path / f"{kind}.json"
    draft = {"type": kind, "actor": actor, "procurement": procurement, "payload": payload}
    path.write_text(json.dumps(draft, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_cli_prints_the_field_errors_and_a_one_line_receipt(
    served: Served, tmp_path: Path
) -> None:
    key = tmp_path / "rmyy-op.pem"
    signing.write_key(key, served.actors["rmyy-op"].key)
    url = served.server.url
    bad = _command_file(tmp_path, "rmyy-op", "FilePlan", BAD_PLAN, "p-cli")
    refused = sunshine("submit", str(bad), "--key", str(key), "--url", url,
                       data_dir=tmp_path)  # fmt: skip
    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == "命令被拒绝（HTTP 422）：有5处字段错误"
    assert "  payload.date：2026-02-30不是日历上的日子" in lines
    assert "  payload.requirment：本命令没有这一项" in lines
    assert len(lines) == 6

    before = served.size()
    good = _command_file(tmp_path, "rmyy-op", "FilePlan", GOOD_PLAN | {"date": _today()},
                         "p-cli")  # fmt: skip
    recorded = sunshine("submit", str(good), "--key", str(key), "--url", url, data_dir=tmp_path)
    assert recorded.returncode == 0, recorded.stderr
    assert recorded.stdout == (
        f"已记录：FilePlan（PlanFiled），日志序号 {before}，公开页面 {url}/procurements/p-cli\n"
    )
    again = sunshine("submit", str(good), "--key", str(key), "--url", url, "--json",
                     data_dir=tmp_path)  # fmt: skip
    assert again.returncode == 1 and json.loads(again.stdout)["code"] == "exists"


def _today() -> str:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
