"""OCDS open data over `sunshine serve`, on the demo year of 澄溪县: what an analyst downloads
from ``/ocds/…`` passes libcoveocds without an error, compiles with ocdskit into one record
per procurement with exactly one contract per signed contract and each award dated by its
result notice, and every release names the log entry it was made from, which the reader can
fetch and hash."""

from __future__ import annotations

import csv
import functools
import gzip
import http.server
import io
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import json_merge_patch
import orjson
import pytest
from conftest import DemoLedger, Server, copy_demo, eventually, make_config, start_server
from openpyxl import load_workbook

from ledger.application import Ledger
from ledger.log.merkle import leaf_hash_b64
from ledger.ocds.release import BIDS_EXTENSION, SCALE_EXTENSION, TECHNIQUES_EXTENSION
from projections.ocds.spreadsheet import csv_zip, workbook

VECTORS = Path(__file__).parents[1] / "vectors" / "ocds"
#: The extensions the packages name, and their copies in the vectors.
OCP_EXTENSIONS = {
    BIDS_EXTENSION: "ocds_bid_extension-v1.1.5",
    SCALE_EXTENSION: "ocds_partyDetails_scale_extension-152cd9fb74e021e537b17d84420615acf7dec032",
    TECHNIQUES_EXTENSION: "ocds_techniques_extension-5568b00a8dd694a3d34441bdd9ef2bd3f9d44b11",
}
PREFIX = "ocds-qhx000"


@dataclass
class Year:
    server: Server
    leaves: list[dict[str, Any]]
    # One client for the module's requests (a thousand or so): a new one per request
    # (httpx.get) sets up its TLS context each time, which took most of the module's time.
    client: httpx.Client

    def notices(self) -> dict[int, dict[str, Any]]:
        return {leaf["index"]: leaf for leaf in self.leaves
                if leaf["data"].get("announcement")}  # fmt: skip


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoLedger) -> Iterator[Year]:
    copy = copy_demo(demo_template, tmp_path_factory.mktemp("ocds"))
    size = copy.summary.size
    ledger = Ledger(make_config(copy.url, copy.data, inline_integration=True))
    try:
        leaves = [orjson.loads(leaf) for start in range(0, size, 1000)
                  for leaf in ledger.reader.entries(start, min(1000, size - start))]  # fmt: skip
    finally:
        ledger.close()
    server = start_server(copy.url, copy.data, env={"SUNSHINE_OCID_PREFIX": PREFIX})
    client = httpx.Client(base_url=server.url, timeout=60)
    try:
        year = Year(server, leaves, client)
        expected = len(year.notices())

        def caught_up() -> bool:
            answer = client.get("/ocds/2026/releases.json")
            return answer.status_code == 200 and len(answer.json()["releases"]) == expected

        eventually(caught_up, server.process, every=0.2)
        yield year
    finally:
        client.close()
        server.stop()


def get(year: Year, path: str) -> httpx.Response:
    answer = year.client.get(path)
    assert answer.status_code == 200, (path, answer.text[:300])
    return answer


def test_every_release_is_a_notice_dated_by_it_and_linked_to_its_leaf(year: Year) -> None:
    package = get(year, "/ocds/2026/releases.json").json()
    notices = year.notices()
    assert package["version"] == "1.1" and len(package["releases"]) == len(notices)
    for release in package["releases"]:
        entry_link = next(link for link in release["links"] if link["rel"] == "log-entry")
        leaf = get(year, entry_link["href"]).content
        assert leaf_hash_b64(leaf) == entry_link["leafHash"]
        entry = orjson.loads(leaf)
        data = entry["data"]
        assert entry["index"] == entry_link["index"] in notices
        # Stable id and the notice's own day, not the ledger's recording time.
        assert release["id"] == f"{data['procurement']}-{entry['index']}"
        assert release["ocid"] == f"{PREFIX}-{data['procurement']}"
        minute = data.get("published_time", "00:00")  # a tender notice's 发布时间
        assert release["date"] == f"{data['date']}T{minute}:00+08:00"
        for party in release["parties"]:
            assert party["name"] and party["roles"]  # the registry's names, never a bare code
        assert ("awards" in release) == (data["announcement"] == "result")
        if "awards" in release:
            assert release["awards"][0]["date"] == release["date"]
        for contract in release.get("contracts", []):
            assert not contract["id"].endswith("-contract")
            assert "dateSigned" in contract


