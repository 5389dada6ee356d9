"""The placeholders an `--env NAME=VALUE` value may hold: check fills them in for the
throwaway database, and redaction never takes a value that holds one for a secret.
Plain data, imported by the command line's help too (nothing else is imported here)."""

from __future__ import annotations

NAMES = ("url", "host", "port", "user", "password", "database")


def listed() -> str:
    """`{url}, {host}, {port}, {user}, {password} and {database}`."""
    names = [f"{{{name}}}" for name in NAMES]
    return f"{', '.join(names[:-1])} and {names[-1]}"
