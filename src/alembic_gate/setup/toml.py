"""Reading TOML files: the parser is imported only when a file is actually read."""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    from typing import Any

    from alembic_gate.shared.paths import StrPath


def load_toml(path: StrPath) -> dict[str, Any]:
    """The parsed file. Raises OSError, or ValueError (also for bad UTF-8) when invalid."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    with open(path, "rb") as file:
        return tomllib.load(file)
