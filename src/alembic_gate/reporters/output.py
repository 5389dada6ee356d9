"""Where reports go: parse ``--format FMT[=PATH]`` and write every requested report.

Parse the flags before the run (``parse_formats``) so a bad flag costs nothing, then
hand the finished Report to ``write_reports``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from alembic_gate.errors import UsageError
from alembic_gate.findings import Report
from alembic_gate.reporters import REPORTERS

# (format, path); a path of None means standard output.
Target = tuple[str, str | None]


def parse_formats(values: Sequence[str]) -> list[Target]:
    """Turn the repeated ``--format`` values into targets; plain text when none is given.

    At most one report may go to standard output, so annotations or a second report
    never mix into a machine-readable stream, and no two reports may share a file.
    """
    if not values:
        return [("text", None)]
    targets = [_parse_one(value) for value in values]
    on_stdout = [fmt for fmt, path in targets if path is None]
    if len(on_stdout) > 1:
        raise UsageError(
            f"--format {' and '.join(on_stdout)} would both write to standard output; "
            "give all but one a file, e.g. --format json=report.json"
        )
    paths = [path for _, path in targets if path is not None]
    for index, path in enumerate(paths):
        if os.path.realpath(path) in {os.path.realpath(p) for p in paths[:index]}:
            raise UsageError(f"--format: two reports would both be written to {path}")
    return targets


def _parse_one(value: str) -> Target:
    fmt, sep, path = value.partition("=")
    if fmt not in REPORTERS:
        raise UsageError(f"unknown --format {fmt!r}; choose from {', '.join(REPORTERS)}")
    if sep and not path:
        raise UsageError(f"--format {value}: no path after '='")
    return fmt, path or None


def wants_step_summary(targets: Sequence[Target]) -> bool:
    """Whether a GitHub step summary will be written (github format, GITHUB_STEP_SUMMARY set)."""
    has_github = any(fmt == "github" for fmt, _ in targets)
    return has_github and bool(os.environ.get("GITHUB_STEP_SUMMARY"))


def write_reports(report: Report, targets: Sequence[Target]) -> None:
    """Write each report to its file (creating folders) or standard output.

    With the github format and ``GITHUB_STEP_SUMMARY`` set, also append the step summary.
    """
    for fmt, path in targets:
        rendered = REPORTERS[fmt](report)
        if path is None:
            write_shown(rendered)
        else:
            _write_file(path, rendered)
    summary = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary and wants_step_summary(targets):
        from alembic_gate.reporters.github import write_step_summary  # only on GitHub

        try:
            write_step_summary(report, summary)
        except OSError as exc:
            raise UsageError(f"cannot write the step summary to {summary}: {exc.strerror}") from exc


def _write_file(path: str, text: str) -> None:
    try:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        with open(path, "wb") as file:
            file.write(_encoded(text))
    except OSError as exc:
        raise UsageError(f"cannot write a report to {path}: {exc.strerror}") from exc


def _encoded(text: str) -> bytes:
    """`text` as UTF-8: a file name Python read as surrogates (not UTF-8 on disk) as the
    bytes it was, any other code point UTF-8 cannot hold (a lone surrogate a revision
    file wrote as an escape, `op.drop_table("\\ud800")`) as its escape."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


def write_shown(text: str) -> None:
    """`write_stdout`, where a character the console cannot show (or no encoding can
    hold: a lone surrogate) gets an escape instead of a traceback."""
    encoding = sys.stdout.encoding or "utf-8"
    write_stdout(text.encode(encoding, "backslashreplace").decode(encoding))


def write_stdout(text: str) -> None:
    """Write `text` to standard output. A reader that went away (`| head`) ends the
    output quietly; any other failure (`> /dev/full`) is a usage error (exit 2)."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        detach_stdout()
    except OSError as exc:
        detach_stdout()
        raise UsageError(f"cannot write to standard output: {exc.strerror or exc}") from None


def detach_stdout() -> None:
    """Point standard output at the null device, so Python's own flush at exit does
    not fail again on what is still buffered."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
