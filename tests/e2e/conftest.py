"""Browser tests: Playwright driving Debian's Chromium (Playwright's own browser download is not
available here), headless, at the size of the field tablets (1024×768). Screenshots go to
`artifacts/` at the repository root, which is gitignored.

Other apps' browser tests reuse `login()` and `screenshot()`; the browser fixtures below are made
available to every test folder through tests/conftest.py."""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright runs an event loop in the test thread while the tests call the ORM synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
VIEWPORT = {"width": 1024, "height": 768}
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": CHROMIUM,
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": VIEWPORT, "locale": "zh-CN"}


def login(page, live_server, username: str, password: str, *, expect_success: bool = True) -> None:
    """Log in through the login form; on success wait until the home page has loaded."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("#login-button")
    if expect_success:
        page.wait_for_url(f"{live_server.url}/")


def logout(page) -> None:
    page.click("#user-menu")
    with page.expect_navigation():
        page.click("#logout-button")


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as artifacts/<name>.png and return its path."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_static_loaded(page) -> None:
    """Bootstrap's CSS and JS really loaded: the navbar is styled and `bootstrap` is defined."""
    assert page.evaluate("typeof window.bootstrap") == "object", "bootstrap.bundle.min.js did not load"
    assert page.evaluate("typeof window.htmx") == "object", "htmx.min.js did not load"
    display = page.evaluate("getComputedStyle(document.querySelector('.navbar')).display")
    assert display == "flex", "bootstrap.min.css did not load"
    navbar = page.evaluate("getComputedStyle(document.querySelector('.app-navbar')).backgroundColor")
    assert navbar == "rgb(11, 79, 138)", "css/app.css did not load"


def assert_fits_tablet(page) -> None:
    """No horizontal scrolling of the whole page at the tablet width; a failure names the widest
    elements that stick out (tag#id.class and their right edge)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= VIEWPORT["width"]:
        return
    culprits = page.evaluate("""(limit) => Array.from(document.querySelectorAll("body *"))
        .map(e => [e, e.getBoundingClientRect().right])
        .filter(([e, right]) => right > limit)
        .sort((a, b) => a[0].contains(b[0]) ? 1 : b[0].contains(a[0]) ? -1 : 0)
        .slice(0, 8)
        .map(([e, right]) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
             + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\\s+/).join(".") : "")
             + " right=" + Math.round(right))""", VIEWPORT["width"])
    assert width <= VIEWPORT["width"], (width, culprits)


# Every document the page loads reports its Content-Security-Policy violations (refused inline
# script or style, foreign origin, eval) to the test through a binding; the listener is installed
# by Playwright before the page's own scripts and is not itself subject to the policy.
_CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolation([location.pathname, e.effectiveDirective, e.blockedURI,
                         (e.sourceFile || "") + ":" + e.lineNumber, e.sample].join(" | "));
});
"""


def watch_csp(page) -> list[str]:
    """Collect every CSP violation of this page (any document it loads) into the returned list."""
    violations: list[str] = []
    page.expose_binding("__cspViolation", lambda source, text: violations.append(text))
    page.add_init_script(_CSP_LISTENER)
    return violations


def assert_strict_csp(response) -> None:
    """The response carries the enforced policy (not report-only) without inline or eval escapes."""
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy and "style-src 'self'" in policy, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, policy
    assert "content-security-policy-report-only" not in response.headers
