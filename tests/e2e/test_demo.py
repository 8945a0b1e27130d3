"""`sunshine demo` builds the demo ledger and serves that same ledger."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
from conftest import TLS, eventually, free_port, sunshine, wait_until_serving
from lookup_client import look_up

from ledger.domain.schema.kinds import NOTICE_KINDS
from ledger.log.note import open_note, parse_checkpoint, parse_verifier_key

#: The demo year's 采购公告 of every method but single source (whose 公示 is its own kind).
TENDERS = 149


def said_until_serving(process: subprocess.Popen[bytes]) -> str:
    """What the demo printed up to its "serving … on http://…" line; afterwards a thread
    keeps reading its output, so the server never blocks on a full pipe."""
    assert process.stdout is not None
    out = process.stdout
    said = ""
    while not (line := out.readline().decode()).startswith("serving "):
        assert line, f"sunshine demo exited ({process.wait()}) before serving:\n{said}"
        said += line
    threading.Thread(target=lambda: out.read(), daemon=True).start()
    return said


def test_demo_serves_the_ledger_it_built_and_publishes_it(tmp_path: Path) -> None:
    port, site_port = free_port(), free_port()
    # As `make demo` runs it: no --db, no --data-dir, from the working directory.
    data = tmp_path / "data" / "demo"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUNSHINE_")}
    ports = ["--port", str(port), "--site-port", str(site_port)]
    process = subprocess.Popen(
        [sys.executable, "-m", "sunshine.cli", "demo", *ports],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Ready when the demo says it serves (after building the year and starting its
        # publisher) and the server then answers; the demo exiting first is the failure.
        # No wall clock: a loaded machine may take minutes (pytest-timeout ends a hang).
        said = said_until_serving(process)
        wait_until_serving(base, process)
        verifier = parse_verifier_key(httpx.get(base + "/log/key", verify=TLS).text.strip())

        def log_size() -> int:
            note = httpx.get(base + "/log/checkpoint", verify=TLS)
            assert note.status_code == 200, note.text
            return parse_checkpoint(open_note(note.text, [verifier])).size

        # The demo is built before it is served: the served log is the demo's, the registry
        # (genesis, organisations with their actors and keys) and the procurement year of
        # demo.year, some 2,600 entries, as the demo said (receipts may be arriving
        # already, so the size it serves now may be larger).
        built_line = re.search(r"(\d+) log entries", said)
        assert built_line is not None, f"sunshine demo did not say what it built: {said}"
        built = int(built_line.group(1))
        assert built >= 2000 and log_size() >= built
        # Meanwhile the publisher pushes every notice of the year to the local procurement
        # website, which checks both signatures; each delivery is a receipt in the log.
        site = f"http://127.0.0.1:{site_port}"

        # Every notice the ledger holds, 819 this year: counted in the built ledger first, so
        # a changed demo fails here, not after waiting for notices that never come.
        with sqlite3.connect(data / "ledger.db") as conn:
            query = "SELECT json_extract(leaf, '$.type') FROM log_leaves"
            kinds = [k for (k,) in conn.execute(query)]
        notices = sum(kind in NOTICE_KINDS for kind in kinds)
        assert notices == 819

        def arrived_all() -> dict[str, Any] | None:
            answer = httpx.get(site + "/notices.json", timeout=60, verify=TLS)
            arrived: dict[str, Any] = answer.json()
            return arrived if arrived["count"] >= notices else None

        arrived = eventually(arrived_all, process, every=0.2)
        assert arrived["count"] == notices and arrived["duplicates"] == 0
        assert arrived["refused"] == {}
        assert arrived["by_announcement"]["tender"] == TENDERS
        page = httpx.get(site + "/", verify=TLS)
        assert "签名已验证" in page.text and "签名未验证" not in page.text
        # The county and its bodies are invented, and every page and notice says so.
        arrivals = httpx.get(site + "/arrivals.json", timeout=60, verify=TLS).json()
        assert len(arrivals) == notices
        assert {a["marker"] for a in arrivals} == {"演示数据，纯属虚构"}
        assert "（演示数据，纯属虚构）" in page.text
        for path in ("/", "/announcements", "/supervision/sign-in", "/no-such-page"):
            shown = httpx.get(base + path, headers={"Accept": "text/html"}, verify=TLS)
            assert '<p class="banner" role="note">演示数据，纯属虚构</p>' in shown.text, path
        # The last receipts are being appended.
        eventually(lambda: log_size() >= built + notices, process, every=0.2)
        size = log_size()
        assert size == built + notices
        # An actor's demo key signs a command the served ledger accepts.
        command = tmp_path / "amend.json"
        command.write_text(
            '{"type": "AmendOrganisation", "actor": "qhx-rmyy-op", '
            '"payload": {"code": "qhx-rmyy", "address": "澄溪县长江路12号（新院区）"}}',
            encoding="utf-8",
        )
        submitted = sunshine(
            "submit",
            str(command),
            "--key",
            str(data / "demo-keys" / "qhx-rmyy-op.pem"),
            "--url",
            base,
            data_dir=tmp_path,
        )
        assert submitted.returncode == 0, submitted.stdout + submitted.stderr
        # The demo's two witnesses, 审计局 and 纪委监委, each its own process, cosign every
        # checkpoint; /log/checkpoint serves the newest cosigned one, so wait for it.
        assert "witness 审计局 on http://" in said and "witness 纪委监委 on http://" in said
        eventually(lambda: log_size() == size + 1, process, every=0.2)
        policy = tmp_path / "witness-policy.txt"
        policy.write_bytes(httpx.get(base + "/log/witness-policy", verify=TLS).content)
        assert (data / "witnesses" / "qhx-sjj" / "witness-key.pem").is_file()
        verified = sunshine("verify", "--url", base, "--check-timing", "--policy", str(policy),
                            data_dir=tmp_path)
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert f"OK: {size + 1} entries" in verified.stdout
        assert "witness quorum met (cosigned by 审计局, 纪委监委)" in verified.stdout
        # A newcomer looks up a demo challenge with the code its supplier received.
        codes = (data / "challenge-lookup-codes.txt").read_text(encoding="utf-8").splitlines()
        number, code, _supplier = next(line for line in codes if "-ZY" in line).split("\t")

        def looked_up() -> httpx.Response | None:  # 503 until the projection has caught up
            found = look_up(base, number, code)
            return None if found.status_code == 503 else found

        found = eventually(looked_up, process, every=0.5)
        assert found.status_code == 200, found.text[:300]
        assert number in found.text and "答复期限" in found.text
        # The demo serves as `sunshine serve` does: no X-Forwarded-For is believed, so a
        # process on this machine cannot pose as many clients to guess codes.
        wrong = ("A" if code[0] != "A" else "B") + code[1:]
        for n in range(5):
            posed = {"X-Forwarded-For": f"198.51.100.{n + 1}"}
            assert look_up(base, number, wrong, headers=posed).status_code == 404
        blocked = look_up(base, number, code, headers={"X-Forwarded-For": "198.51.100.9"})
        assert blocked.status_code == 429
    finally:
        process.terminate()
        process.wait(timeout=60)
    # Its witnesses' processes ended with it.
    assert not [p for p in Path("/proc").glob("[0-9]*/cmdline")
                if _reads(p).startswith(sys.executable) and "witness\0serve" in _reads(p)
                and str(tmp_path) in str(Path(f"/proc/{p.parent.name}/cwd").resolve())]


def _reads(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:  # the process ended meanwhile
        return ""


def test_demo_never_touches_a_directory_it_did_not_make(tmp_path: Path) -> None:
    precious = tmp_path / "data"
    precious.mkdir()
    (precious / "ledger.db").write_bytes(b"the county's real ledger")
    result = sunshine("demo", "--no-serve", "--data-dir", str(precious), data_dir=tmp_path)
    assert result.returncode == 2
    assert "was not made by `sunshine demo`" in result.stderr
    assert (precious / "ledger.db").read_bytes() == b"the county's real ledger"
    # A directory the demo made is rebuilt on the next run.
    again = tmp_path / "demo"
    for _ in range(2):
        built = sunshine("demo", "--no-serve", "--data-dir", str(again), data_dir=tmp_path)
        assert built.returncode == 0, built.stdout + built.stderr
