"""Records as another developer might change them, for the tests of what plain.py does
with data packed before the change (tests/history/test_plain.py) and with functions
written ahead of time for the class as it was (tests/history/test_plain_generated.py)."""

from __future__ import annotations

from typing import Any

from alembic_gate.history.operations import Call
from alembic_gate.shared import records
from alembic_gate.shared.records import field, record


def call_with_a_field_added() -> Any:
    """Call with one more field, `confidence` (str | None, default None): the same
    module and name, so it is looked up as Call is."""
    body: dict[str, object] = {
        "__module__": Call.__module__,
        "__annotations__": {**Call.__annotations__, "confidence": "str | None"},
        "confidence": None,
    }
    for one in records.fields(Call):
        body[one.name] = field(default=one.default, default_factory=one.default_factory)
    return record(frozen=True)(type("Call", (), body))
