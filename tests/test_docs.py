"""The README and docs/ stand on their own in a fresh clone, and show the
product; `make run` takes its port from PORT."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Markdown links and images: [text](target) and ![alt](target).
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
SCREENSHOTS = [
    "groups.png",
    "editor.png",
    "segment.png",
    "known-user-group-import.png",
    "segment-fr.png",
    "groups-mobile.png",
]


def relative_links(path: Path) -> list[str]:
    return [
        target.split("#")[0]
        for target in LINK.findall(path.read_text(encoding="utf-8"))
        if not re.match(r"[a-z]+:|#", target)
    ]


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: p.name)
def test_every_relative_link_points_inside_the_repository_at_a_file(doc):
    for target in relative_links(doc):
        resolved = (doc.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc.name} links outside: {target}"
        assert resolved.exists(), f"{doc.name} links a missing file: {target}"


def test_the_readme_links_the_product_and_design_docs_and_shows_six_screenshots():
    # A fresh clone has no ../shared: what a reader needs lives in docs/.
    assert "../shared" not in (ROOT / "README.md").read_text(encoding="utf-8")
    links = relative_links(ROOT / "README.md")
    assert {"docs/product.md", "docs/design.md"} <= set(links)
    assert [f"docs/screenshots/{name}" for name in SCREENSHOTS] == [
        link for link in links if link.startswith("docs/screenshots/")
    ]
    for name in SCREENSHOTS:
        assert (ROOT / "docs" / "screenshots" / name).read_bytes()[:8] == (
            b"\x89PNG\r\n\x1a\n"
        )


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_run_serves_and_prints_the_port_it_is_given():
    dry_run = subprocess.run(
        ["make", "--dry-run", "run", "PORT=8123"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "http://127.0.0.1:8123/" in dry_run
    assert "start --port 8123" in dry_run
    web = next(
        line
        for line in (ROOT / "Procfile.dev").read_text().splitlines()
        if line.startswith("web:")
    )
    assert web.endswith("runserver 127.0.0.1:$PORT")
