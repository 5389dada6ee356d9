"""Rule selection and severities from `[tool.alembic-gate]` and the command line.

Works as in ruff: `select` replaces the set of rules, `extend-select` adds to it,
`ignore` removes from it; each takes codes or prefixes (`AG1`). The file is one
layer and the flags another, applied after it, so flags win. Opt-in rules run
only when named by their full code.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence

from alembic_gate.errors import UsageError
from alembic_gate.findings import Finding
from alembic_gate.findings.catalog import RULES
from alembic_gate.setup.toml import load_toml
from alembic_gate.shared.paths import below, display_path, up_from
from alembic_gate.shared.records import field, record, replace

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    import argparse
    from typing import Any

    from alembic_gate.findings import Severity
    from alembic_gate.shared.paths import StrPath

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
SECTION = "alembic-gate"


def expand(patterns: Iterable[str], where: str) -> set[str]:
    """Codes named by codes or prefixes; an unknown or empty one is a configuration
    error (an empty one, skipped, made `--select ""` select nothing)."""
    codes: set[str] = set()
    for raw in patterns:
        pattern = raw.strip().upper()
        if not pattern:
            raise UsageError(f"empty rule code in {where} (a blank entry or a stray comma)")
        matched = {code for code in RULES if code.startswith(pattern)}
        if len(pattern) < 2 or not matched:
            raise UsageError(f"unknown rule code or prefix {raw.strip()!r} in {where}")
        codes |= matched
    return codes


def _split(value: str | Sequence[str] | None) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.split(",")
    return list(value)


@record
class Layer:
    """One source of rule selection (the settings file or the flags), applied in turn."""

    select: list[str] | None = None
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    where: str = "the command line"

    def apply(self, enabled: set[str]) -> set[str]:
        if self.select is not None:
            enabled = self._named(self.select)
        enabled = enabled | self._named(self.extend_select)
        return enabled - expand(self.ignore, self.where)

    def _named(self, patterns: list[str]) -> set[str]:
        codes = expand(patterns, self.where)
        exact = {p.strip().upper() for p in patterns}
        return {c for c in codes if RULES[c].default_enabled or c in exact}


@record
class Settings:
    """The rules a run enables, the severity that fails it, per-rule severities, `since`."""

    enabled: frozenset[str]
    fail_on: Severity = "error"
    severity: dict[str, Severity] = field(default_factory=dict)
    # Revisions that already ran everywhere: safety findings only for their descendants.
    since: tuple[str, ...] = ()
    # Tag patterns that mark releases (release-tags): what one release creates is new
    # throughout it (history.releases).
    release_tags: tuple[str, ...] = ()
    # The pyproject.toml whose [tool.alembic-gate] table was read; None: none was.
    source: str | None = None

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled

    def select(self, findings: Iterable[Finding]) -> list[Finding]:
        """Drop findings of rules not enabled; apply per-rule severities."""
        return list(self.selected(findings))

    def selected(self, findings: Iterable[Finding]) -> Iterator[Finding]:
        """`select`, one finding at a time (as the rules make them)."""
        for finding in findings:
            if finding.code not in self.enabled:
                continue
            severity = self.severity.get(finding.code)
            yield replace(finding, severity=severity) if severity else finding


def _table(path: str) -> dict[str, Any] | None:
    """The `[tool.alembic-gate]` table of `path`, or None when it has none."""
    if not os.path.isfile(path):
        return None
    try:
        data = load_toml(path)
    except (OSError, ValueError) as exc:  # ValueError: TOMLDecodeError, UnicodeDecodeError
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
        raise UsageError(f"cannot read {path}: {reason}") from None
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise UsageError(f"{path}: `tool` must be a table ([tool.{SECTION}] and others)")
    table: dict[str, Any] | None = tool.get(SECTION)
    if table is not None and not isinstance(table, dict):
        raise UsageError(f"{path}: [tool.{SECTION}] must be a table")
    return table


def settings_file(cwd: StrPath, folder: StrPath | None = None) -> tuple[str, dict[str, Any] | None]:
    """Where a setup's settings are read (as ruff finds its closest configuration), and
    its [tool.alembic-gate] table: the first pyproject.toml with one from the setup's
    `folder` up to the current directory; the current directory's pyproject.toml
    otherwise (None: it has no such table)."""
    cwd = os.fspath(cwd)
    here = os.path.join(cwd, "pyproject.toml")
    if folder is None:
        return here, _table(here)
    folder = os.fspath(folder)
    if folder != cwd and not below(folder, cwd):
        return here, _table(here)
    for candidate in up_from(folder):
        pyproject = os.path.join(candidate, "pyproject.toml")
        table = _table(pyproject)
        if table is not None:
            return pyproject, table
        if candidate == cwd:
            break
    return here, _table(here)


def _file_layer(table: dict[str, Any], where: str) -> Layer:
    known = {"select", "extend-select", "ignore", "fail-on", "severity", "since", "release-tags"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise UsageError(f"unknown key {unknown[0]!r} in {where}")
    for key in ("select", "extend-select", "ignore"):
        value = table.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise UsageError(f"{key} in {where} must be a list of codes")
    return Layer(
        select=table.get("select"),
        extend_select=table.get("extend-select", []),
        ignore=table.get("ignore", []),
        where=where,
    )


def _severity(value: object, where: str) -> Severity:
    for severity in SEVERITIES:
        if value == severity:
            return severity
    raise UsageError(f"severity {value!r} in {where} is not one of {', '.join(SEVERITIES)}")


def _severities(table: dict[str, Any], where: str) -> dict[str, Severity]:
    raw = table.get("severity", {})
    if not isinstance(raw, dict):
        raise UsageError(f"severity in {where} must be a table of CODE = severity")
    result: dict[str, Severity] = {}
    # The longer (more specific) pattern last, so it wins whatever the table's order:
    # `AG103 = "info"` stays info under a later `AG1 = "error"`.
    for pattern, value in sorted(raw.items(), key=lambda item: len(item[0].strip())):
        for code in expand([pattern], where):
            result[code] = _severity(value, where)
    return result


def load_settings(
    args: argparse.Namespace, cwd: StrPath, folder: StrPath | None = None
) -> Settings:
    """The settings of the command line over those of `settings_file(cwd, folder)`."""
    pyproject, found = settings_file(cwd, folder)
    table = found or {}
    where = f"{display_path(pyproject, cwd)} [tool.{SECTION}]"
    cli = Layer(
        select=_split(args.select),
        extend_select=_split(args.extend_select) or [],
        ignore=_split(args.ignore) or [],
    )
    enabled = {code for code, info in RULES.items() if info.default_enabled}
    enabled = cli.apply(_file_layer(table, where).apply(enabled))
    fail_on = args.fail_on or table.get("fail-on", "error")
    return Settings(
        enabled=frozenset(enabled),
        fail_on=_severity(fail_on, where),
        severity=_severities(table, where),
        since=_since(table.get("since"), where),
        release_tags=_release_tags(table.get("release-tags"), where),
        source=pyproject if found is not None else None,
    )


def _since(value: object, where: str) -> tuple[str, ...]:
    """`since = "ab12"` or a list of them (one per setup of a repository)."""
    found = _entries(value)
    if found is None:
        raise UsageError(f"since in {where} must be a revision id or a list of them")
    return found


def _release_tags(value: object, where: str) -> tuple[str, ...]:
    """`release-tags = "v*"` or a list of git tag patterns (none an option of git's)."""
    found = _entries(value)
    if found is None or any(pattern.startswith("-") for pattern in found):
        raise UsageError(f"release-tags in {where} must be a git tag pattern or a list of them")
    return found


def _entries(value: object) -> tuple[str, ...] | None:
    """A string or a list of strings, none blank, stripped (none when unset); None when
    the value is anything else."""
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        return None
    return tuple(item.strip() for item in items)
