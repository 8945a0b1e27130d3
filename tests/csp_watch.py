"""Content-Security-Policy violations a real browser reports, for page tests.

``watch_policy(page)`` makes every document the page loads record its violations (the
``securitypolicyviolation`` event) before any of the page's own scripts run;
``violations(page)`` reads those of the current document, and ``planted_handler_is_blocked``
shows that the policy is in force and the watch sees what it blocks.
"""

from __future__ import annotations

from typing import Any

WATCH = """
window.__policyViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__policyViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${e.sourceFile}:${e.lineNumber}`
  );
});
"""


def watch_policy(page: Any) -> list[str]:
    """Record the page's violations; the list returned collects the console's CSP errors."""
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on(
        "console",
        lambda m: console.append(f"{page.url}: {m.text}")
        if "Content Security Policy" in m.text
        else None,
    )
    return console


def violations(page: Any) -> list[str]:
    """The violations the current document reported so far."""
    found: list[str] = page.evaluate("window.__policyViolations || []")
    return [f"{page.url}: {v}" for v in found]


def planted_handler_is_blocked(page: Any) -> bool:
    """Plant an inline ``onerror`` handler: under the policy it never runs and is reported."""
    page.evaluate(
        """() => document.body.insertAdjacentHTML("beforeend",
             '<img alt="" src="/no-such-image.png" onerror="window.__plantedRan = 1">')"""
    )
    # A function: Playwright would poll a bare expression with eval, which the policy refuses.
    ran_or_reported = "() => window.__plantedRan === 1 || window.__policyViolations.length > 0"
    page.wait_for_function(ran_or_reported, timeout=10_000)
    return bool(page.evaluate("window.__plantedRan === undefined"))
