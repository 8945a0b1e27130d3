"""The HTTP surface of `sunshine serve`, over real HTTP: security headers on every answer,
HEAD wherever GET is, one spelling per number, a Chinese page or JSON for an unknown path,
405 with Allow, and an OpenAPI document that says what the service really answers."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from conftest import ROOT
from fastapi.routing import iter_route_contexts
from test_browser_verify import Site, serve

from ledger.store.url import parse_database_url
from sunshine.app import create_app

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
TEMPLATES = ROOT / "projections" / "web" / "templates"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A county with one announced tender, served on SQLite."""
    data_dir = tmp_path_factory.mktemp("surface")
    with serve(parse_database_url(f"sqlite:///{data_dir / 'ledger.db'}"), data_dir) as served:
        yield served


def request(site: Site, method: str, path: str, **options: Any) -> httpx.Response:
    return httpx.request(method, site.url + path, timeout=30, **options)


def assert_json_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, (response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert {"code", "message"} <= set(body) and body["message"], body
    if code is not None:
        assert body["code"] == code, body


# -- security headers --------------------------------------------------------------------------


def policy_of(response: httpx.Response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as directive → sources."""
    header = response.headers.get("content-security-policy")
    assert header, f"{response.request.method} {response.request.url}: no Content-Security-Policy"
    directives = [d.split() for d in header.split(";") if d.strip()]
    return {d[0].lower(): d[1:] for d in directives}


def assert_protected(response: httpx.Response) -> None:
    where = f"{response.request.method} {response.request.url} ({response.status_code})"
    policy = policy_of(response)
    fallback = policy.get("default-src", [])
    assert policy.get("script-src", fallback) == ["'self'"], where
    assert policy.get("style-src", fallback) == ["'self'"], where
    assert policy.get("object-src", fallback) == ["'none'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["base-uri"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    for sources in policy.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "*"} & set(sources), where
    assert response.headers.get("x-content-type-options") == "nosniff", where
    assert response.headers.get("x-frame-options") == "DENY", where
    assert response.headers.get("referrer-policy") in ("same-origin", "no-referrer"), where


def test_every_kind_of_answer_carries_the_security_headers(site: Site) -> None:
    answers = [
        request(site, "GET", "/"),
        request(site, "GET", "/announcements", headers=BROWSER),
        request(site, "GET", f"/announcements/{site.tender}", headers=BROWSER),
        request(site, "GET", "/announcements/999999", headers=BROWSER),  # a 404 page
        request(site, "GET", "/log/key"),
        request(site, "GET", f"/log/entries/{site.tender}"),
        request(site, "GET", f"/log/bundle/{site.tender}"),
        request(site, "GET", "/log/entries/x"),  # 400
        request(site, "POST", "/commands", content=b"{"),  # 400
        request(site, "DELETE", "/log/key"),  # 405
        request(site, "GET", "/no/such/path"),  # 404 JSON
        request(site, "GET", "/no/such/path", headers=BROWSER),  # 404 page
        request(site, "HEAD", "/log/checkpoint"),
        request(site, "GET", "/static/site.css"),
        request(site, "GET", "/static/verify.js"),
        request(site, "GET", "/openapi.json"),
        request(site, "GET", "/docs"),
        request(site, "GET", "/docs/assets/swagger-ui-bundle.js"),
        request(site, "GET", "/supervision/deadlines", headers=BROWSER),  # 401 page
        request(site, "GET", "/feeds/announcements.atom"),
    ]
    sign_in = request(site, "GET", "/supervision/sign-in", headers=BROWSER)
    answers.append(sign_in)
    assert {a.status_code for a in answers} >= {200, 400, 401, 404, 405}
    for answer in answers:
        assert_protected(answer)
    # A page that asks for less referrer than the site's default keeps its own.
    assert sign_in.headers["referrer-policy"] == "no-referrer"


def test_templates_hold_no_inline_script_style_or_event_handler() -> None:
    """The policy runs only files from the origin: nothing inline may be left in a page."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.I
    )
    found = [
        f"{path.relative_to(TEMPLATES)}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for text in [path.read_text(encoding="utf-8")]
        for m in inline.finditer(text)
    ]
    assert found == []


# -- HEAD ------------------------------------------------------------------------------------

#: Parameters that make each route answer something real (else "0", or nothing).
PATH_VALUES = {"code": "p1", "name": "category"}
QUERIES: dict[str, dict[str, Any]] = {
    "/log/entries": {"start": 0, "count": 2},
    "/log/proof/inclusion": {"index": 0, "size": 2},
    "/log/proof/consistency": {"old": 1, "size": 2},
}
MOUNTS = {"/static": "/static/site.css", "/docs/assets": "/docs/assets/swagger-ui.css"}


def get_routes(site: Site) -> list[str]:
    """Every path the app answers GET on, with parameters filled in."""
    values = {"leaf_index": str(site.tender), "index": str(site.tender), **PATH_VALUES}

    def filled(match: re.Match[str]) -> str:
        return values.get(match.group(1), "0")

    paths = []
    for route in iter_route_contexts(create_app().routes):
        path = route.path or ""
        if path in MOUNTS:
            paths.append(MOUNTS[path])
        elif "GET" in (route.methods or ()):
            paths.append(re.sub(r"{(\w+)}", filled, path))
    return paths


def test_head_answers_every_get_route_as_the_get_without_a_body(site: Site) -> None:
    paths = get_routes(site)
    assert {"/log/checkpoint", "/", "/announcements", "/docs", "/openapi.json"} <= set(paths)
    answered = set()
    for path in paths:
        params = QUERIES.get(path, {})
        get = request(site, "GET", path, params=params)
        head = request(site, "HEAD", path, params=params)
        assert head.status_code != 405, path
        assert head.status_code == get.status_code, path
        assert head.content == b"", path
        for name in ("content-type", "content-length", "cache-control", "etag"):
            assert head.headers.get(name) == get.headers.get(name), (path, name)
        answered.add(get.status_code)
    assert 200 in answered


# -- numbers, unknown paths, methods --------------------------------------------------------

#: Ways to write 1 (or 0) that are not the log's way.
SPELLINGS = [" 1", "1 ", "0.0", "1.0", "+1", "01", "00", "1_0", "-0", "1e0", "0x1", "１"]


def test_a_number_has_one_spelling(site: Site) -> None:
    tender = site.tender
    assert request(site, "GET", f"/log/entries/{tender}").status_code == 200
    assert request(site, "GET", "/log/entries/0").status_code == 200
    for bad in SPELLINGS:
        for path in (f"/log/entries/{bad}", f"/log/bundle/{bad}"):
            assert_json_error(request(site, "GET", path), 400, "bad_request")
        for path, params in (
            ("/log/entries", {"start": bad}),
            ("/log/entries", {"start": 0, "count": bad}),
            ("/log/proof/inclusion", {"index": bad, "size": 2}),
            ("/log/proof/inclusion", {"index": 0, "size": bad}),
            ("/log/proof/consistency", {"old": bad, "size": 2}),
        ):
            assert_json_error(request(site, "GET", path, params=params), 400, "bad_request")
    # Documented as the integers they are, with their bounds.
    spec = request(site, "GET", "/openapi.json").json()
    index = spec["paths"]["/log/entries/{index}"]["get"]["parameters"][0]["schema"]
    assert (index["type"], index["minimum"], index["maximum"]) == ("integer", 0, 2**53)
    # A notice has one address too.
    assert request(site, "GET", f"/announcements/{tender}", headers=BROWSER).status_code == 200
    for other in (f"0{tender}", f"{tender}.0", f"+{tender}", f"%20{tender}"):
        page = request(site, "GET", f"/announcements/{other}", headers=BROWSER)
        assert page.status_code == 404 and "没有编号为" in page.text, other


def test_entries_from_beyond_the_end_are_404(site: Site) -> None:
    size = len(request(site, "GET", "/log/entries", params={"start": 0, "count": 1000}).content
               .splitlines())  # fmt: skip
    assert size > site.tender
    last = request(site, "GET", "/log/entries", params={"start": size - 1})
    assert last.status_code == 200 and len(last.content.splitlines()) == 1
    for start in (size, size + 1, 2**40):
        answer = request(site, "GET", "/log/entries", params={"start": start})
        assert_json_error(answer, 404, "not_found")


def test_an_unknown_path_is_a_chinese_page_for_browsers_and_json_for_programs(
    site: Site,
) -> None:
    for path in ("/no/such/page", "/announcement", "/redoc", "/docs/oauth2-redirect"):
        page = request(site, "GET", path, headers=BROWSER)
        assert page.status_code == 404, path
        assert page.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in page.text and "未找到" in page.text
        assert "本站没有这个网址的页面" in page.text
        assert_json_error(request(site, "GET", path), 404, "not_found")
        assert_json_error(
            request(site, "GET", path, headers={"Accept": "application/json"}), 404, "not_found"
        )


def test_a_wrong_method_says_which_are_allowed(site: Site) -> None:
    for method, path, allowed in (
        ("DELETE", "/log/key", "GET, HEAD"),
        ("POST", "/log/checkpoint", "GET, HEAD"),
        ("GET", "/commands", "POST"),
        ("PUT", "/commands", "POST"),
    ):
        answer = request(site, method, path)
        assert_json_error(answer, 405, "method_not_allowed")
        assert answer.headers.get("allow") == allowed, (method, path)
    page = request(site, "PUT", "/announcements", headers=BROWSER)
    assert page.status_code == 405 and page.headers["allow"] == "GET, HEAD"
    assert "这个网址不接受此种请求方式" in page.text


# -- the OpenAPI document --------------------------------------------------------------------


def malformed(site: Site, method: str, path: str, operation: dict[str, Any]) -> httpx.Response:
    """The operation with a number that is not one, the other parameters left out, and a body
    that is not JSON; no credentials."""
    params = {}
    for parameter in operation.get("parameters", []):
        integer = parameter["schema"].get("type") == "integer"
        value = "x" if integer else "nonexistent"
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", value)
        elif integer:
            params[parameter["name"]] = value
    body = b"{" if method in ("post", "put", "patch") else None
    return request(site, method.upper(), path, params=params, content=body,
                   headers={"content-type": "application/json"})  # fmt: skip


def test_the_openapi_document_says_what_the_service_answers(site: Site) -> None:
    spec = request(site, "GET", "/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Error"]["required"]) == {"code", "message"}
    wrong = []
    operations = 0
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            operations += 1
            documented = operation["responses"]
            for status, response in documented.items():
                if status.startswith(("4", "5")):
                    body = response.get("content", {}).get("application/json", {})
                    if body.get("schema", {}).get("$ref") != "#/components/schemas/Error":
                        wrong.append(f"{method} {path}: {status} without the Error body")
            if "422" in documented and documented["422"]["description"] == "Validation Error":
                wrong.append(f"{method} {path}: documents FastAPI's 422 it never answers")
            answer = malformed(site, method, path, operation)
            if str(answer.status_code) not in documented:
                wrong.append(f"{method} {path}: answered {answer.status_code}, documented "
                             f"{sorted(documented)}: {answer.text[:120]}")  # fmt: skip
            elif answer.status_code >= 400:
                assert {"code", "message"} <= set(answer.json()), (method, path)
    assert operations >= 15
    assert wrong == [], "\n".join(wrong)


def test_docs_page_loads_nothing_from_another_origin(site: Site) -> None:
    page = request(site, "GET", "/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    for source in sources:
        assert request(site, "GET", source).status_code == 200, source
