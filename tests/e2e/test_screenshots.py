"""Screenshots of the main public pages in a real browser (Debian's chromium, headless), at a
desktop width (1280 px) and a phone width (390 px), kept as test artefacts under
``test-artifacts/screenshots/`` at the repository root, and checked for what a user would
notice: a blank page, missing Chinese text, a page wider than the phone, a control that the
keyboard reaches without showing where the focus is.

The site is the demo year (``sunshine demo``'s 163 procurements of 澄溪县), built once for
the module and served by ``sunshine serve``.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, DemoLedger, served_demo

from ledger.domain.context import china_day

ARTEFACTS: Path = ROOT / "test-artifacts" / "screenshots"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SEARCH = "人民医院"
#: Ink: pixels this far (0–255 luminance) from the page's most common shade count as drawn.
INK_DISTANCE = 32


@dataclass(frozen=True)
class Page:
    path: str
    texts: tuple[str, ...]  # Chinese text the page must show (its headings, mostly)


@dataclass
class Site:
    url: str
    pages: dict[str, Page]
    keys: Path  # the demo's key files, to sign in to the workbench


def links(url: str, pattern: str) -> list[str]:
    """The links on a page whose path matches ``pattern``, in page order."""
    return re.findall(rf'href="({pattern})"', httpx.get(url, timeout=30).text)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> Iterator[Site]:
    with served_demo(demo_template, tmp_path_factory.mktemp("screenshots")) as (demo, server):
        base = server.url
        notice = r"/announcements/[0-9]+"
        tender = links(f"{base}/announcements?type=tender", notice)[0]
        # A result that discloses its evaluation committee (inquiries and single sources
        # have none to show) and one winner's amount (a framework agreement's 入围 result
        # names its admitted suppliers instead).
        result = next(r for r in links(f"{base}/announcements?type=result", notice)
                      if all(part in httpx.get(base + r, timeout=30).text
                             for part in ('id="experts"', "中标（成交）金额")))
        # The procurement of a decided complaint: its timeline has a challenge and complaint.
        procurement = links(f"{base}/complaints", r"/procurements/[^\"]+")[0]
        # A supplier's directory page: its identity, its amendment and its awards.
        supplier = links(f"{base}/organisations?kind=supplier&q=康泰",
                         r"/organisations/[0-9A-Z]{18}")[0]
        pages = {
            "home": Page("/", ("政府采购公告", "采购意向公开", "阳光采购账本")),
            "list": Page("/announcements", ("全部公告", "公告类型", "采购方式")),
            "search": Page(f"/announcements?q={SEARCH}", (f"“{SEARCH}”的共", "条公告")),
            "tender": Page(tender, ("项目基本情况", "采购需求", "供应商资格要求", "投标截止时间",
                                    "联系方式", "独立验证")),
            "result": Page(result, ("中标（成交）信息", "中标（成交）金额", "评审专家名单",
                                    "独立验证")),
            "procurement": Page(procurement, ("项目编号", "采购过程", "质疑", "投诉")),
            "challenge-lookup": Page("/challenges/lookup", ("质疑查询",)),
            "complaints": Page("/complaints", ("投诉处理决定", "处理结论")),
            "organisations": Page("/organisations", ("单位名录", "统一社会信用代码", "单位类别")),
            "organisation": Page(supplier, ("统一社会信用代码", "信息变更", "中标（成交）项目",
                                            "企业规模")),
        }  # fmt: skip
        yield Site(base, pages, demo.data / "demo-keys")


@pytest.fixture(scope="module")
def artefacts(request: pytest.FixtureRequest) -> Path:
    """The screenshot directory, emptied of earlier runs' shots, named in the summary."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTEFACTS.glob("*.png"):
        old.unlink()

    class Report:
        @staticmethod
        def pytest_terminal_summary(terminalreporter: Any) -> None:
            shots = len(list(ARTEFACTS.glob("*.png")))
            terminalreporter.write_line(f"screenshots ({shots}): {ARTEFACTS}")

    # Registered here, so the line appears only in runs that took screenshots.
    if not request.config.pluginmanager.has_plugin("sunshine-screenshots"):
        request.config.pluginmanager.register(Report(), "sunshine-screenshots")
    return ARTEFACTS


# -- what the page looks like ---------------------------------------------------------------

