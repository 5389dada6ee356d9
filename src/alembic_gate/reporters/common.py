"""Small pieces more than one reporter needs: placing, fingerprinting, safe text."""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from alembic_gate.findings import Finding, Report, sorted_findings

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from pathlib import Path  # imported where used: only in GitHub Actions

PROJECT_URL = "https://github.com/alembic-gate/alembic-gate"

# GitLab Code Quality requires a path on every issue and GitHub code scanning a file and
# a line on every result. A finding that names no file (a database that is behind, say)
# is placed on the setup's config file (Report.anchor) at line 1, or, with no config file
# (--versions), on the project's root.
FALLBACK_PATH = "."

# Characters that must never reach a terminal or a CI log as they are: C0 controls (ESC
# starts terminal sequences, CR rewrites a line, BEL rings), DEL, C1 controls (CSI),
# line and paragraph separators, and the bidirectional overrides (Trojan Source). None
# of them is printable (str.isprintable), so printable text needs no pattern.
_OTHERS = "\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}
# What GitHub's runner reads as a workflow command at the start of a line (after leading
# whitespace): `::name::`, and the older `##[name]` form.
_COMMAND_START = ("::", "##[")


def location(finding: Finding) -> str:
    """``path:line``, ``path`` or an empty string, as far as the finding knows."""
    if finding.path is None:
        return ""
    if finding.line is None:
        return finding.path
    return f"{finding.path}:{finding.line}"


def report_codes(report: Report) -> list[str]:
    """Every code the run checked or found, sorted: one rule entry or testcase each."""
    return sorted({*report.checks, *(f.code for f in report.findings)})


def placed(finding: Finding, report: Report) -> tuple[str, int]:
    """The file and line a consumer that needs both shows the finding at."""
    if finding.path is not None:
        return finding.path, finding.line or 1
    return report.anchor or FALLBACK_PATH, 1


def fingerprints(report: Report) -> Iterator[tuple[Finding, str]]:
    """Every finding (sorted) with its fingerprint: sha256 of code, file and identity.

    Neither the line nor the message goes in, so a finding keeps its fingerprint when
    lines above it move and when other revisions come and go. Findings with the same
    code, file and identity are told apart by their order.
    """
    from hashlib import sha256  # only the reports that carry fingerprints

    seen: Counter[str] = Counter()
    for finding in sorted_findings(report.findings):
        path, _ = placed(finding, report)
        identity = "\0".join((finding.code, path, finding.identity()))
        seen[identity] += 1
        salted = identity if seen[identity] == 1 else f"{identity}\0{seen[identity]}"
        yield finding, sha256(salted.encode("utf-8", "surrogatepass")).hexdigest()


# --- text that reaches terminals and CI logs -------------------------------------------


def visible(text: str, keep_newlines: bool = False) -> str:
    """``text`` with every control character written as a visible escape (``\\x1b``)."""
    if text.isprintable():  # the common case: nothing to escape
        return text
    return _unsafe(keep_newlines).sub(_escape, text)


@functools.cache
def _unsafe(keep_newlines: bool) -> re.Pattern[str]:
    """The characters `visible` escapes, compiled when first needed: with the Unicode
    ranges it takes ~2.5 M instructions each (1% of a pre-commit run)."""
    newline = "" if keep_newlines else "\n"
    return re.compile(f"[\x00-\x08{newline}{_OTHERS}]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def log_line(line: str) -> str:
    """One line that is safe to print where GitHub's runner reads workflow commands.

    Controls (a newline among them) are escaped, and a line that would start with a
    command after its leading whitespace gets a visible ``> `` in front.
    """
    safe = visible(line)
    return f"> {safe}" if safe.lstrip().startswith(_COMMAND_START) else safe


def log_lines(text: str) -> str:
    """Every line of ``text`` made safe with ``log_line``."""
    return "\n".join(log_line(line) for line in text.split("\n"))


# --- paths as GitHub shows them ----------------------------------------------------------


def github_prefix(cwd: Path | None = None) -> str:
    """The current directory relative to the repository root, in GitHub Actions only.

    Annotations, code scanning and the step summary name files relative to the
    repository root; the tool's paths are relative to the current directory (a
    `working-directory:`). '' outside GitHub Actions, at the root, or outside the
    repository.
    """
    here, root = _github_places(cwd)
    if root is None or (root != here and root not in here.parents):
        return ""
    relative = here.relative_to(root).as_posix()
    return "" if relative == "." else relative


def _github_places(cwd: Path | None = None) -> tuple[Path, Path | None]:
    """The current directory and, in GitHub Actions, the repository's root (None
    outside GitHub Actions, or where there is none)."""
    from pathlib import Path

    here = (cwd or Path.cwd()).resolve()
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return here, None
    root = _git_root(here)
    if root is None:
        workspace = os.environ.get("GITHUB_WORKSPACE")
        root = Path(workspace).resolve() if workspace else None
    return here, root


def _git_root(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def prefixed(path: str, prefix: str) -> str:
    """``path`` under ``prefix`` ('.' is the prefix itself). A path outside the current
    directory is absolute (``display_path``): in GitHub Actions it is named from the
    repository's root when it lies inside, and stays absolute otherwise."""
    if os.path.isabs(path):
        return _from_root(path)
    if not prefix:
        return path
    return prefix if path == FALLBACK_PATH else f"{prefix}/{path}"


def _from_root(path: str) -> str:
    """An absolute ``path`` relative to the repository's root in GitHub Actions, when
    it lies inside; else ``path``."""
    _, root = _github_places()
    if root is None:
        return path
    from pathlib import Path

    real = Path(os.path.realpath(path))
    return real.relative_to(root).as_posix() if root in real.parents else path


def utf8_size(text: str) -> int:
    """How many bytes ``text`` takes in UTF-8 (what GitHub's limits count)."""
    return len(text.encode("utf-8", "surrogatepass"))


def limited(items: Sequence[str], budget: int) -> tuple[list[str], int]:
    """The leading ``items`` whose UTF-8 sizes (plus a newline each) fit in ``budget``
    bytes, and how many were left out."""
    kept: list[str] = []
    used = 0
    for item in items:
        used += utf8_size(item) + 1
        if used > budget:
            break
        kept.append(item)
    return kept, len(items) - len(kept)
