"""What every page a journey visits must pass: security headers and an accessibility check.

Issue 22 points 2 and 5. `JourneyPage` wraps a Playwright page: it records every document the
browser loads (a `goto`, a link, a form's redirect) and `check()` asserts, for the page on the
screen, that axe-core (installed from the npm registry by `make install-js`, injected into the
page, never served by Kinga) finds no serious or critical violation, and at the end every
document seen carried the security headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AXE_SCRIPT = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.js"

# Headers every page of Kinga carries (kinga.lib.middleware and Django's SecurityMiddleware).
REQUIRED_HEADERS = {
    "content-security-policy": "default-src 'self'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=()",
}
# Pages of a signed-in person must not linger in a shared browser's cache.
SIGNED_IN_HEADERS = {"cache-control": "no-store"}

# The rules of WCAG 2.0/2.1 levels A and AA; "serious" and "critical" fail the journey.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = {"serious", "critical"}
AXE_RUN = """async tags => {
  const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
  const result = await axe.run(document, options);
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
  }));
}"""


def axe_script() -> str:
    if not AXE_SCRIPT.exists() or AXE_SCRIPT.stat().st_size == 0:
        # empty: an install cut off half way (two `npm install` at once in one folder)
        raise RuntimeError(
            f"{AXE_SCRIPT} is missing or empty: run `rm -r node_modules; make install-js` "
            "(npm installs axe-core from package.json)"
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


@dataclass
class Seen:
    """A document the browser loaded; its headers are read from the browser when first asked.

    The response handler only notes the response: reading its headers there is a round trip to
    the browser, during which Playwright's sync API let `goto` return before the document was
    noted (the journey "loaded no page" on a fast CI machine).
    """

    url: str
    status: int
    response: Any = field(repr=False)
    _headers: dict[str, str] | None = field(default=None, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        if self._headers is None:
            self._headers = self.response.all_headers()
        return self._headers


@dataclass
class JourneyPage:
    """A Playwright page that remembers every document it loaded and checks each screen."""

    page: Any
    base_url: str
    documents: list[Seen] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("response", self._record)

    def _record(self, response: Any) -> None:
        request = response.request
        if request.resource_type != "document" or request.frame != self.page.main_frame:
            return
        if not response.url.startswith(self.base_url):
            return
        if 300 <= response.status < 400:
            return  # a redirect: its target is recorded when it loads
        if not any(seen.response is response for seen in self.documents):
            self.documents.append(Seen(response.url, response.status, response))

    def goto(self, path: str) -> Any:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response is not None and response.status < 400, (path, response and response.status)
        self._record(response)  # noted here too, whether or not the handler has run yet
        return response

    def check(self, label: str = "") -> None:
        """Run axe-core on the screen as it is now; fail on any serious or critical violation."""
        page = self.page
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            # Injected by the test runner (CDP), so the page's CSP does not apply to it.
            page.evaluate(axe_script())
        result = page.evaluate(AXE_RUN, AXE_TAGS)
        bad = [v for v in result if v["impact"] in FAILING_IMPACTS]
        where = label or page.url
        assert not bad, f"accessibility violations on {where}: {bad}"
        self.checked.append(page.url)

    def assert_headers(self, *, signed_in_paths: tuple[str, ...] = ()) -> None:
        """Every document loaded carried the security headers (and no-store when signed in)."""
        assert self.documents, "the journey loaded no page"
        for seen in self.documents:
            for name, expected in REQUIRED_HEADERS.items():
                value = seen.headers.get(name, "")
                assert expected in value, f"{seen.url}: header {name} is {value!r}"
        for seen in self.documents:
            if any(path in seen.url for path in signed_in_paths):
                for name, expected in SIGNED_IN_HEADERS.items():
                    assert expected in seen.headers.get(name, ""), f"{seen.url}: {name}"
