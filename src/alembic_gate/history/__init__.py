"""A project's revision history, read statically: never imported, never executed.

`revisions` reads one revision file with one parse (its ids, its `op.*` calls through
`operations`, its syntax), `plain` turns what was read into plain data, `cache` keeps it
between runs keyed by content, `graph` builds alembic's RevisionMap from the files,
`git_base` reads a git ref's files from git objects, and `load` puts it together per
Alembic setup.
"""
