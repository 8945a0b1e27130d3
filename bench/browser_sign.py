"""Signing and submitting a command from the browser, on the demo year (Chromium, local).

The demo year is built (`sunshine demo --no-serve`) and served by `sunshine serve` (one
worker, SQLite). Headless Chromium opens the workbench and loads its signing module
(static/signing.js) with 澄溪县第一中学's demo key file, held non-extractable as the workbench
holds it; each round then does what the workbench does for an action: the command made and
its RFC 8785 canonical JSON signed with WebCrypto Ed25519 (signedBody), POST /commands,
and the receipt read. Timed in the page (performance.now). The command is an
AmendOrganisation of 第一中学's address, recorded each time (201, integrated, with its
proof). Target: p95 < 300 ms (issue 15).

Baseline, same run and server: the same command signed in Python (`ledger.signing`, the
`rfc8785` package, as `sunshine submit` signs) and posted with httpx. Rounds alternate in
blocks between the two clients so that both see the same load.

    .venv/bin/python -m bench.browser_sign [--rounds 300]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, Result, log, percentiles, rounded, scratch_dir, write_results
from bench.proofs import start_server

TARGET_MS = 300.0
BLOCK = 20
WARM_UP = 20
ACTOR, ORGANISATION = "qhx-yz-op", "qhx-yz"
CHROMIUM = Path(os.environ.get("SUNSHINE_CHROMIUM", "/usr/bin/chromium"))

#: One block of rounds in the page: sign, post, read the receipt; milliseconds per round
#: (whole, and signing alone).
ROUNDS_IN_PAGE = """async ([pem, actor, organisation, first, count]) => {
  const { readKey, signedBody } = await import("/static/signing.js");
  const signer = window.benchSigner ??= await readKey(new File([pem], "key.pem"));
  const rounds = [];
  for (let i = first; i < first + count; i++) {
    const started = performance.now();
    const payload = { code: organisation, address: `澄溪县学府路 ${i} 号（浏览器）` };
    const body = await signedBody(signer, actor, "AmendOrganisation", null, payload);
    const signed = performance.now();
    const answer = await fetch("/commands", {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "application/json" },
      body,
    });
    const receipt = await answer.json();
    if (answer.status !== 201) throw new Error(`${answer.status} ${JSON.stringify(receipt)}`);
    rounds.push([performance.now() - started, signed - started]);
  }
  return rounds;
}"""


def build_demo(directory: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sunshine.cli", "demo", "--no-serve", "--data-dir", str(directory)],
        cwd=ROOT, capture_output=True, text=True, env=dict(os.environ))
    if done.returncode != 0:
        raise RuntimeError(f"sunshine demo failed: {done.stderr[-2000:]}")


def run(rounds: int) -> list[Result]:
    import httpx
    from playwright.sync_api import sync_playwright

    from ledger import signing

    with scratch_dir("browser-sign") as d:
        log("building the demo year")
        build_demo(d)
        key_file = d / "demo-keys" / f"{ACTOR}.pem"
        pem, key = key_file.read_text(encoding="ascii"), signing.read_key(key_file)
        process, url = start_server(d / "ledger.db", d)
        browser_ms: list[float] = []
        signing_ms: list[float] = []
        python_ms: list[float] = []
        try:
            with sync_playwright() as playwright, httpx.Client(base_url=url) as client:
                chromium = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                      headless=True)
                page = chromium.new_page()
                page.goto(url + "/workbench")

                def in_browser(first: int, count: int) -> list[list[float]]:
                    done: list[list[float]] = page.evaluate(
                        ROUNDS_IN_PAGE, [pem, ACTOR, ORGANISATION, first, count])
                    return done

                def in_python(first: int, count: int) -> list[float]:
                    samples = []
                    for i in range(first, first + count):
                        started = time.perf_counter()
                        command = signing.new_command("AmendOrganisation", {
                            "code": ORGANISATION, "address": f"澄溪县学府路 {i} 号（程序）",
                        }, actor=ACTOR, key=key)
                        body = json.dumps(signing.sign(command, key), ensure_ascii=False)
                        answer = client.post("/commands", content=body.encode(),
                                             headers={"Content-Type": "application/json"})
                        answer.json()
                        if answer.status_code != 201:
                            raise RuntimeError(f"{answer.status_code} {answer.text[:300]}")
                        samples.append((time.perf_counter() - started) * 1000)
                    return samples

                in_browser(0, WARM_UP)
                in_python(0, WARM_UP)
                for first in range(WARM_UP, WARM_UP + rounds, BLOCK):
                    count = min(BLOCK, WARM_UP + rounds - first)
                    for whole, signed in in_browser(first, count):
                        browser_ms.append(whole)
                        signing_ms.append(signed)
                    python_ms += in_python(first, count)
                version = chromium.version
                chromium.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
        log(f"{rounds} rounds each, Chromium {version}")
    browser, python, sign_only = (percentiles(s) for s in (browser_ms, python_ms, signing_ms))
    return [
        Result(
            name="browser_sign_submit",
            title="Sign and submit a command from the browser (Chromium, demo year), p95",
            target="p95 < 300 ms",
            measured=browser["p95"],
            unit="ms",
            baseline=python["p95"],
            baseline_label="same command signed in Python and posted, p95 ms",
            ratio=browser["p95"] / python["p95"] if python["p95"] else None,
            passed=browser["p95"] < TARGET_MS,
            details={"rounds": rounds, "chromium": version,
                     "browser_round_ms": rounded(browser),
                     "browser_signing_only_ms": rounded(sign_only),
                     "python_round_ms": rounded(python),
                     "command": "AmendOrganisation by qhx-yz-op (demo key), recorded each time",
                     "server": "sunshine serve (uvicorn, 1 worker), SQLite, demo year"},
        )
    ]


def main(argv: list[str] | None = None) -> list[Result]:
    parser = argparse.ArgumentParser(prog="python -m bench.browser_sign")
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = run(args.rounds)
    write_results("browser_sign", results, seconds=time.perf_counter() - started)
    return results


if __name__ == "__main__":
    main()
