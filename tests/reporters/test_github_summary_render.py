"""The job summary as a reviewer sees it: the step summary of a real pull request's lint,
Markdown turned into HTML, its mermaid graph drawn by mermaid, in headless Chromium at the
width GitHub gives a job summary. The test asserts structure (the graph is drawn, its
labels and legend are there, nothing is wider than the page); the PNG it saves is for
people (ALEMBIC_GATE_SCREENSHOTS=DIR keeps a copy).
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import consumers
import pytest
from markdown_it import MarkdownIt

from alembic_gate.main import main

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart"
LAST = "4c535d2e7ab2"
# The content column of a job summary on a 1280 px wide window.
WIDTH = 880
REVISION = '''"""{message}

Revision ID: {rid}
Revises: {down}
"""
from alembic import op

revision = "{rid}"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade():
    {body}


def downgrade():
    pass
'''
PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><style>
body {{ margin: 0; font: 14px/1.5 "DejaVu Sans", sans-serif; color: #1f2328; }}
.summary {{ width: {width}px; padding: 16px; box-sizing: border-box; overflow-wrap: break-word; }}
pre {{ background: #f6f8fa; padding: 8px; overflow-x: auto; }}
code {{ font-family: "DejaVu Sans Mono", monospace; font-size: 12px; }}
</style></head>
<body><div class="summary">{body}</div></body></html>
"""


def git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def revision(project: Path, rid: str, down: str, message: str, body: str = "pass") -> None:
    path = project / "backend" / "migrations" / "versions" / f"{rid[:4]}_{rid}.py"
    path.write_text(REVISION.format(message=message, rid=rid, down=down, body=body))


@pytest.fixture
def pull_request(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A monorepo (project in backend/) whose branch adds two revisions on an old parent
    while main moved on, checked out as GitHub's merge of the two."""
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "Dev")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "dev@example.com")
    repo = tmp_path / "repo"
    shutil.copytree(QUICKSTART, repo / "backend", ignore=shutil.ignore_patterns("__pycache__"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    git(repo, "checkout", "-q", "-b", "feature")
    revision(repo, "b1b1b1b1b1b1", LAST, "add a `slug` column to post")
    revision(
        repo,
        "b2b2b2b2b2b2",
        "b1b1b1b1b1b1",
        "drop the legacy title column",
        'op.drop_column("post", "title")',
    )
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "feature")
    git(repo, "checkout", "-q", "main")
    revision(repo, "a1a1a1a1a1a1", LAST, "index post by author")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "main moved on")
    git(repo, "checkout", "-q", "--detach", "main")
    git(repo, "merge", "-q", "--no-ff", "--no-edit", "feature")
    return repo


def step_summary(repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    summary = tmp_path / "summary.md"
    monkeypatch.chdir(repo / "backend")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["lint", "--base", "main", "--format", "github"]) == 1
    return summary.read_text(encoding="utf-8")


def to_html(markdown: str) -> str:
    """GitHub-flavoured enough: tables, and mermaid fences handed to mermaid."""
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    return re.sub(
        r'<pre><code class="language-mermaid">(.*?)</code></pre>',
        lambda m: f'<pre class="mermaid">{m.group(1)}</pre>',
        rendered,
        flags=re.S,
    )


FACTS = """() => {
  const page = document.querySelector('.summary');
  const svgs = [...document.querySelectorAll('pre.mermaid svg')];
  const wider = [...page.querySelectorAll('*')]
    .filter(e => e.getBoundingClientRect().right > page.getBoundingClientRect().right + 1)
    .map(e => e.tagName + ' ' + e.textContent.slice(0, 60));
  const scrolled = [...page.querySelectorAll('pre:not(.mermaid)')]
    .filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent.slice(0, 60));
  return {
    svgs: svgs.length,
    errors: document.querySelectorAll('[id^="d"] .error-icon, .error-text').length,
    labels: svgs.map(s => [...s.querySelectorAll('.nodeLabel')].map(n => n.textContent)),
    styled: svgs.map(s => s.querySelectorAll('g.node.new').length),
    wider: wider,
    scrolled: scrolled,
    text: page.innerText,
  };
}"""


def render(page_html: str, screenshot: Path) -> dict[str, Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    chromium = consumers.chromium()
    mermaid = consumers.mermaid_js()
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=args)
        try:
            page = browser.new_page(viewport={"width": WIDTH + 40, "height": 900})
            page.set_content(page_html)
            page.add_script_tag(path=str(mermaid))
            page.evaluate(
                "async () => { mermaid.initialize({startOnLoad: false, securityLevel: 'strict'});"
                " await mermaid.run({querySelector: 'pre.mermaid'}); }"
            )
            page.wait_for_function("document.querySelectorAll('pre.mermaid svg').length > 0")
            facts: dict[str, Any] = page.evaluate(FACTS)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    keep = os.environ.get("ALEMBIC_GATE_SCREENSHOTS")
    if keep:
        shutil.copy2(screenshot, Path(keep) / screenshot.name)
    return facts


def test_a_pull_requests_job_summary_renders_within_the_page(
    pull_request: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    markdown = step_summary(pull_request, monkeypatch, tmp_path)
    body = to_html(markdown)
    assert "\\`" not in html.unescape(re.sub(r"<[^>]+>", "", body))
    facts = render(PAGE.format(width=WIDTH, body=body), tmp_path / "job-summary.png")

    assert facts["svgs"] == 1 and facts["errors"] == 0, json.dumps(facts)[:2000]
    (labels,) = facts["labels"]
    # Each node shows its id and its revision message.
    assert any("b1b1b1b1b1b1" in label and "add a `slug` column" in label for label in labels)
    assert any("a1a1a1a1a1a1" in label and "index post by author" in label for label in labels)
    # The pull request's own revisions are marked (and the base's new one is not).
    assert facts["styled"] == [2]
    assert "Legend:" in facts["text"] and "new on this branch" in facts["text"]
    # Paths carry the working directory, as annotations do.
    assert "backend/migrations/versions/b1b1_b1b1b1b1b1b1.py" in facts["text"]
    # Nothing is wider than the summary, and every fix shows without scrolling.
    assert facts["wider"] == [] and facts["scrolled"] == [], json.dumps(facts)[:2000]
    assert (tmp_path / "job-summary.png").stat().st_size > 10_000