#: Luminance statistics of a PNG, decoded by the browser (no imaging package needed).
PIXELS = """async (b64) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const image = await createImageBitmap(new Blob([bytes], {type: 'image/png'}));
  const canvas = new OffscreenCanvas(image.width, image.height);
  const g = canvas.getContext('2d');
  g.drawImage(image, 0, 0);
  const data = g.getImageData(0, 0, image.width, image.height).data;
  const n = data.length / 4, counts = new Uint32Array(256);
  let sum = 0, squares = 0;
  for (let i = 0; i < data.length; i += 4) {
    const y = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
    counts[y]++; sum += y; squares += y * y;
  }
  const mean = sum / n, background = counts.indexOf(Math.max(...counts));
  let ink = 0;
  for (let y = 0; y < 256; y++) if (Math.abs(y - background) > %d) ink += counts[y];
  return {width: image.width, height: image.height,
          stdev: Math.sqrt(Math.max(0, squares / n - mean * mean)), ink: ink / n};
}""" % INK_DISTANCE  # noqa: UP031 (the JS braces would need doubling in an f-string)

#: Whether the page's fonts draw two different Chinese characters differently (no CJK font:
#: both are the same empty box).
GLYPHS = """() => {
  const canvas = document.createElement('canvas');
  canvas.width = 64; canvas.height = 40;
  const g = canvas.getContext('2d');
  g.font = '28px ' + getComputedStyle(document.body).fontFamily;
  const draw = ch => { g.clearRect(0, 0, 64, 40); g.fillText(ch, 4, 32);
                       return Array.from(g.getImageData(0, 0, 64, 40).data).join(','); };
  return draw('政') !== draw('府');
}"""

#: A JS function: how an element looks in the ways a focus indicator shows, where it is and
#: what to call it in a failure message.
_LOOK = r"""(e) => {
  const s = getComputedStyle(e), r = e.getBoundingClientRect();
  const outline = s.outlineStyle === 'none' || parseFloat(s.outlineWidth) === 0
                  || /^transparent$|rgba\([^)]*,\s*0\)$/.test(s.outlineColor);
  return {
    outline: outline ? 'none' : `${s.outlineStyle} ${s.outlineWidth} ${s.outlineColor}`,
    shadow: s.boxShadow, background: s.backgroundColor, border: s.borderColor,
    color: s.color,
    onScreen: r.width > 0 && r.height > 0 && r.right > 0 && r.bottom > 0
              && r.left < innerWidth && r.top < innerHeight,
    name: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ' '
          + (e.textContent || e.getAttribute('name') || '').trim().slice(0, 30),
  };
}"""

#: Every control Tab should reach (numbered in data-shot), with its unfocused look.
CONTROLS = f"""() => {{
  const look = {_LOOK};
  const all = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]')];
  const out = {{}};
  all.forEach((e, i) => {{
    e.dataset.shot = String(i);
    if (!e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0
        && getComputedStyle(e).visibility !== 'hidden') out[e.dataset.shot] = look(e);
  }});
  return out;
}}"""

#: The focused element's number (null for one outside CONTROLS) and look; null on none.
FOCUSED = f"""() => {{
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  return {{shot: e.dataset.shot || null, look: ({_LOOK})(e)}};
}}"""

#: What besides an outline counts as showing focus: a change of these while focused.
CHANGES = ("shadow", "background", "border", "color")


def open_page(ctx: Any, site: Site, page: Page) -> Any:
    tab = ctx.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    response = tab.goto(site.url + page.path, wait_until="networkidle")
    assert response is not None and response.status == 200, page.path
    if tab.locator('[data-verify="button"]').count():
        tab.wait_for_selector('[data-verify="button"]:not([hidden])')  # verify.js has run
    assert not errors, f"script errors on {page.path}: {errors}"
    return tab


def pixel_stats(ctx: Any, png: bytes) -> dict[str, float]:
    tab = ctx.new_page()
    try:
        stats: dict[str, float] = tab.evaluate(PIXELS, base64.b64encode(png).decode())
        return stats
    finally:
        tab.close()