def test_parties_carry_the_registry_identity_and_scale(year: Year) -> None:
    """Each party as the registry last described it before the notice: its 统一社会信用代码
    under the org-id scheme, contact and telephone; a supplier its declared 中小企业 status."""
    registry: dict[str, dict[str, Any]] = {}
    at: dict[int, dict[str, dict[str, Any]]] = {}
    for leaf in year.leaves:
        if leaf["type"] in ("OrganisationRegistered", "OrganisationAmended"):
            given = {k: v for k, v in leaf["data"].items() if v is not None}
            registry[given["code"]] = {**registry.get(given["code"], {}), **given}
        at[leaf["index"]] = {c: dict(o) for c, o in registry.items()} if leaf["data"].get(
            "announcement") else {}  # fmt: skip
    scales = {"micro": "micro", "small": "small", "medium": "medium", "not_sme": "large"}
    seen_scale = seen_identifier = 0
    for release in get(year, "/ocds/2026/releases.json").json()["releases"]:
        known = at[release["links"][0]["index"]]
        for party in release["parties"]:
            org = known[party["id"]]
            assert party["name"] == org["name"]
            if "credit_code" in org:
                seen_identifier += 1
                assert party["identifier"] == {"scheme": "CN-SAIC", "id": org["credit_code"],
                                               "legalName": org["name"]}  # fmt: skip
            else:
                assert "identifier" not in party
            bidder = {"tenderer", "supplier"} & set(party["roles"])
            if bidder and "sme" in org:
                seen_scale += 1
                assert party["details"] == {"scale": scales[org["sme"]]}
            else:
                assert "details" not in party
            if "procuringEntity" not in party["roles"] and "telephone" in org:
                assert party["contactPoint"]["telephone"] == org["telephone"]
    assert seen_identifier and seen_scale  # the demo's organisations have identities


def test_a_framework_agreement_names_the_technique(year: Year) -> None:
    """框架协议采购: the techniques extension, and once call-offs were made, whether they
    reopened competition (二次竞价) or not (直接选定, 顺序轮候)."""
    frameworks = {leaf["data"]["procurement"] for leaf in year.leaves
                  if leaf["data"].get("method") == "framework_agreement"}  # fmt: skip
    call_offs = [(leaf["index"], leaf["data"]["procurement"], leaf["data"]["selection"])
                 for leaf in year.leaves if leaf["type"] == "CallOffAnnounced"]  # fmt: skip
    assert frameworks and call_offs
    for release in get(year, "/ocds/2026/releases.json").json()["releases"]:
        code, index = release["tender"]["id"], release["links"][0]["index"]
        techniques = release["tender"].get("techniques")
        if code not in frameworks:
            assert techniques is None
            continue
        assert techniques["hasFrameworkAgreement"] is True
        reopened = {s == "second_bidding" for i, c, s in call_offs if c == code and i <= index}
        method = {frozenset(): None, frozenset({True}): "withReopeningCompetition",
                  frozenset({False}): "withoutReopeningCompetition",
                  frozenset({True, False}): "withAndWithoutReopeningCompetition"}[
                      frozenset(reopened)]  # fmt: skip
        assert techniques.get("frameworkAgreement", {}).get("method") == method


def test_items_ceiling_and_main_items_come_from_the_notices(year: Year) -> None:
    """The tender's 采购标的 with their 品目, its 最高限价 as ``tender.value`` (the budget in
    ``planning``), the tender period from the minute of publication, and the result's 主要标的
    with their unit prices in the award."""
    by_index = {leaf["index"]: leaf for leaf in year.leaves}
    tenders = results = 0
    results_by_code: dict[str, list[dict[str, Any]]] = {}
    for release in get(year, "/ocds/2026/releases.json").json()["releases"]:
        data = by_index[release["links"][0]["index"]]["data"]
        tender = release["tender"]
        assert release["planning"]["budget"]["amount"]["amount"] == float(data["budget"])
        if data["announcement"] == "tender" and "ceiling_price" in data:
            tenders += 1
            assert tender["value"]["amount"] == float(data["ceiling_price"])
            assert tender["tenderPeriod"]["startDate"] == (
                f"{data['date']}T{data['published_time']}:00+08:00")  # fmt: skip
            assert [(i["description"], i["classification"], i["quantity"], i["unit"]["name"])
                    for i in tender["items"]] == [
                (i["name"], {"scheme": "CN-ZFCGPMML", "id": i["catalogue"]},
                 float(i["quantity"]), i["unit"]) for i in data["items"]]  # fmt: skip
        if data["announcement"] == "result" and "items" in data:
            results += 1
            awarded = release["awards"][0]["items"]
            assert [(i["description"], i["unit"]["value"]["amount"]) for i in awarded] == [
                (f"{i['name']}（{i['specification']}）", float(i["unit_price"]))
                for i in data["items"]]  # fmt: skip
        for contract in release.get("contracts", []):
            awarded = results_by_code.get(tender["id"])
            assert contract.get("items") == awarded  # the 主要标的 the contract buys
        if data["announcement"] == "result" and "items" in data:
            results_by_code[tender["id"]] = release["awards"][0]["items"]
    assert tenders and results and any("items" in c for c in contracts_seen(year))


