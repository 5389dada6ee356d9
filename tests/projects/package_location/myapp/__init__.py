"""The application package that holds the migrations (`script_location = myapp:migrations`).

Importing it appends a line to the file named by ALEMBIC_GATE_IMPORT_MARKER (when set), so a test
can prove that static commands find the migrations on disk without ever importing the project.
"""

import os

_marker = os.environ.get("ALEMBIC_GATE_IMPORT_MARKER")
if _marker:
    with open(_marker, "a", encoding="utf-8") as _file:
        _file.write(f"imported {__name__}\n")