def focus_problems(tab: Any) -> list[str]:
    """Tab through the page: each control must be reached, on screen and look focused."""
    controls: dict[str, dict[str, Any]] = tab.evaluate(CONTROLS)
    tab.evaluate("() => document.activeElement && document.activeElement.blur()")
    problems: list[str] = []
    reached: set[str] = set()
    seen: set[str] = set()
    previous = None
    # A date input takes a Tab per field (year, month, day): allow three per control.
    wrapped = False
    for _ in range(3 * len(controls) + 10):
        tab.keyboard.press("Tab")
        focused = tab.evaluate(FOCUSED)
        if focused is None:
            # Past the last control, focus left the page. A page that focused something
            # itself (an error list, a receipt's heading) is walked from there: once round.
            if wrapped:
                break
            wrapped = True
            continue
        shot, look = focused["shot"], focused["look"]
        key = shot or look["name"]
        if key == previous:
            continue  # the next field of the same date input
        if key in seen:
            break  # round again
        seen.add(key)
        previous = key
        if shot is not None:
            reached.add(shot)
        before = controls.get(shot) if shot is not None else None
        changed = before is not None and any(look[p] != before[p] for p in CHANGES)
        if look["outline"] == "none" and not changed:
            problems.append(f"{look['name']!r} shows no focus indicator")
        if not look["onScreen"]:
            problems.append(f"{look['name']!r} is focused off screen")
    missed = [controls[shot]["name"] for shot in controls if shot not in reached]
    if missed:
        problems.append(f"{len(missed)} controls never reached by Tab, e.g. {missed[:5]}")
    return problems


# -- the screenshots --------------------------------------------------------------------------

PAGES = ("home", "list", "search", "tender", "result", "procurement", "challenge-lookup",
         "complaints", "organisations", "organisation")  # fmt: skip


@pytest.mark.parametrize("form", list(WIDTHS))
@pytest.mark.parametrize("name", PAGES)
def test_page_screenshot(browser: Any, site: Site, artefacts: Path, name: str, form: str) -> None:
    page = site.pages[name]
    width, height = WIDTHS[form]
    # A plain viewport of the phone's width: mobile emulation would widen the layout
    # viewport to fit an overflowing page and hide the very overflow checked here.
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        tab = open_page(ctx, site, page)
        looks_right(ctx, tab, artefacts / f"{name}-{form}-{width}.png", page.path, page.texts)
    finally:
        ctx.close()


def looks_right(ctx: Any, tab: Any, shot: Path, path: str, texts: tuple[str, ...]) -> None:
    """Screenshot the page to ``shot`` and check what a user would notice: not blank, its
    Chinese text shown, no sideways scrolling, every control reached by Tab and seen
    focused."""
    width = tab.viewport_size["width"]
    png = tab.screenshot(full_page=True, animations="disabled")
    shot.write_bytes(png)
    stats = pixel_stats(ctx, png)
    assert stats["width"] == width
    # Not blank: a page of one colour has no variance and no ink.
    assert stats["stdev"] > 10 and stats["ink"] > 0.01, stats
    # The text a reader sees (innerText leaves out what CSS hides).
    text = tab.evaluate("() => document.body.innerText")
    missing = [t for t in texts if t not in text]
    assert not missing, f"{path} at {width} px does not show {missing}"
    assert tab.evaluate("() => document.documentElement.lang") == "zh-CN"
    # No sideways scrolling, on a phone above all.
    wide, inner, client = tab.evaluate(
        "() => [document.scrollingElement.scrollWidth, innerWidth,"
        " document.scrollingElement.clientWidth]"
    )
    assert wide <= min(inner, client), f"{path} at {width} px is {wide} px wide"
    problems = focus_problems(tab)
    assert not problems, f"{path} at {width} px: " + "; ".join(problems[:8])


def test_chinese_glyphs_are_drawn(browser: Any, site: Site) -> None:
    """The screenshots show characters, not boxes: the machine has a font for Chinese.

    Without one (fonts-noto-cjk or similar) chromium draws every Chinese character as the
    same empty box; the pages' text is still right, which test_page_screenshot checks.
    """
    ctx = browser.new_context()
    try:
        tab = ctx.new_page()
        tab.goto(site.url + "/")
        if not tab.evaluate(GLYPHS):
            pytest.skip("no font for Chinese here: the screenshots show boxes instead of "
                        "characters (apt-get install fonts-noto-cjk)")
    finally:
        ctx.close()


# -- the workbench ---------------------------------------------------------------------------