def contracts_seen(year: Year) -> list[dict[str, Any]]:
    releases = get(year, "/ocds/2026/releases.json").json()["releases"]
    return [c for r in releases for c in r.get("contracts", [])]


def test_bids_come_from_the_opening_only(year: Year) -> None:
    opened = {leaf["data"]["procurement"]: leaf for leaf in year.leaves
              if leaf["type"] == "BidsOpened"}  # fmt: skip
    package = get(year, "/ocds/2026/releases.json").json()
    for release in package["releases"]:
        index = release["links"][0]["index"]
        opening = opened.get(release["tender"]["id"])
        if opening is None or opening["index"] > index:
            assert "bids" not in release and "numberOfTenderers" not in release["tender"]
            continue
        bids = opening["data"]["bids"]
        assert release["tender"]["numberOfTenderers"] == len(bids)
        got = [(d["tenderers"][0]["id"], d["value"]["amount"]) for d in release["bids"]["details"]]
        assert got == [(b["supplier"], float(b["price"]["value"])) for b in bids]


def test_the_record_package_compiles_one_contract_per_contract_signed(year: Year) -> None:
    records = get(year, "/ocds/2026/records.json").json()["records"]
    signed = {leaf["data"]["procurement"]: leaf["data"]["contract_number"]
              for leaf in year.leaves if leaf["type"] == "ContractSigned"}  # fmt: skip
    contract_notices = {leaf["data"]["procurement"] for leaf in year.leaves
                        if leaf["data"].get("announcement") == "contract"}  # fmt: skip
    for record in records:
        code = record["compiledRelease"]["tender"]["id"]
        contracts = record["compiledRelease"].get("contracts", [])
        if code in contract_notices:
            assert [c["id"] for c in contracts] == [signed[code]]
        else:
            assert contracts == []
    one = get(year, f"/ocds/procurements/{records[0]['compiledRelease']['tender']['id']}"
                    "/record.json").json()  # fmt: skip
    assert one["records"] == [records[0]]


def test_bulk_files_hold_the_same_releases(year: Year) -> None:
    package = get(year, "/ocds/2026/releases.json").json()
    lines = gzip.decompress(get(year, "/ocds/2026/releases.jsonl.gz").content).splitlines()
    assert [orjson.loads(line) for line in lines] == package["releases"]
    index = get(year, "/ocds").json()
    assert index["ocidPrefix"] == PREFIX and index["years"][0]["year"] == 2026
    for path in ("/ocds/2025/releases.json", "/ocds/20x6/releases.json",
                 "/ocds/procurements/nope/record.json"):  # fmt: skip
        assert year.client.get(path).status_code == 404


#: Sheets an analyst opens: flatten-tool names a nested array's sheet by its path, each
#: part cut to three letters (``bids/details`` → ``bid_details``).
SHEETS = {"releases": None, "parties": ("parties",), "awards": ("awards",),
          "awa_suppliers": ("awards", "suppliers"), "bid_details": ("bids", "details"),
          "bid_det_tenderers": ("bids", "details", "tenderers"), "contracts": ("contracts",),
          "ten_items": ("tender", "items"), "links": ("links",)}  # fmt: skip


def _count(release: dict[str, Any], path: tuple[str, ...]) -> int:
    """How many objects ``path`` holds in the release (an array under arrays: all of them)."""
    found: list[Any] = [release]
    for step in path:
        inner = [one.get(step) for one in found]
        found = [item for value in inner if value for item in
                 (value if isinstance(value, list) else [value])]  # fmt: skip
    return len(found)


