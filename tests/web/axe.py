"""axe-core in the browser tests: injected by the test driver, run under the page's own CSP.

The script is evaluated through Playwright (the DevTools protocol), which a page's
Content-Security-Policy does not govern, so the pages keep ``script-src 'self'`` and the host
never serves axe. Rules: WCAG 2.0-2.2 A and AA plus axe's best practices, as an auditor runs it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

AXE_JS = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text(encoding="utf-8")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"]
IMPACTS = ("critical", "serious", "moderate", "minor")
# The sizes of the audit: a 1080p TV or PC and a phone.
VIEWPORTS = {"1080p": (1920, 1080), "phone": (390, 844)}

_RUN = """async (tags) => {
  const result = await axe.run(document, { runOnly: { type: "tag", values: tags } });
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact || "minor", help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ")),
  }));
}"""


# WCAG 3.1.2 (Language of Parts), which axe does not check: English words shown under a Chinese
# lang, and aria-labels in one language only. Option text cannot hold marked parts (HTML allows
# text only there), a lang="" span is text of unknown language, typed by staff, and the text
# inside a role="img" (a chart) is not exposed: its aria-label speaks for it.
_LANGUAGE = r"""() => {
  const found = [];
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!/[A-Za-z]{2,}/.test(node.data) || el.closest("script, style, option, [role=img]")) continue;
    if (!shown(el)) continue;
    const lang = (el.closest("[lang]") || document.documentElement).getAttribute("lang");
    if (lang.startsWith("zh")) found.push(`English under lang=${lang}: "${node.data.trim()}"`);
  }
  if (document.documentElement.lang.startsWith("zh")) {
    for (const el of document.querySelectorAll("[aria-label]")) {
      const label = el.getAttribute("aria-label");
      const bilingual = /[\u4e00-\u9fff]/.test(label) && /[A-Za-z]/.test(label);
      if (!bilingual) found.push(`aria-label not bilingual: "${label}"`);
    }
  }
  return found;
}"""


def language_of_parts(page: Page) -> list[str]:
    """Text in the wrong language for its ``lang``, and labels not in both languages."""
    found: list[str] = page.evaluate(_LANGUAGE)
    return found


@dataclass(frozen=True)
class Violation:
    rule: str
    impact: str
    help: str
    nodes: tuple[str, ...]

    def __str__(self) -> str:
        return f"[{self.impact}] {self.rule}: {self.help} -> {', '.join(self.nodes[:4])}"


def audit(page: Page) -> list[Violation]:
    """Run axe on the page as it is now (axe is injected once per document)."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS)
    found = page.evaluate(_RUN, TAGS)
    return [Violation(v["id"], v["impact"], v["help"], tuple(v["nodes"])) for v in found]


def by_impact(violations: list[Violation]) -> dict[str, int]:
    """Violated rules per impact, every impact present (0 if none)."""
    counts = Counter(v.impact for v in violations)
    return {impact: counts[impact] for impact in IMPACTS}


def blocking(violations: list[Violation], customer_facing: bool) -> list[Violation]:
    """What fails the test: serious and critical everywhere, moderate too on customers' pages."""
    worst = ("critical", "serious", "moderate") if customer_facing else ("critical", "serious")
    return [v for v in violations if v.impact in worst]
