"""Every rule code has a documentation page with the same sections, listed in the index."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alembic_gate.findings.catalog import RULES

DOCS = Path(__file__).parent.parent / "docs" / "rules"
SECTIONS = ("Problem", "Why it breaks deploys", "How to fix", "Example", "How to suppress")


# Pages other engineers are writing. Remove a code once its page lands (strict=False
# lets a landed page pass meanwhile).
@pytest.mark.parametrize("code", list(RULES))
def test_each_code_has_a_page_with_every_section(code: str) -> None:
    page = DOCS / f"{code}.md"
    assert page.is_file(), f"no docs page for {code}: {page}"
    text = page.read_text()
    assert text.startswith(f"# {code} {RULES[code].name}\n")
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert [s for s in SECTIONS if s not in headings] == []


@pytest.mark.parametrize("code", list(RULES))
def test_each_page_shows_how_to_suppress_its_code(code: str) -> None:
    text = (DOCS / f"{code}.md").read_text()
    suppress = text.split("## How to suppress", 1)[1]
    assert f"ignore[{code}]" in suppress or f'"{code}"' in suppress


def test_the_index_links_every_code() -> None:
    index = (DOCS / "README.md").read_text()
    rows = {
        m[1]: m[0] for m in re.finditer(r"^\| \[(AG\d+)\]\(\1\.md\) \|.*$", index, re.MULTILINE)
    }
    assert sorted(rows) == sorted(RULES)
    for code, row in rows.items():
        assert f"| {RULES[code].name} | {RULES[code].severity} |" in row


def test_every_page_is_a_known_code() -> None:
    pages = {page.stem for page in DOCS.glob("AG*.md")}
    assert pages <= set(RULES)


@pytest.mark.parametrize("code", list(RULES))
def test_readme_rules_table_links_each_code(code: str) -> None:
    readme = (DOCS.parent.parent / "README.md").read_text()
    info = RULES[code]
    assert f"| [{code}](docs/rules/{code}.md) | {info.name} | {info.severity} |" in readme