def test_the_spreadsheet_has_a_row_per_release_and_sheets_that_join_back(year: Year) -> None:
    """flatten-tool's layout: the ``releases`` sheet a row per release, in the package's
    order; a sheet per array, each row starting with its release's ocid and id; the Chinese
    text as published; the CSV files the same sheets, row for row."""
    releases = get(year, "/ocds/2026/releases.json").json()["releases"]
    by_key = {(r["ocid"], r["id"]): r for r in releases}
    xlsx = get(year, "/ocds/2026/releases.xlsx")
    assert xlsx.headers["content-disposition"] == 'attachment; filename="ocds-2026-releases.xlsx"'
    book = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert book.sheetnames[0] == "releases" and set(SHEETS) <= set(book.sheetnames)
    sheets = {name: list(book[name].iter_rows(values_only=True)) for name in book.sheetnames}
    main = sheets["releases"]
    assert main[0][:2] == ("ocid", "id")
    assert [r[:2] for r in main[1:]] == list(by_key)
    title = main[0].index("tender/title")
    assert [r[title] for r in main[1:]] == [r["tender"]["title"] for r in releases]
    assert any("采购" in str(r[title]) for r in main[1:])  # the text itself, not escapes
    for name, rows in sheets.items():
        assert rows[0][:2] == ("ocid", "id"), name
        assert all(tuple(r[:2]) in by_key for r in rows[1:]), name  # each joins its release
    for name, path in SHEETS.items():
        if path is not None:
            assert len(sheets[name]) - 1 == sum(_count(r, path) for r in releases) > 0, name
    parties = sheets["parties"]
    named = parties[0].index("parties/0/name")
    assert [r[named] for r in parties[1:]] == [p["name"] for r in releases for p in r["parties"]]
    roles = parties[0].index("parties/0/roles")  # plain arrays: one cell, joined by ";"
    assert [r[roles] for r in parties[1:]] == [";".join(p["roles"]) for r in releases
                                               for p in r["parties"]]  # fmt: skip

    csvs = get(year, "/ocds/2026/releases.csv.zip")
    assert csvs.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(csvs.content)) as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.csv" for name in sheets)
        for name, rows in sheets.items():
            raw = archive.read(f"{name}.csv")
            assert raw.startswith("\ufeff".encode())  # Excel reads it as UTF-8
            table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
            assert table[0] == list(rows[0]), name
            assert [tuple(r[:2]) for r in table[1:]] == [tuple(r[:2]) for r in rows[1:]], name
    assert table[0][:2] == ["ocid", "id"]


def test_the_same_releases_give_the_same_spreadsheet_bytes(year: Year) -> None:
    """No wall clock in the files: made again from the same releases, the workbook and the
    CSV archive are byte for byte what the service serves (an export rewrites nothing)."""
    releases = get(year, "/ocds/2026/releases.json").json()["releases"]
    assert workbook(releases) == get(year, "/ocds/2026/releases.xlsx").content
    assert csv_zip(releases) == get(year, "/ocds/2026/releases.csv.zip").content


def test_flatten_tool_unflattens_the_workbook_into_the_same_releases(
    year: Year, tmp_path: Path
) -> None:
    """``flatten-tool unflatten`` of the downloaded XLSX, with the release schema extended by
    the packages' extensions (it tells which cells are lists and numbers), gives back every
    release exactly."""
    schema = orjson.loads((VECTORS / "standard-1__1__5/schema/release-schema.json").read_bytes())
    for name in OCP_EXTENSIONS.values():
        schema = json_merge_patch.merge(
            schema, orjson.loads((VECTORS / name / "release-schema.json").read_bytes())
        )
    ours = get(year, "/ocds/extension/log-entry/release-schema.json").json()
    (tmp_path / "schema.json").write_bytes(orjson.dumps(json_merge_patch.merge(schema, ours)))
    (tmp_path / "releases.xlsx").write_bytes(get(year, "/ocds/2026/releases.xlsx").content)
    subprocess.run(
        [str(Path(sys.executable).parent / "flatten-tool"), "unflatten", "-f", "xlsx",
         "--root-list-path", "releases", "--id-name", "id", "--root-id", "ocid",
         "--schema", str(tmp_path / "schema.json"), "-o", str(tmp_path / "back.json"),
         str(tmp_path / "releases.xlsx")],
        capture_output=True, check=True,
    )  # fmt: skip
    back = orjson.loads((tmp_path / "back.json").read_bytes())["releases"]
    releases = get(year, "/ocds/2026/releases.json").json()["releases"]
    # unflatten gathers an ocid's releases together; each comes back whole
    assert {r["id"]: r for r in back} == {r["id"]: r for r in releases}
    assert len(back) == len(releases)


