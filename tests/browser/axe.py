"""axe-core in the browser tests: run it on a page, describe what it finds;
and the reflow check axe cannot do (is the page wider than the window).

axe-core is vendored (``vendor/axe.min.js`` and its licence, version
``AXE_VERSION``, from the npm registry's ``axe-core`` package; no CDN) and
injected into the page under test. Serious and critical violations fail the
tests (``axe_check`` in conftest.py, ``Screens`` in test_accessibility.py).
"""

import json
import os
from pathlib import Path

AXE_VERSION = "4.14.1"
AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe.min.js"
# WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING_IMPACTS = ("serious", "critical")
# AXE_REPORT=path appends every check's violations (all impacts) to that file
# as JSON lines: what a findings list is written from.
REPORT_ENV = "AXE_REPORT"


def axe_violations(page) -> list[dict]:
    """Run axe-core on the page as it is now: every violation, any impact."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_SCRIPT))
    results = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: "tag", values: tags},
            resultTypes: ["violations"],
        })""",
        AXE_TAGS,
    )
    return results["violations"]


def axe_describe(violations: list[dict]) -> str:
    """One paragraph per rule: impact, id, help and link, then each element
    (its selector and the start of its HTML) and what axe says to fix."""
    lines = []
    for violation in violations:
        lines.append(
            f"[{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({violation['helpUrl']})"
        )
        for node in violation["nodes"]:
            lines.append("  - " + " ".join(json.dumps(t) for t in node["target"]))
            lines.append(f"    {node['html'][:200]}")
            summary = node.get("failureSummary") or ""
            lines.extend(f"    {line.strip()}" for line in summary.splitlines()[:4])
    return "\n".join(lines)


def axe_report(page, *, check: str, violations: list[dict]) -> None:
    """Append the check to the AXE_REPORT file, when that is set."""
    path = os.environ.get(REPORT_ENV)
    if not path:
        return
    record = {
        "check": check,
        "url": page.url,
        "viewport": page.viewport_size,
        # Wider than the viewport: the page scrolls sideways.
        "document_width": page.evaluate("document.documentElement.scrollWidth"),
        "violations": [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [
                    {
                        "target": n["target"],
                        "html": n["html"][:300],
                        "summary": n.get("failureSummary", ""),
                    }
                    for n in v["nodes"]
                ],
            }
            for v in violations
        ],
    }
    with open(path, "a", encoding="utf-8") as report:
        report.write(json.dumps(record) + "\n")


def axe_failures(page, *, check: str) -> str:
    """Run axe-core; describe its serious and critical violations ("" if none)."""
    violations = axe_violations(page)
    axe_report(page, check=check, violations=violations)
    failing = [v for v in violations if v["impact"] in FAILING_IMPACTS]
    return axe_describe(failing) if failing else ""


# The elements that make the page wider than the window, outermost first,
# leaving out those inside a scrolling box (a table that scrolls is not the
# page scrolling) and fixed ones (an off-screen menu).
WIDER_THAN_WINDOW = """() => {
  const width = document.documentElement.clientWidth;
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth <= width) return null;
  const contained = el => {
    for (let a = el; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      if (style.position === "fixed") return true;
      if (a !== el && style.overflowX !== "visible") return true;
    }
    return false;
  };
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement.getBoundingClientRect().right;
    if (right > width + 1 && parent <= width + 1 && !contained(el)) {
      const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
        + [...el.classList].map(c => "." + c).join("");
      wide.push(name + " ends at " + Math.round(right) + " px: "
        + el.outerHTML.slice(0, 160));
    }
  }
  return {pageWidth, width, wide: wide.slice(0, 6)};
}"""


def reflow_failures(page) -> str:
    """A page wider than the window scrolls sideways (WCAG 1.4.10 Reflow,
    which axe-core does not check): name what sticks out ("" if nothing)."""
    wider = page.evaluate(WIDER_THAN_WINDOW)
    if not wider:
        return ""
    lines = [
        f"[serious] reflow: the page is {wider['pageWidth']} px wide in a"
        f" {wider['width']} px window (WCAG 1.4.10; stack, wrap or let a table"
        " scroll in its own focusable box)"
    ]
    lines.extend(f"  - {element}" for element in wider["wide"])
    return "\n".join(lines)
