"""The strict Content-Security-Policy in a real browser: the pages work and nothing is blocked."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} (${where})`);
});
"""


def test_graph_page_runs_under_the_policy_without_violations(page, screenshots):
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.fill("#source", "a = 2.0\nb = -3.0\nL = tanh(a*b)")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#graph svg g[id^=node-]")
    page.click("#export-menu summary")
    with page.expect_download() as download:
        page.click("#export-png")  # draws the SVG through a blob: image onto a canvas
    assert download.value.suggested_filename.endswith(".png")
    page.screenshot(path=str(screenshots / "csp-graph-page.png"))
    assert page.evaluate("window.__violations") == []
    assert not [m for m in page.console_errors if "Content Security Policy" in m]


def test_an_inline_script_is_blocked(page):
    """The policy is really enforced: a script injected inline does not run."""
    page.add_init_script(RECORD_VIOLATIONS)
    page.goto("/")
    page.evaluate(
        """() => { const s = document.createElement("div");
        s.innerHTML = '<img src="x" onerror="window.__ran = true">'; document.body.append(s); }"""
    )
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in page.evaluate("window.__violations"))


def test_train_page_runs_under_the_policy_without_violations(page, screenshots):
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/train")
    assert response.status == 200
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("body[data-ready=true]")
    for _ in range(3):
        page.click("#step")
    page.wait_for_function("() => Number(document.querySelector('#stat-step').textContent) >= 3")
    page.screenshot(path=str(screenshots / "csp-train-page.png"))
    assert page.evaluate("window.__violations") == []
    assert not [m for m in page.console_errors if "Content Security Policy" in m]


def test_api_docs_render_offline_under_the_policy(page, base_url, screenshots):
    """Swagger UI is vendored: /docs lists every operation with no request leaving the app."""
    page.add_init_script(RECORD_VIOLATIONS)
    response = page.goto("/docs")
    assert response.status == 200
    page.wait_for_function("() => document.querySelectorAll('.opblock').length >= 8")  # every operation
    assert "/api/graph" in page.inner_text("#swagger-ui").replace("\u200b", "")
    page.screenshot(path=str(screenshots / "api-docs.png"))
    assert [url for url in page.requests if not url.startswith(base_url)] == []
    assert page.evaluate("window.__violations") == []