#: The README's screenshots of the workbench (``docs/screenshots/``): rewritten from these
#: tests' shots by a run with ``SUNSHINE_README_SCREENSHOTS=1``.
README_SHOTS: Path = ROOT / "docs" / "screenshots"


def signed_in(tab: Any, site: Site, actor: str) -> None:
    """Sign in to the workbench with the demo's key file of ``actor``."""
    tab.goto(site.url + "/workbench")
    tab.fill("#import-actor", actor)
    tab.set_input_files("#key-file", str(site.keys / f"{actor}.pem"))
    tab.press("#import-actor", "Enter")
    tab.wait_for_selector("text=有效至")


def filled_plan(tab: Any, site: Site, code: str) -> None:
    """The purchaser's 采购计划备案 form, opened and filled in."""
    signed_in(tab, site, "qhx-rmyy-op")
    tab.goto(f"{site.url}/workbench/forms/FilePlan?procurement={code}")
    tab.wait_for_selector('#fields[aria-busy="false"]')
    field = '#fields > p [name="{}"]'.format
    tab.fill(field("date"), china_day(datetime.now(UTC)).isoformat())
    tab.fill(field("title"), "澄溪县人民医院医用耗材采购项目")
    tab.select_option(field("category"), "goods")
    tab.select_option(field("method"), "inquiry")
    tab.fill(field("budget"), "380000.00")


def sign_in_page(tab: Any, site: Site, form: str) -> None:
    tab.goto(site.url + "/workbench")


def to_do(tab: Any, site: Site, form: str) -> None:
    signed_in(tab, site, "qhx-yz-op")  # its challenge is overdue in the demo


def form_errors(tab: Any, site: Site, form: str) -> None:
    signed_in(tab, site, "qhx-rmyy-op")
    tab.goto(f"{site.url}/workbench/forms/FilePlan?procurement=qhx-2027-001")
    tab.wait_for_selector('#fields[aria-busy="false"]')
    tab.fill('#fields > p [name="budget"]', "38万")
    tab.click("#command-form button[type=submit]")
    tab.wait_for_selector("#errors:not([hidden])")


def receipt(tab: Any, site: Site, form: str) -> None:
    filled_plan(tab, site, f"qhx-2027-shot-{form}")
    tab.click("#command-form button[type=submit]")
    tab.click("#sign")
    tab.wait_for_selector("#receipt:not([hidden])")


def my_receipts(tab: Any, site: Site, form: str) -> None:
    signed_in(tab, site, "xt-jianye-op")  # its bids in the boxes and its challenge
    tab.goto(site.url + "/workbench/receipts")


#: Each workbench shot: how to get there, and the Chinese it must show.
WORKBENCH: dict[str, tuple[Callable[[Any, Site, str], None], tuple[str, ...]]] = {
    "workbench-sign-in": (sign_in_page, ("工作台", "导入密钥文件", "在本浏览器生成新密钥")),
    "workbench-todo": (to_do, ("待办", "已逾期", "答复质疑（qhx-2026-083-ZY1）")),
    "workbench-form-errors": (form_errors, ("采购计划备案", "处需要修改", "必填")),
    "workbench-receipt": (receipt, ("已签名并记入日志", "日志序号", "验证")),
    "workbench-receipts": (my_receipts, ("我的回执", "投标", "承诺值",
                                         "查询码只在提出质疑时显示一次")),
}  # fmt: skip


@pytest.mark.parametrize("form", list(WIDTHS))
@pytest.mark.parametrize("name", list(WORKBENCH))
def test_workbench_screenshot(
    browser: Any, site: Site, artefacts: Path, name: str, form: str
) -> None:
    width, height = WIDTHS[form]
    ctx = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
    try:
        tab = ctx.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda error: errors.append(str(error)))
        arrive, texts = WORKBENCH[name]
        arrive(tab, site, form)
        tab.wait_for_load_state("networkidle")
        shot = artefacts / f"{name}-{form}-{width}.png"
        looks_right(ctx, tab, shot, name, texts)
        assert not errors, f"script errors on {name}: {errors}"
        if os.environ.get("SUNSHINE_README_SCREENSHOTS") == "1":
            README_SHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, README_SHOTS / f"{name}-{form}.png")
    finally:
        ctx.close()
