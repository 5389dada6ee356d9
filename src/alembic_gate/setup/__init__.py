"""Where the Alembic setups are (`discovery`) and how the tool is configured
(`settings`: rule selection and severities from flags and `[tool.alembic-gate]`)."""
