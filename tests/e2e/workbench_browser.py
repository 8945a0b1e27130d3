"""The workbench in a browser, as the e2e tests drive it: signing in with an imported key
file, opening a form, checking, previewing, signing and submitting it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Actor, Server

from ledger import signing

#: The page reads every state off its sections; a function, not an expression (the page's
#: policy refuses eval).
SETTLED = (
    "() => !document.getElementById('receipt').hidden"
    " || (t => t.length > 0 && !t.includes('正在签名'))"
    "(document.getElementById('form-status').textContent)"
)


def signed_in(browser: Any, server: Server, actor: Actor, tmp_path: Path) -> Any:
    """A page of a new browser context, signed in with the actor's imported key file."""
    key_file = tmp_path / f"{actor.code}.pem"
    signing.write_key(key_file, actor.key)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(server.url + "/workbench")
    page.fill("#import-actor", actor.code)
    page.set_input_files("#key-file", str(key_file))
    page.click("#import-key button[type=submit]")
    page.wait_for_selector("text=有效至")
    return page


def field(name: str) -> str:
    return f'#fields > p [name="{name}"]'


def open_form(page: Any, server: Server, kind: str, procurement: str = "wb1") -> None:
    page.goto(f"{server.url}/workbench/forms/{kind}?procurement={procurement}")
    # The page comes with a "正在载入表单" line in #fields; the script marks it built.
    page.wait_for_selector('#fields[aria-busy="false"]')


def sign(page: Any) -> str:
    """Check, preview, sign and submit: the receipt's line, or the refusal."""
    page.click("#command-form button[type=submit]")
    page.wait_for_selector("#preview:not([hidden])")
    page.click("#sign")
    page.wait_for_function(SETTLED)
    if page.is_visible("#receipt"):
        return str(page.inner_text("#receipt"))
    return "refused: " + str(page.inner_text("#form-status")) + str(page.inner_text("#errors"))
