"""The site under its Content-Security-Policy in a real browser (Debian's chromium, headless),
on the demo year served by `sunshine serve`: the public pages, a notice verified with its
验证 button, the inspector's sign-in with a key file and the supervisory views, and the API
docs with every request to another origin refused. No page reports a violation, and each
still does its work; an inline handler planted in a page is blocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from conftest import DemoLedger, served_demo
from csp_watch import planted_handler_is_blocked, violations, watch_policy

INSPECTOR = "qhx-jw-op"  # 澄溪县纪委监委, a demo inspector


@dataclass
class Site:
    url: str
    keys: Any  # the demo's key directory


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger
) -> Iterator[Site]:
    with served_demo(demo_template, tmp_path_factory.mktemp("policy")) as (copy, server):
        yield Site(server.url, copy.data / "demo-keys")


@pytest.fixture
def tab(browser: Any, site: Site) -> Iterator[Any]:
    """A page whose requests may go to the site only: any other origin is refused."""
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_the_site(route: Any) -> None:
        if route.request.url.startswith(site.url + "/"):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_site)
    page = context.new_page()
    page.elsewhere = elsewhere
    page.console_violations = watch_policy(page)
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(f"{page.url}: {error}"))
    try:
        yield page
    finally:
        context.close()


def visit(tab: Any, site: Site, path: str, status: int = 200) -> list[str]:
    """Open ``path``; the violations it reported once loaded."""
    response = tab.goto(site.url + path)
    assert response is not None and response.status == status, (path, response)
    assert "script-src 'self'" in response.headers["content-security-policy"]
    tab.wait_for_load_state("load")
    return violations(tab)


def first_link(site: Site, page: str, pattern: str) -> str:
    found = re.search(rf'href="({pattern})"', httpx.get(site.url + page, timeout=30).text)
    assert found, (page, pattern)
    return found.group(1)


def test_public_pages_keep_to_the_policy_and_the_verify_button_works(
    tab: Any, site: Site
) -> None:
    notice = first_link(site, "/announcements?type=result", r"/announcements/[0-9]+")
    procurement = first_link(site, "/complaints", r"/procurements/[^\"]+")
    seen = []
    for path, status in (
        ("/", 200),
        ("/announcements", 200),
        ("/announcements?q=人民医院", 200),
        (procurement, 200),
        ("/complaints", 200),
        ("/challenges/lookup", 200),
        ("/no/such/page", 404),
        ("/announcements/99999999", 404),
    ):
        seen += visit(tab, site, path, status)

    seen += visit(tab, site, notice)
    tab.click('[data-verify="button"]')
    panel = tab.wait_for_selector("[data-verify-panel].ok, [data-verify-panel].bad",
                                  timeout=15_000)  # fmt: skip
    result = tab.text_content('[data-verify="result"]') or ""
    assert "ok" in (panel.get_attribute("class") or "").split(), result
    assert result.startswith("验证通过：")
    seen += violations(tab)

    assert seen == [] and tab.console_violations == [], seen + tab.console_violations
    assert tab.errors == [] and tab.elsewhere == []
    assert planted_handler_is_blocked(tab)  # the policy is in force, and the watch sees it


def test_an_inspector_signs_in_and_the_views_keep_to_the_policy(tab: Any, site: Site) -> None:
    seen = visit(tab, site, "/supervision/sign-in")
    tab.fill("#actor", INSPECTOR)
    tab.set_input_files("#key-file", str(site.keys / f"{INSPECTOR}.pem"))
    tab.press("#actor", "Enter")
    tab.wait_for_url(site.url + "/supervision")  # signed in by the script from /static
    assert "政府采购监督视图" in tab.inner_text("h1")
    seen += violations(tab)

    flag = first_link_in(tab, site, "/supervision/flags", r"/supervision/flags/[^\"?]+")
    history = first_link_in(tab, site, "/supervision/deadlines",
                            r"/supervision/procurements/[^\"?]+")  # fmt: skip
    for path in (
        "/supervision/statistics",
        "/supervision/statistics/summary",
        "/supervision/flags",
        flag,
        "/supervision/deadlines",
        history,
    ):
        seen += visit(tab, site, path)
    assert seen == [] and tab.console_violations == [], seen + tab.console_violations
    assert tab.errors == [] and tab.elsewhere == []


def first_link_in(tab: Any, site: Site, page: str, pattern: str) -> str:
    """A link on a page only the signed-in browser may read."""
    tab.goto(site.url + page)
    hrefs: list[str] = tab.eval_on_selector_all(
        "a[href]", "as => as.map(a => a.getAttribute('href'))"
    )
    found = [h for h in hrefs if re.fullmatch(pattern, h)]
    assert found, (page, pattern)
    return found[0]


def test_the_api_docs_work_offline_from_the_sites_own_files(tab: Any, site: Site) -> None:
    seen = visit(tab, site, "/docs")
    tab.wait_for_selector(".opblock", timeout=20_000)
    listed = tab.locator(".opblock-summary-path").all_text_contents()
    for path in ("/commands", "/log/checkpoint", "/log/entries/{index}", "/log/proof/inclusion"):
        assert any(p.replace("\u200b", "") == path for p in listed), (path, listed)
    # An operation opens, shows its parameters and runs against the service.
    key = "#operations-log-key_log_key_get"
    tab.click(f"{key} .opblock-summary")
    tab.click(f"{key} .try-out__btn")
    tab.click(f"{key} .execute")
    tab.wait_for_selector(f"{key} .live-responses-table .response-col_status")
    assert "200" in tab.inner_text(f"{key} .live-responses-table")
    seen += violations(tab)
    assert seen == [] and tab.console_violations == [], seen + tab.console_violations
    assert tab.errors == [] and tab.elsewhere == []
