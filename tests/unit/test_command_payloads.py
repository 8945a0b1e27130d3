"""Every command's payload schema: one per command the ledger decides, naming exactly the
fields its handler reads, and refusing a bad payload with every field error at once, each
with its JSON path and a Chinese message."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from ledger.application import CONTEXT_HANDLERS, REGISTRY_HANDLERS
from ledger.domain.errors import FieldErrors
from ledger.domain.procurement_commands import PARSERS
from ledger.domain.schema.payload_check import check_payload, field_errors
from ledger.domain.schema.payloads import PAYLOADS

HANDLERS: dict[str, Callable[..., Any]] = {**REGISTRY_HANDLERS, **CONTEXT_HANDLERS}
#: A lifecycle command's handler is one closure for all; its parser reads the payload.
PARSED = {action.command: parser for action, parser in PARSERS.items()}
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_every_command_the_ledger_decides_has_a_payload_schema_and_no_other() -> None:
    assert set(PAYLOADS) == set(HANDLERS)
    assert len(PAYLOADS) >= 48


def _strings(node: ast.AST, scope: dict[str, Any], body: ast.AST) -> set[str]:
    """The field names a ``fields.only`` argument lists: its string constants, and those of
    the module constants (``identity.FIELDS``) and local names it spreads."""
    found = {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
             and isinstance(n.value, str)}  # fmt: skip
    for name in ast.walk(node):
        if isinstance(name, ast.Attribute | ast.Name) and not isinstance(name.ctx, ast.Store):
            try:
                value = eval(compile(ast.Expression(name), "<field list>", "eval"), scope)
            except NameError:  # a local: the strings of what it was assigned
                if isinstance(name, ast.Name):
                    found |= _assigned(name.id, body)
                continue
            if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
                found |= set(value)
    return found


def _assigned(local: str, body: ast.AST) -> set[str]:
    """The string constants assigned to the local variable ``local``."""
    return {
        n.value
        for assign in ast.walk(body)
        if isinstance(assign, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == local for t in assign.targets)
        for n in ast.walk(assign.value)
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def _is_payload(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "payload") or (
        isinstance(node, ast.Attribute) and node.attr == "payload"
    )


def _called(function: Callable[..., Any], tree: ast.AST) -> Iterator[Callable[..., Any]]:
    """The functions of the domain ``function`` names, which may read its payload too."""
    scope = function.__globals__
    for node in ast.walk(tree):
        target: object = None
        if isinstance(node, ast.Name):
            target = scope.get(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = scope.get(node.value.id)
            if isinstance(module, types.ModuleType):
                target = getattr(module, node.attr, None)
        if isinstance(target, types.FunctionType) and target.__module__.startswith(
            "ledger.domain"
        ):
            yield target


def read_fields(root: Callable[..., Any]) -> set[str]:
    """Every top-level payload field the handler and the domain functions it calls accept
    (their ``fields.only`` lists)."""
    seen: set[Callable[..., Any]] = set()
    todo, found = [root], set()
    while todo:
        function = todo.pop()
        if function in seen:
            continue
        seen.add(function)
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        for call in ast.walk(tree):
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr == "only"
                and isinstance(call.func.value, ast.Name)
                and call.func.value.id == "fields"
                and _is_payload(call.args[0])
            ):
                found |= _strings(call.args[1], function.__globals__, tree)
        todo.extend(_called(function, tree))
    return found


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_each_schema_names_exactly_the_fields_its_handler_reads(kind: str) -> None:
    read = read_fields(PARSED.get(kind, HANDLERS[kind]))
    assert read, f"found no fields.only list for {kind}"
    assert set(PAYLOADS[kind].model_fields) == read, (
        f"{kind}: only in the schema {sorted(set(PAYLOADS[kind].model_fields) - read)}, "
        f"only in the handler {sorted(read - set(PAYLOADS[kind].model_fields))}"
    )


@pytest.mark.parametrize("kind", sorted(PAYLOADS))
def test_every_field_has_a_chinese_name(kind: str) -> None:
    for name, field in PAYLOADS[kind].model_fields.items():
        assert field.title and CJK.search(field.title), f"{kind}.{name} has no Chinese title"


def test_a_bad_payload_gets_every_field_error_at_once_with_its_path_in_chinese() -> None:
    payload = {
        "date": "2026-02-30",
        "requirement": "",
        "contact": "张三\n李四",
        "bid_deadline_time": "9:30",
        "bid_deposit": 20000,
        "items": [{"name": "救护车", "catalogue": "A0201", "quantity": 2, "unit": "辆"}],
        "policies": {"sme": "small", "imports": "否", "consortium": False},
        "brand": "某品牌",
    }
    errors = dict(field_errors("AnnounceTender", payload))
    assert set(errors) == {
        "payload.date",
        "payload.requirement",
        "payload.qualifications",
        "payload.contact",
        "payload.bid_deadline_time",
        "payload.bid_deposit",
        "payload.items[0].quantity",
        "payload.policies.sme",
        "payload.policies.imports",
        "payload.brand",
    }
    assert errors["payload.date"] == "2026-02-30不是日历上的日子"
    assert errors["payload.qualifications"] == "必填"
    assert errors["payload.brand"] == "本命令没有这一项"
    assert "专门面向中小企业采购" in errors["payload.policies.sme"]
    assert all(CJK.search(message) for message in errors.values())
    with pytest.raises(FieldErrors) as refused:
        check_payload("AnnounceTender", payload)
    answer = refused.value.as_json()
    assert answer["code"] == "invalid_fields" and refused.value.status == 422
    assert len(answer["errors"]) == 10  # type: ignore[arg-type]


def test_what_the_domain_accepts_in_its_spellings_passes() -> None:
    plan = {
        "date": "2026-03-02",
        "title": "人民医院救护车采购",
        "category": "goods",
        "method": "open_tender",
        "budget": "1800000",
        "requirement": "",
        "agency": None,  # null is "not given", as the handlers read it
    }
    assert field_errors("FilePlan", plan) == []
    assert field_errors("FilePlan", plan | {"budget": "1800000.5"}) == []
    assert field_errors("FilePlan", plan | {"budget": "1,800,000"}) != []
    assert field_errors("FilePlan", plan | {"budget": "1800000.505"}) != []
