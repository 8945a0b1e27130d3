"""Every value a notice page shows from its entry is checked by 验证, in a real browser
(Debian's chromium, headless) against `sunshine serve` on the demo year: a notice of each
type verifies green untouched, and turns red when any one shown value is changed in the
page, naming it. Also: verify.js writes amounts, dates and labels exactly as the server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import TLS, DemoLedger, copy_demo, eventually, make_config, start_server

from ledger.application import Ledger
from ledger.domain.vocabulary import AnnouncementType
from projections.web.shown import FORMATS

PANEL = "[data-verify-panel]"
DONE = f"{PANEL}.ok, {PANEL}.bad, {PANEL}.amber"


@dataclass
class Demo:
    url: str
    notices: dict[str, int]  # announcement type → leaf index of its fullest notice


def _fullest_notices(demo: DemoLedger) -> dict[str, int]:
    """For each announcement type, the notice whose entry has the most values."""
    ledger = Ledger(make_config(demo.url, demo.data))
    try:
        best: dict[str, tuple[int, int]] = {}
        start, size = 0, ledger.reader.size()
        while start < size:
            batch = ledger.reader.entries(start, 1000)
            for offset, leaf in enumerate(batch):
                data = json.loads(leaf)["data"]
                kind = data.get("announcement") if isinstance(data, dict) else None
                if kind:
                    weight = len(json.dumps(data, ensure_ascii=False).split('":'))
                    if weight > best.get(kind, (-1, 0))[0]:
                        best[kind] = (weight, start + offset)
            start += len(batch)
        return {kind: index for kind, (_, index) in best.items()}
    finally:
        ledger.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Demo]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("fields-demo"))
    notices = _fullest_notices(copy)
    server = start_server(copy.url, copy.data)
    try:
        last = max(notices.values())
        # The projector follows the log a moment after the server starts.
        eventually(
            lambda: httpx.get(f"{server.url}/announcements/{last}", verify=TLS).status_code == 200,
            server.process,
        )
        yield Demo(server.url, notices)
    finally:
        server.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.errors = errors
    try:
        yield tab
    finally:
        context.close()


def verify(page: Any) -> tuple[str, str]:
    """Click 验证; the panel's final state and the result text."""
    page.evaluate(f"document.querySelector('{PANEL}').classList.remove('ok', 'bad', 'amber')")
    page.click('[data-verify="button"]')
    panel = page.wait_for_selector(DONE, timeout=15_000)
    classes = (panel.get_attribute("class") or "").split()
    state = next(s for s in ("ok", "bad", "amber") if s in classes)
    return state, page.text_content('[data-verify="result"]') or ""


# Change one shown value the way a falsified page would: a digit of a number or date,
# else one more character; for a list, one of its names. Returns the element's old HTML.
CHANGE = """(n) => {
  const e = document.querySelectorAll('[data-leaf]')[n];
  const before = e.innerHTML;
  const target = e.dataset.format === 'list' ? e.lastElementChild : e;
  const text = target.textContent;
  target.textContent = /[0-9]/.test(text)
    ? text.replace(/[0-9](?=[^0-9]*$)/, (d) => String((Number(d) + 1) % 10))
    : text + '变';
  return [before, e.dataset.leaf, e.dataset.leafLabel || '', target.textContent !== text];
}"""
RESTORE = "([n, html]) => { document.querySelectorAll('[data-leaf]')[n].innerHTML = html; }"


@pytest.mark.parametrize("kind", [t.value for t in AnnouncementType])
def test_changing_any_shown_value_turns_verify_red(page: Any, demo: Demo, kind: str) -> None:
    index = demo.notices[kind]
    page.goto(f"{demo.url}/announcements/{index}")
    page.wait_for_selector('[data-verify="button"]:not([hidden])')
    count = page.locator("[data-leaf]").count()
    assert count >= 8  # type, code, title, date, category, method, budget, region, …

    state, message = verify(page)
    assert state == "ok", message
    assert f"页面上 {count} 处文字与条目原文一致" in message

    formats = set()
    for n in range(count):
        before, path, label, did = page.evaluate(CHANGE, n)
        assert did
        formats.add(
            page.evaluate("(n) => document.querySelectorAll('[data-leaf]')[n].dataset.format", n)
        )
        state, message = verify(page)
        assert state == "bad", f"{kind}: {path} changed, yet {message}"
        assert "不一致" in message and path in message and label in message, message
        page.evaluate(RESTORE, [n, before])

    state, message = verify(page)
    assert state == "ok", message
    assert {"text", "date", "amount", "category", "method", "announcement"} <= formats
    assert page.errors == []


