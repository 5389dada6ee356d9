"""A project's revision history, read statically: never imported, never executed.

`revisions` reads one revision file (`fastread` is its no-parse fast path), `cache`
keeps what was read between runs, `graph` builds alembic's RevisionMap from the files,
`operations` reads the `op.*` calls of upgrade() and downgrade(), `git_base` reads a
git ref's files from git objects, and `load` puts it together per Alembic setup.
"""