@pytest.fixture(scope="module")
def served_vectors() -> Iterator[str]:
    """The bids extension, served as its real home would serve it (no network here)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(VECTORS))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


def test_libcoveocds_finds_no_error_and_ocdskit_compiles_it(
    year: Year, served_vectors: str, tmp_path: Path
) -> None:
    from libcoveocds.api import ocds_json_output
    from libcoveocds.config import LibCoveOCDSConfig

    standard = tmp_path / "standard.zip"
    with zipfile.ZipFile(standard, "w") as out:
        out.writestr("standard-1__1__5/", "")
        for path in sorted((VECTORS / "standard-1__1__5").rglob("*")):
            if path.is_file():
                name = path.relative_to(VECTORS / "standard-1__1__5")
                out.write(path, f"standard-1__1__5/{name}")
    package = get(year, "/ocds/2026/releases.json").json()
    # OCP's extensions from the vectors (their home, at the pinned versions); ours, declaring
    # the links to the log, from the service itself.
    ours = f"{year.server.url}/ocds/extension/log-entry/extension.json"
    assert package["extensions"] == [*map(str, OCP_EXTENSIONS), ours]
    package["extensions"] = [f"{served_vectors}/{name}/extension.json"
                             for name in OCP_EXTENSIONS.values()] + [ours]  # fmt: skip
    config = LibCoveOCDSConfig({"standard_zip": f"file://{standard}", "context": "api"})
    report = ocds_json_output(str(tmp_path), json_data=package, lib_cove_ocds_config=config)
    assert report["validation_errors"] == []
    assert report["extensions"]["invalid_extensions"] == []
    assert len(report["extensions"]["extensions"]) == 4
    # No warning of any kind: every field is declared (``links`` by our extension), every
    # code is in its codelist, nothing is empty or deprecated.
    assert report["additional_closed_codelist_values"] == {}
    # One code outside an open codelist, by design: the 品目 of the 政府采购品目分类目录 is
    # no scheme OCDS lists (README "Open data"); open codelists allow it, no warning.
    extra = report["additional_open_codelist_values"]
    assert list(extra) == ["releases/tender/items/classification/scheme"]
    assert extra["releases/tender/items/classification/scheme"]["values"] == ["CN-ZFCGPMML"]
    assert report.get("additional_checks", {}) == {}
    assert report["additional_fields"] == []
    assert report.get("deprecated_fields", []) == []

    # ocdskit compile, with the schema libcoveocds extended by the bids extension.
    compiled = subprocess.run(
        [str(Path(sys.executable).parent / "ocdskit"), "compile", "--schema",
         str(tmp_path / "extended_schema.json")],
        input=orjson.dumps(package), capture_output=True, check=True,
    ).stdout  # fmt: skip
    by_code = {r["tender"]["id"]: r for r in map(orjson.loads, compiled.splitlines())}
    signed = {leaf["data"]["procurement"]: leaf["data"]["contract_number"]
              for leaf in year.leaves if leaf["type"] == "ContractSigned"}  # fmt: skip
    results = {leaf["data"]["procurement"]: leaf["data"]["date"]
               for leaf in year.leaves if leaf["data"].get("announcement") == "result"}  # fmt: skip
    contract_notices = {leaf["data"]["procurement"] for leaf in year.leaves
                        if leaf["data"].get("announcement") == "contract"}  # fmt: skip
    assert len(by_code) == len({r["ocid"] for r in package["releases"]})
    for code, release in by_code.items():
        contracts = [c["id"] for c in release.get("contracts", [])]
        assert contracts == ([signed[code]] if code in contract_notices else [])
        awards = release.get("awards", [])
        assert [a["date"] for a in awards] == (
            [f"{results[code]}T00:00:00+08:00"] if code in results else []
        )