def test_the_committee_amounts_and_acceptance_are_among_the_values_checked(
    page: Any, demo: Demo
) -> None:
    page.goto(f"{demo.url}/announcements/{demo.notices['result']}")
    assert page.locator('[data-leaf="amount"][data-format="amount"]').count() == 1
    assert page.locator('[data-leaf="budget"][data-format="amount"]').count() == 1
    names = page.locator('[data-leaf^="committee.value."][data-leaf$=".name"]')
    roles = page.locator('[data-leaf^="committee.value."][data-format="member_role"]')
    assert names.count() >= 3 and roles.count() == names.count()
    assert "评审专家" in roles.all_inner_texts() and "采购人代表" in roles.all_inner_texts()
    page.goto(f"{demo.url}/announcements/{demo.notices['acceptance']}")
    assert page.locator('[data-leaf="passed"][data-format="passed"]').count() == 1


def test_verify_js_formats_values_as_the_server_does(page: Any, demo: Demo) -> None:
    """static/formats.js and projections/web/shown.py write the same values the same way."""
    cases: dict[str, list[Any]] = {
        "date": ["2026-05-08", "2026-12-31", "2024-02-29", "2026-02-30", "2026-13-01",
                 "0099-01-02", "明天", ""],
        "amount": ["0.00", "0.01", "49.99", "50.00", "99.99", "100.00", "1234.56", "14999.99",
                   "15000.00", "1234567.89", "987654321.50", "10000000000.00"],
        "category": ["goods", "works", "services", "unknown", ""],
        "method": ["open_tender", "invited_tender", "competitive_negotiation",
                   "competitive_consultation", "inquiry", "single_source",
                   "framework_agreement", "x"],
        "announcement": ["intention", "tender", "correction", "result", "contract",
                         "termination", "failure", "single_source", "acceptance", "call_off",
                         "supplement", "prequalification", "nothing"],
        "passed": [True, False],
        "yes_no": [True, False],
        "member_role": ["expert", "representative", "x", ""],
        "expert_selection": ["random", "chosen", "x", ""],
        "selection": ["direct", "second_bidding", "rotation", "x", ""],
        "sme_policy": ["reserved", "price_deduction", "none", "x", ""],
        "percent": [1, 10, 20],
        "text": ["澄溪县", " 有空格 ", "<b>&amp;</b>", ""],
    }  # fmt: skip
    page.goto(f"{demo.url}/announcements/{demo.notices['tender']}")
    page.wait_for_selector('[data-verify="button"]:not([hidden])')
    assert set(page.evaluate("SunshineFormats.names")) == set(FORMATS) == set(cases)
    written = page.evaluate(
        """async (cases) => {
            const vocabulary = await (await fetch('/static/vocabulary.json')).json();
            return Object.fromEntries(Object.entries(cases).map(([name, values]) =>
                [name, values.map((v) => SunshineFormats.format(name, v, vocabulary))]));
        }""",
        cases,
    )
    assert written == {name: [FORMATS[name](v) for v in values] for name, values in cases.items()}

    # What a leaf cannot hold is refused, not written some other way.
    for name, value in (("amount", "1.5"), ("amount", "-1.00"), ("text", 3), ("passed", "是")):
        refused = page.evaluate(
            "([n, v]) => { try { SunshineFormats.format(n, v, {}); return ''; }"
            " catch (e) { return e.message; } }",
            [name, value],
        )
        assert refused, (name, value)
