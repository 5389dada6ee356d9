"""The worker's session: the project's env.py run against the throwaway database.

Runs in the worker process (see `check.worker`). `upgrade heads` and the
autogenerate comparison happen in one run of env.py, on one connection, with one
load of the revision files: the comparison starts once the last migration step
has run, inside env.py's own transaction. A fresh connection then reads the version
table, so a transaction env.py never commits shows up as AG801.
"""

from __future__ import annotations

import inspect
import os
import sys
from argparse import Namespace
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alembic import autogenerate
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url

from alembic_gate.check import alike, drift, flaskapp, made_up, pgstate, roundtrip, targets
from alembic_gate.check.attribute import failed_call
from alembic_gate.check.errors import WorkerError
from alembic_gate.check.guard import Guard
from alembic_gate.check.locate import (
    Location,
    Models,
    ProjectFiles,
    created_in,
    deepest_in,
    innermost,
    real,
    revision_message,
    undone_in,
)
from alembic_gate.check.observe import Observers
from alembic_gate.check.protocol import Behind, Note, RawFinding, Request, Result, fill, tell
from alembic_gate.check.seed import shown
from alembic_gate.check.stuck import Stuck
from alembic_gate.check.targets import connect, provide, refuse_nonempty
from alembic_gate.check.trace import LockTracer
from alembic_gate.shared import placeholders
from alembic_gate.shared.paths import work_tree_root
from alembic_gate.shared.redact import Redactor, mask_urls

if TYPE_CHECKING:  # imported when seeding is on (it patches alembic)
    from alembic_gate.check.seeding import Seeding

ASYNC_MARKERS = ("async_engine_from_config", "create_async_engine", "AsyncEngine", "run_sync")
FLASK_LOADING = "loading the Flask app"
# Why a round trip did not run, where the upgrade's failure is reported.
FAILED = "the upgrade (or the comparison after it) failed"
# An exception's message is kept whole up to this many characters.
MESSAGE_LIMIT = 2000


class Session:
    def __init__(self, request: Request) -> None:
        self.request = request
        # The project's files: its git work tree's (a Flask-Migrate folder is run inside
        # the package whose models sit above it, as mwdb-core's), else the current folder's.
        self.project = ProjectFiles(work_tree_root(request.cwd) or request.cwd)
        self.result = Result()
        self.urls: dict[str, URL] = {}
        self.env_py = str(Path(request.script_location or request.cwd) / "env.py")
        self.revisions: dict[str, Script] = {}
        # Whether the revision files were imported, and where loading them failed.
        self.loaded = False
        self.load_failed = False
        self.load_frame: Location | None = None
        self.redact = Redactor()
        self.redact.add_environ(os.environ)
        self.redact.add_url(request.database.url)
        for name, value in request.env.items():
            self.redact.add_env(name, value)
        self.redact.add_x_args(request.x_args)
        # Measurements taken while the migrations run (see check.observe).
        self.observers = Observers()
        self.tracer: LockTracer | None = None
        # A statement waiting on a connection of this very process (PostgreSQL).
        self.stuck = Stuck()
        self.observers.add(self.stuck)
        self.seeding: Seeding | None = None
        self.guard = Guard(self.urls, _hint(request), self.redact, self.observers)
        self.connection: Connection | None = None
        # Whether the databases started as a copy of the history's template (kept server),
        # and whether they end at the heads as a fresh upgrade leaves them.
        self.cloned = False
        self.at_heads = False
        # Revisions `upgrade heads` applied (any engine).
        self.applied: set[str] = set()
        # The schema each context's connection found its version table in, where env.py
        # names none (PostgreSQL: through a search_path env.py set).
        self.placed: dict[MigrationContext, str] = {}
        # Per engine, what a --allow-nonempty database held before the first revision
        # (as `roundtrip.held` names it, with an enum type's values): no downgrade is to
        # remove it, and the downgrade to base is to leave its values as they were.
        self.held_before: dict[str, dict[str, str]] = {}
        # ... and the shape of its tables (columns, keys, indexes), to be the same at base.
        self.shape_before: dict[str, roundtrip.Snapshot] = {}
        # The Flask app's module file (--flask-app), where a note about the app may point.
        self.app_file: str | None = None

    # -- setting up ------------------------------------------------------------

    def run(self) -> Result:
        with ExitStack() as stack:
            self.stuck.install()
            stack.callback(self.stuck.finish)
            cfg = self._config(stack)
            if cfg is None:
                self._roundtrip_skipped(FAILED)
                return self.result
            self.guard.install()
            script = self._script(cfg)
            if script is not None:
                self._measure()
            if script is not None and self._upgrade_and_compare(cfg, script):
                self.result.behind = self._behind(script)
                self.at_heads = not self.result.behind
                if self.result.behind:
                    self.result.findings = []  # compared inside a transaction that was lost
                    self._roundtrip_skipped("the upgrade was not committed (AG801)")
                elif self.request.roundtrip:
                    self.at_heads = False
                    self.observers.before_roundtrip()
                    if self.seeding is not None:
                        self.result.notes += self.seeding.left
                    self._roundtrip(cfg)
            else:
                self._roundtrip_skipped(FAILED)
        self.result.applied = len(self.applied)
        self.result.from_template = self.cloned
        self.result.engine = self._engine()
        return self.result

    def _roundtrip_skipped(self, why: str) -> None:
        """A note that --roundtrip did not run, so that no AG903 is not read as downgrades
        verified."""
        if self.request.roundtrip:
            message = (
                f"the round trip (--roundtrip) did not run: {why}, so no downgrade was "
                "checked (no AG903 does not mean the downgrades work)"
            )
            self.result.notes.append(Note(message))

    def _engine(self) -> str | None:
        """The engine and its version as the migrations met it ("PostgreSQL 16.4")."""
        context = self.guard.contexts[0][1] if self.guard.contexts else None
        return targets.engine_name(context.dialect) if context is not None else None

    def redacted(self, result: Result) -> Result:
        """`result` without a password in any message."""
        for finding in result.findings:
            finding.message = self.redact(finding.message)
            finding.fix = self.redact(finding.fix) if finding.fix else finding.fix
        if result.error is not None:
            result.error = self.redact(result.error)
        result.locks = [self.redact.locks(revision) for revision in result.locks]
        for note in result.notes:
            note.message = self.redact(note.message)
        return result

    def _measure(self) -> None:
        """The measurements taken while `upgrade heads` runs (check.observe): lock tracing
        first (PostgreSQL only: it does nothing elsewhere), so the end of each revision is
        timed before other observers act, then seeding."""
        if self.request.trace:
            self.tracer = LockTracer(self.request.scope, lambda: self.revisions, self.redact)
            self.observers.add(self.tracer)
        if self.request.seed:
            from alembic_gate.check.seeding import Seeding

            self.seeding = Seeding(self.request.scope, lambda: self.revisions)
            self.observers.add(self.seeding)

    def finish(self) -> None:
        """On a kept server: keep a migrated copy as the history's template (first run
        of a history), then drop this run's databases."""
        spec = self.request.database
        if spec.kind != "server" or not spec.drop or spec.url is None:
            return
        admin = make_url(spec.url)
        names = [url.database or "" for url in self.urls.values()]
        if spec.template and self.at_heads and not self.cloned:
            templates = targets.numbered(spec.template, len(names))
            targets.save_templates(admin, names, templates)
        targets.drop_databases(admin, names)

    def _env_source(self) -> str:
        try:
            return Path(self.env_py).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return ""

    def _config(self, stack: ExitStack) -> Config | None:
        request = self.request
        source = self._env_source()
        if request.flask or request.flask_app or "current_app" in source:
            return self._flask_config(stack)
        if request.config_path is None:
            raise WorkerError("check needs an alembic config file (-c alembic.ini)", "usage")
        cfg = _alembic_config(request)
        names = _engine_names(cfg)
        for name in names:
            with suppress(Exception):  # an ini value alembic itself would fail on
                self.redact.add_url(
                    cfg.get_section_option(name or cfg.config_ini_section, "sqlalchemy.url")
                )
        is_async = any(marker in source for marker in ASYNC_MARKERS)
        self._provide(names, is_async, [_configured_url(cfg, name) for name in names])
        for name, url in self.urls.items():
            value = url.render_as_string(hide_password=False).replace("%", "%%")
            if name:
                cfg.set_section_option(name, "sqlalchemy.url", value)
            else:
                cfg.set_main_option("sqlalchemy.url", value)
        if "attributes" in source and list(self.urls) == [""]:
            self._lend_connection(cfg, stack)
        return cfg

    def _provide(
        self, names: Sequence[str], is_async: bool, configured: Sequence[URL | None]
    ) -> None:
        spec = self.request.database
        urls, self.cloned = provide(spec, configured, is_async)
        self.urls.update(zip(names, urls, strict=True))
        if spec.kind == "url":
            for url in self.urls.values():
                shown = self.redact(spec.url or "")
                allowed = self.request.allow_nonempty
                # The first connection: a server that never answers ends the run here.
                refuse_nonempty(url, shown, allowed, spec.connect_timeout)
        if spec.kind == "url" and self.request.allow_nonempty and self.request.roundtrip:
            for name, url in self.urls.items():
                with connect(url) as conn:
                    self.held_before[name] = held = roundtrip.held(conn)
                    self.shape_before[name] = roundtrip.shape_of(conn, _tables_of(held))
        main = next(iter(self.urls.values()))
        values = targets.placeholders(main, spec.url if spec.kind == "url" else None)
        for name, template in self.request.env.items():
            os.environ[name] = fill(template, values)

    def _lend_connection(self, cfg: Config, stack: ExitStack) -> None:
        """For env.py files that use `config.attributes["connection"]` when given one."""
        self.connection = stack.enter_context(targets.lend(self.urls[""]))
        cfg.attributes["connection"] = self.connection

    def _flask_config(self, stack: ExitStack) -> Config | None:
        self._provide([""], is_async=False, configured=[None])
        url = self.urls[""].render_as_string(hide_password=False)
        os.environ["SQLALCHEMY_DATABASE_URI"] = url
        flaskapp.point_flask_sqlalchemy_at(url)
        app: Any = None

        def load() -> None:
            nonlocal app
            app = flaskapp.load_flask_app(self.request.flask_app)

        failure = self._attempt(load)
        if failure is not None:
            flaskapp.refuse_script_info(failure, self.request.flask_app)
            self._fail("AG901", failure, FLASK_LOADING)
            return None
        stack.enter_context(app.app_context())
        self.app_file = getattr(sys.modules.get(app.import_name), "__file__", None)
        extension = app.extensions.get("migrate")
        if extension is None:
            raise WorkerError(
                "the Flask app does not set up Flask-Migrate (no app.extensions['migrate'])",
                "usage",
            )
        directory = self.request.script_location or extension.directory
        config: Config = extension.migrate.get_config(directory, x_arg=self.request.x_args)
        return config

    def _script(self, cfg: Config) -> ScriptDirectory | None:
        """The ScriptDirectory, its revision files not imported yet (`_load_revisions`)."""
        script: ScriptDirectory | None = None

        def load() -> None:
            nonlocal script
            script = ScriptDirectory.from_config(cfg)

        failure = self._attempt(load)
        if failure is not None:
            if isinstance(failure, CommandError):
                raise WorkerError(f"alembic cannot read the setup: {failure}", "usage")
            self._fail("AG901", failure, "loading the revision files")
            return None
        return script

    def _load_revisions(self, script: ScriptDirectory) -> None:
        """Import the revision files as `alembic upgrade` does: once env.py, its own
        imports done, asks for the revisions to run (tracecat's first revision imports a
        library that imports cleanly only after env.py's models have). Where one fails,
        `load_frame` keeps its line."""
        if self.loaded:
            return
        try:
            self.revisions = {real(s.path): s for s in script.walk_revisions()}
        except CommandError as exc:
            raise WorkerError(f"alembic cannot read the setup: {exc}", "usage") from None
        except BaseException as exc:
            self.load_failed = True
            self.load_frame = _revision_frame(exc, script)
            raise
        self.loaded = True

    def _load_failed(self, failure: BaseException) -> None:
        """AG901 for a revision file that could not be imported: at its failing line."""
        at = self.load_frame
        phase = f"loading {os.path.basename(at[0])}" if at else "loading the revision files"
        self._fail("AG901", failure, phase, at=at)

    # -- running alembic -----------------------------------------------------------

    def _attempt(self, action: Callable[[], None]) -> BaseException | None:
        """Run project code; return what it raised (environment problems end the run)."""
        self.guard.active = True
        self.guard.opening = False
        try:
            action()
        except WorkerError:
            raise
        # Any BaseException: a migration's CancelledError, KeyboardInterrupt or own
        # subclass is its failure too. A real Ctrl-C reaches the parent as well, which
        # ends the run (exit 130) and kills this process whatever it does next.
        except BaseException as exc:
            failed = self.guard.opening or _is_connect_error(exc)
            if failed and deepest_in(exc, self.revisions) is None:
                self._connect_failed(exc)
            return exc
        finally:
            self.guard.active = False
            self._settle()
        return None

    def _connect_failed(self, exc: BaseException) -> None:
        said = exc.orig if isinstance(exc, sa_exc.DBAPIError) else exc
        reason = bounded(targets.whole_message(said), self.redact)
        if self.guard.foreign is None:
            raise WorkerError(
                f"cannot connect to the database: {reason}{self._own()}", "env"
            ) from None
        raise WorkerError(
            f"env.py connected to {self.guard.foreign}, a URL of its own, not to the "
            f"throwaway database it was given, and that failed: {reason}. {self.hint}",
            "usage",
        ) from None

    def _own(self) -> str:
        """Where check had connected to the --database-url itself: that it is env.py's own
        connection that failed, and the --env values it may have built it from."""
        if self.request.database.kind != "url" or not self.urls:
            return ""
        given = ", ".join(f"--env {name}" for name in self.request.env)
        built = f" (built from {given}?)" if given else ""
        return (
            f" (env.py's own connection{built}: check's connection to the same database "
            "with --database-url succeeded before env.py ran)"
        )

    @property
    def hint(self) -> str:
        return self.guard.hint

    def _settle(self) -> None:
        """Commit (or roll back) what env.py did on a lent connection."""
        if self.connection is not None and self.connection.in_transaction():
            self.connection.commit()

    def _fail(
        self,
        code: str,
        exc: BaseException,
        phase: str,
        step: Any = None,
        at: Location | None = None,
    ) -> None:
        where: Location | None = deepest_in(exc, self.revisions)
        call = failed_call(exc)
        if where is not None and call is not None and call[0] == where[0]:
            where = call  # a batch's ALTER of its own: the batch_op.* line, not the `with`
        running = getattr(step, "revision", None)
        if at is not None:  # a revision file that failed to load: its line
            where, what = at, f"{phase} failed"
        elif where is not None:
            rev = self.revisions[where[0]]
            what = f"{phase} of {rev.revision} ({revision_message(rev)}) failed"
        elif isinstance(running, Script) and real(running.path) in self.revisions:
            # alembic's own statements once the revision's code ran (its version table's
            # UPDATE in a transaction the revision left aborted): no frame of the file.
            where = _upgrade_def(real(running.path))
            what = (
                f"{phase} of {running.revision} ({revision_message(running)}) failed once "
                "its upgrade() had run, in alembic's own statements"
            )
        else:
            # Project code where it was raised; else env.py's line that called into it
            # (an env.py outside the folder check runs in, its models installed).
            where = self.project.deepest(exc) or innermost(exc, real(self.env_py).__eq__)
            what = f"{phase} (before any migration ran)" if phase == "upgrade" else phase
            what += " failed"
        # (the place from `exc`, raised through the revision; what broke from the first)
        message = f"{what}: {describe(first_error(exc), self.redact)}"
        stuck = self.stuck.take()
        if stuck:
            message += f"; {stuck}"
        elif code == "AG901" and phase == "upgrade" and self.seeding is not None:
            # The rows were made up: a failure on their values may not be the migration's.
            note = self.seeding.failure_note()
            message += f"; {note}" if note else ""
        if code == "AG901" and self.revisions:
            # After a message of several lines (pydantic's), on a line of its own.
            message += f"{chr(10) if chr(10) in message else '; '}{self._applied()}"
        if phase == FLASK_LOADING and not self.request.env:
            message += (
                " (the app was given the throwaway database's URL; if it also reads one "
                "from a variable of its own, pass that with --url-env NAME)"
            )
        path, line = where if where is not None else (self.env_py, None)
        self.result.findings.append(RawFinding(code, message, path, line))

    def _version_table(self, name: str, default: str | None) -> tuple[str, str | None]:
        """Engine `name`'s version table and its schema: the one env.py named, or the one
        env.py's connection found it in (None where that is `default`, the schema a
        connection of check's own reads)."""
        context = self.guard.context_for(name)
        if context is None:
            return "alembic_version", None
        if context.version_table_schema is not None:
            return context.version_table, context.version_table_schema
        placed = self.placed.get(context)
        return context.version_table, None if placed == default else placed

    def _heads(self) -> dict[str, tuple[str, ...]]:
        heads = {}
        for name, url in self.urls.items():
            with connect(url) as conn:
                table, schema = self._version_table(name, conn.dialect.default_schema_name)
                opts = {"version_table": table, "version_table_schema": schema}
                heads[name] = tuple(MigrationContext.configure(conn, opts=opts).get_current_heads())
        return heads

    def _applied(self) -> str:
        parts = []
        for name, heads in self._heads().items():
            label = f"{name}: " if name else ""
            if heads:
                count = len(self._ancestors(heads))
                parts.append(
                    f"{label}{count} revision(s) applied, the database is at {', '.join(heads)}"
                )
            else:
                parts.append(f"{label}no revision is applied")
            context = self.guard.context_for(name)
            if self.tracer is not None and self.tracer.committed:
                parts[-1] += _traced_note(context)
            else:
                parts[-1] += _transaction_note(context, bool(heads))
        return "; ".join(parts)

    def _ancestors(self, heads: Sequence[str]) -> set[str]:
        by_id = {s.revision: s for s in self.revisions.values()}
        seen: set[str] = set()
        stack = list(heads)
        while stack:
            rid = stack.pop()
            if rid in seen or rid not in by_id:
                continue
            seen.add(rid)
            stack.extend(_parents(by_id[rid]))
        return seen

    def _behind(self, script: ScriptDirectory) -> list[Behind]:
        """Engines whose version table is not at the heads after `upgrade heads`."""
        wanted = set(script.get_revisions("heads"))
        behind = []
        for name, heads in self._heads().items():
            if set(script.get_revisions(heads)) != wanted:
                with connect(self.urls[name]) as conn:
                    table, schema = self._version_table(name, conn.dialect.default_schema_name)
                    tables = targets.tables_in(conn)
                shown = f"{schema}.{table}" if schema else table
                behind.append(
                    Behind(
                        engine=name,
                        dialect=self.urls[name].get_backend_name(),
                        version_table=table,
                        version_table_schema=schema,
                        versions=list(heads),
                        has_version_table=shown in tables,
                        tables=[t for t in tables if t != shown],
                    )
                )
        return behind

    def _upgrade_and_compare(self, cfg: Config, script: ScriptDirectory) -> bool:
        """`upgrade heads`, then alembic check's comparison, in one run of env.py."""
        run = UpgradeThenCompare(
            cfg,
            script,
            self.request.compare,
            self.applied,
            self.observers,
            loading=lambda: self._load_revisions(script),
            placed=self.placed,
        )
        failure = self._attempt(run)
        if failure is None and not self.loaded:  # env.py ran no migration: read them now
            failure = self._attempt(lambda: self._load_revisions(script))
        self.result.findings += self.observers.findings()
        self.result.observed += self.observers.observed()
        self.result.notes += self.observers.notes()
        self._note_applied_before(run, script)
        if self.tracer is not None:
            self.result.locks += self.tracer.locks()
        if failure is not None:
            if self.load_failed:
                self._load_failed(failure)
            elif run.comparing:  # the migrations had run: the comparison failed
                self._fail("AG902", failure, "the autogenerate comparison")
            else:
                self._fail("AG901", failure, "upgrade", run.current)
            return False
        migration = run.migration_script()
        if migration is not None:
            contexts = {
                ctx.opts.get("upgrade_token", "upgrades"): ctx for _, ctx in self.guard.contexts
            }
            alike.drop_stored_alike(migration, self._urls_by_token())
            models = Models(self.project, self._target_metadata(), self.env_py)
            self.result.findings += drift.findings(
                migration, contexts, models, list(self.revisions)
            )
        return True

    def _urls_by_token(self) -> dict[str, URL]:
        """Each engine's URL under its comparison's upgrade_token ("upgrades" for one)."""
        urls = {}
        for name, ctx in self.guard.contexts:
            if name in self.urls:
                urls[ctx.opts.get("upgrade_token", "upgrades")] = self.urls[name]
        return urls or dict(self.urls)

    def _note_applied_before(self, run: UpgradeThenCompare, script: ScriptDirectory) -> None:
        """A database found empty that is no longer at base when `upgrade heads` begins:
        loading the app (or env.py) upgraded it itself, so nothing of those revisions was
        measured. Said in a note, as the run may well pass."""
        started = [head for heads in run.found_at for head in heads]
        if not started or self.cloned or self.request.allow_nonempty:
            return
        count = len(list(script.iterate_revisions(tuple(started), "base")))
        who = "loading the Flask app" if self.app_file else "env.py (or code it imports)"
        message = (
            f"the database was already at {', '.join(started)} when check's `upgrade heads` "
            f"began, though it was empty before: {who} applied {count} "
            f"{'revision' if count == 1 else 'revisions'} itself (an app factory that runs "
            "Flask-Migrate's upgrade(), say). check measured nothing of them: they met no "
            "seeded rows and their locks were not traced, so AG901 and AG904-AG907 say "
            "nothing about them (the comparison with the models, AG902, still holds). To "
            "measure them, keep the app from upgrading when check loads it (behind a "
            "setting check can pass with --env)"
        )
        self.result.notes.append(Note(message, self.app_file or self.env_py, None))

    # -- round trip ------------------------------------------------------------------

    def _roundtrip(self, cfg: Config) -> None:
        """Downgrade to base and upgrade again, each with the revision files loaded
        afresh, as the separate `alembic downgrade` and `alembic upgrade` commands load
        them: no module state carries over (a module-level MetaData that upgrade() and
        downgrade() each define a table in, as Airflow's revisions have)."""
        before = self._snapshots()
        down: list[bool] = []
        failure = self._attempt(lambda: _migrate(cfg, _reloaded(cfg), "base", False, down))
        if failure is not None:
            self._round_trip_failed(failure, "downgrade", down)
            return
        left = self._leftovers()
        if left:
            self.result.findings += left
            return
        up: list[bool] = []
        failure = self._attempt(lambda: _migrate(cfg, _reloaded(cfg), "heads", True, up))
        if failure is not None:
            self._round_trip_failed(failure, "upgrade after the downgrade to base", up)
            return
        after = self._snapshots()
        changed = roundtrip.differences(before, after)
        for key, sentence in changed:
            path, line = self._downgrade_of(key)
            self.result.findings.append(RawFinding("AG903", sentence, path, line))
        self.at_heads = not changed

    def _round_trip_failed(self, failure: BaseException, phase: str, reached: list[bool]) -> None:
        """AG903 for a step of the round trip that raised; a note instead for a database
        error while tables still held rows seeding made up and could not delete: they may
        be what it failed on, which no database of the project holds. Not for an error no
        row can cause (a type that cannot be cast, a column that is not there). And no
        AG903 where env.py failed, running again, before any revision ran (`reached`
        empty): an app it builds that cannot be built twice in one process, which the
        separate `alembic` commands never meet."""
        if not reached and deepest_in(failure, self.revisions) is None:
            said = describe(first_error(failure), self.redact)
            self._roundtrip_skipped(
                f"env.py failed when check ran it again for the {phase}, before any "
                f"revision's {'upgrade' if 'upgrade' in phase else 'downgrade'}() ran "
                f"({said}); check runs it once per step in one process, and this env.py "
                "cannot run twice in one (`alembic downgrade base`, a process of its own, "
                "tests the downgrades)"
            )
            return
        self._fail("AG903", failure, phase)
        left = self.seeding.uncleared if self.seeding is not None else []
        failure = first_error(failure)
        if not left or not isinstance(failure, sa_exc.DBAPIError):
            return
        if failure.orig is not None and made_up.schema_error(failure.orig):
            return  # it fails on empty tables too: the downgrade's own error
        finding = self.result.findings.pop()
        names = ", ".join(shown(key) for key in left)
        message = (
            f"{finding.message}; not reported as AG903: {names} still held rows check's "
            "seeding made up and could not delete (see the note on them), which it may "
            "have failed on"
        )
        self.result.notes.append(Note(message, finding.path, finding.line))

    def _version_tables(self) -> set[str]:
        return {ctx.version_table for _, ctx in self.guard.contexts} or {"alembic_version"}

    def _target_metadata(self) -> list[Any]:
        """Every MetaData env.py gives alembic to compare with (a list, or one per engine)."""
        found: list[Any] = []
        for _, ctx in self.guard.contexts:
            metadata = ctx.opts.get("target_metadata")
            found += metadata if isinstance(metadata, list | tuple) else [metadata]
        return [meta for meta in found if meta is not None]

    def _schemas(self) -> set[str | None]:
        schemas: set[str | None] = set()
        for meta in self._target_metadata():
            schemas |= {t.schema for t in getattr(meta, "tables", {}).values()}
        return schemas

    def _snapshots(self) -> roundtrip.Snapshot:
        shot: roundtrip.Snapshot = {}
        for name, url in self.urls.items():
            with connect(url) as conn:
                part = roundtrip.snapshot(conn, self._version_tables(), self._schemas())
            shot |= {f"{name}: {k}" if name else k: v for k, v in part.items()}
        return shot

    def _leftovers(self) -> list[RawFinding]:
        found = []
        for name, url in self.urls.items():
            with connect(url) as conn:
                now = roundtrip.held(conn, self._version_tables())
            held = self.held_before.get(name, {})
            where = f" in {name}" if name else ""
            for item in [item for item in now if item not in held]:
                path, line = self._downgrade_of(item)
                message = f"the downgrade to base left {item}{where} behind"
                found.append(RawFinding("AG903", message, path, line, _cleanup(item)))
            for item, sentence in roundtrip.changed_since(held, now, where):
                path, line = self._downgrade_of(item, loose=True)
                found.append(RawFinding("AG903", sentence, path, line))
            found += self._reshaped(name, url, now, where)
        return found

    def _reshaped(self, name: str, url: URL, now: dict[str, str], where: str) -> list[RawFinding]:
        """AG903 for what the downgrade to base changed in the tables the database held
        before the first revision (a --allow-nonempty one): each at the downgrade line
        that names it, else at the downgrade of the revision whose upgrade does."""
        versions = self._version_tables()
        before = {
            key: value
            for key, value in self.shape_before.get(name, {}).items()
            if roundtrip.table_of(key).rsplit(".", 1)[-1] not in versions
        }
        if not before:
            return []
        tables = [t for t in _tables_of(now) if f"table {t}" in before]
        with connect(url) as conn:
            shape = roundtrip.shape_of(conn, tables)
        found = []
        for key, sentence in roundtrip.changed_at_base(before, shape, where):
            names = _names_in(key)
            at = undone_in(self.revisions, *names) if names else None
            path, line = at if at is not None else self._downgrade_of(key, loose=True)
            found.append(RawFinding("AG903", sentence, path, line))
        return found

    def _downgrade_of(self, key: str, loose: bool = False) -> tuple[str | None, int | None]:
        """The downgrade() of the newest revision whose upgrade() names what `key` is about
        (as a string literal; `loose`: as a word, inside SQL text too)."""
        names = _names_in(key)
        found = created_in(self.revisions, *names, undo=True, word=loose) if names else None
        return found if found else (None, None)


# What alembic's `command.check` passes to its RevisionContext.
CHECK_ARGS: dict[str, Any] = {
    "message": None,
    "autogenerate": True,
    "sql": False,
    "head": "head",
    "splice": False,
    "branch_label": None,
    "version_path": None,
    "rev_id": None,
    "depends_on": None,
}


class UpgradeThenCompare:
    """`alembic upgrade heads` and `alembic check` as one run of env.py.

    alembic runs the steps its `fn` yields, lazily, inside env.py's transaction; once the
    last one has run, this compares the schema with the models on the same connection
    (as `command.check` does: a RevisionContext's autogenerate run). For a multi-database
    env.py, env.py calls run_migrations once per engine and each engine is compared.
    """

    def __init__(
        self,
        cfg: Config,
        script: ScriptDirectory,
        compare: bool,
        applied: set[str],
        observers: Observers,
        *,
        loading: Callable[[], None],
        placed: dict[MigrationContext, str],
    ) -> None:
        self.cfg = cfg
        self.applied = applied
        self.script = script
        self.compare = compare
        self.observers = observers
        # The revision being applied (set from just before it runs until it has run).
        self.current: Any = None
        self.revision_context = autogenerate.RevisionContext(cfg, script, dict(CHECK_ARGS))
        self.compared_engines = 0
        self.comparing = False
        # The heads each engine's database was at when the upgrade began.
        self.found_at: list[tuple[str, ...]] = []
        # Imports the revision files, when env.py first asks for the revisions to run.
        self.loading = loading
        # Where each context's connection finds a version table env.py names no schema
        # for (the session's own dict: it reads the heads there after the run).
        self.placed = placed

    def __call__(self) -> None:
        try:
            self._run_env()
        except BaseException as exc:
            if self.current is not None:
                self.observers.failed(self.current, exc)
            raise

    def _run_env(self) -> None:
        with EnvironmentContext(
            self.cfg,
            self.script,
            fn=self._steps,
            as_sql=False,
            starting_rev=None,
            destination_rev="heads",
            template_args=self.revision_context.template_args,
            revision_context=self.revision_context,
        ):
            self.script.run_env()

    def _steps(self, heads: Any, context: MigrationContext) -> Iterator[Any]:
        # alembic asks for the next step only once the previous one has run, so the
        # code after `yield` runs after each revision (inside env.py's transaction).
        self.loading()
        self.found_at.append(tuple(heads))
        self.place(context)
        for step in self.script._upgrade_revs("heads", heads):
            self.current = step
            self.observers.before(step, context)
            yield step
            self.applied.add(str(getattr(step.revision, "revision", step)))
            self.observers.after(step, context)
            self.current = None
        if not self.compare:
            return
        if context.opts.get("target_metadata") is None:
            raise WorkerError(
                "env.py gives alembic no target_metadata, so there are no models to compare "
                "the migrated schema with: set it in env.py (target_metadata = "
                "Base.metadata), or pass --ignore AG902 to only apply the migrations",
                "usage",
            )
        self.comparing = True
        self.revision_context.run_autogenerate(context.get_current_heads(), context)
        self.comparing = False
        self.compared_engines += 1

    def place(self, context: MigrationContext) -> None:
        """Note where the connection finds a version table env.py names no schema for:
        check reads it there after the run (alembic reads it unqualified, through the
        search_path env.py may have set on its connection)."""
        connection = context.connection
        if connection is None or connection.dialect.name != "postgresql":
            return
        if context.version_table_schema is None:
            schema = pgstate.version_schema(connection, context.version_table)
            if schema is not None:
                self.placed[context] = schema

    def migration_script(self) -> Any:
        """The comparison's MigrationScript (None when env.py's process_revision_directives
        emptied the list, which people do when there is nothing to write)."""
        generated = self.revision_context.generated_revisions
        return generated[-1] if generated and self.compared_engines else None


def _revision_frame(exc: BaseException, script: ScriptDirectory | None) -> Location | None:
    """The innermost frame of a revision file (a `.py` file in a versions folder) in the
    traceback of a failure to load them: the import in it that failed, say."""
    if script is None:
        return None
    try:
        folders = tuple(real(str(folder)) + os.sep for folder in script._version_locations)
    except Exception:  # an older alembic's ScriptDirectory, or a folder it cannot read
        return None
    return innermost(exc, lambda path: path.endswith(".py") and path.startswith(folders))


def _reloaded(cfg: Config) -> ScriptDirectory:
    """The revision files imported again (alembic gives each load new module objects)."""
    return ScriptDirectory.from_config(cfg)


def _migrate(
    cfg: Config, script: ScriptDirectory, target: str, upgrade: bool, reached: list[bool]
) -> None:
    """`alembic upgrade/downgrade TARGET` with an already loaded ScriptDirectory;
    `reached` gets an item once env.py has asked for the revisions to run."""

    def steps(rev: Any, context: MigrationContext) -> Any:
        reached.append(True)
        if upgrade:
            return script._upgrade_revs(target, rev)
        return script._downgrade_revs(target, rev)

    with EnvironmentContext(cfg, script, fn=steps, as_sql=False, destination_rev=target):
        script.run_env()


def _alembic_config(request: Request) -> Config:
    """The Config the `alembic` command would build: the ini plus the current
    folder's pyproject.toml (alembic >= 1.16 reads both)."""
    assert request.config_path is not None
    path = Path(request.config_path)
    opts = Namespace(x=list(request.x_args))
    kwargs: dict[str, Any] = {"ini_section": request.section, "cmd_opts": opts}
    if path.name == "pyproject.toml":
        ini = Path(request.cwd) / "alembic.ini"
        return Config(file_=str(ini) if ini.is_file() else None, toml_file=str(path), **kwargs)
    toml = Path(request.cwd) / "pyproject.toml"
    if toml.is_file() and "toml_file" in inspect.signature(Config).parameters:
        kwargs["toml_file"] = str(toml)
    return Config(file_=str(path), **kwargs)


def _configured_url(cfg: Config, name: str) -> URL | None:
    """The URL alembic.ini gives engine `name` (the main section's for ""), when it is one."""
    try:
        text = cfg.get_section_option(name or cfg.config_ini_section, "sqlalchemy.url")
        return make_url(text) if text else None
    except Exception:  # an interpolation alembic would fail on, not a URL
        return None


def _engine_names(cfg: Config) -> list[str]:
    """The engines of a multi-database env.py (alembic's multidb template), or [""]."""
    databases = cfg.get_main_option("databases")
    if not databases:
        return [""]
    return [name.strip() for name in databases.replace(",", " ").split() if name.strip()]


def _hint(request: Request) -> str:
    variables = (
        "pass the throwaway database in the variables env.py reads: --url-env NAME (the "
        f"whole URL) or --env NAME=VALUE with {placeholders.listed()} "
        "(e.g. --env POSTGRES_SERVER={host} --env POSTGRES_PORT={port})."
    )
    if request.flask or request.flask_app:
        return (
            "Check that --flask-app names the app and that it uses Flask-SQLAlchemy, "
            f"or {variables}"
        )
    return (
        "Make env.py take its URL from the config (sqlalchemy.url) or "
        f"config.attributes['connection'], or {variables}"
    )


def _is_connect_error(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) and not exc.statement


def first_error(exc: BaseException) -> BaseException:
    """`exc`, or, where it is PostgreSQL refusing a statement in a transaction an earlier
    error aborted (InFailedSqlTransaction, SQLSTATE 25P02: alembic's batch dropping its
    copy of the table after the copy failed), the error it was raised while handling."""
    seen: set[int] = set()
    while isinstance(exc, sa_exc.DBAPIError) and exc.orig is not None and id(exc) not in seen:
        seen.add(id(exc))
        # SQLAlchemy raises its error from the driver's, which was raised while the
        # earlier one was handled.
        earlier = exc.orig.__context__
        if made_up.sqlstate(exc.orig) != ABORTED or earlier is None:
            break
        exc = earlier
    return exc


# PostgreSQL's in_failed_sql_transaction.
ABORTED = "25P02"


def describe(exc: BaseException, redact: Callable[[str], str] = mask_urls) -> str:
    """The database's own message (or the exception's), whole up to MESSAGE_LIMIT
    characters: a person needs all of pydantic's missing settings, or the DETAIL line."""
    if isinstance(exc, sa_exc.DBAPIError):
        text = bounded(f"{type(exc.orig).__name__}: {targets.whole_message(exc.orig)}", redact)
        if exc.statement:
            text += targets.sql_tail(str(exc.statement), redact)
        return text
    message = _said(exc)
    if message:
        return bounded(f"{type(exc).__name__}: {message}", redact)
    cause = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    if cause is None:
        return type(exc).__name__
    # It says nothing itself (`raise SQLAlchemyError() from ex`, Superset's app
    # factory): what it was raised from does.
    return bounded(f"{type(exc).__name__}, raised from {describe(cause, redact)}", redact)


def _said(exc: BaseException) -> str:
    """What an exception says itself: "" for nothing (an SQLAlchemyError with no
    arguments writes itself as "()")."""
    if isinstance(exc, sa_exc.SQLAlchemyError) and not exc.args:
        return ""
    return str(exc).strip()


def bounded(text: str, redact: Callable[[str], str] = mask_urls) -> str:
    """`text` masked, cut at MESSAGE_LIMIT characters with a mark saying how much was
    left out."""
    text = redact(text)
    if len(text) <= MESSAGE_LIMIT:
        return text
    return f"{text[:MESSAGE_LIMIT]}... [{len(text) - MESSAGE_LIMIT} more characters cut]"


def _parents(rev: Script) -> tuple[str, ...]:
    down = rev.down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


def _upgrade_def(path: str) -> Location | None:
    """The line of `def upgrade` in a revision file (None where it cannot be read)."""
    with suppress(OSError, UnicodeDecodeError):
        lines = Path(path).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if line.startswith(("def upgrade(", "async def upgrade(")):
                return path, number
    return None


def _transaction_note(context: MigrationContext | None, any_applied: bool) -> str:
    if context is None:
        return ""
    if not context.impl.transactional_ddl:
        return (
            f" ({context.dialect.name}: DDL is not transactional here, so statements of the "
            "failing revision that ran before the error stay applied)"
        )
    if not any_applied and not context.opts.get("transaction_per_migration"):
        return f" ({context.dialect.name} rolled the whole upgrade back: it ran in one transaction)"
    return ""


def _traced_note(context: MigrationContext | None) -> str:
    """Lock tracing committed before the revisions it traced: say what env.py alone does."""
    if context is None or context.opts.get("transaction_per_migration"):
        return ""
    return (
        " (check committed before each revision it traced, to measure its locks; as env.py "
        f"runs it, {context.dialect.name} would have rolled the whole upgrade back: it runs "
        "in one transaction)"
    )


def _names_in(key: str) -> list[str]:
    """The table (and column) a snapshot key or leftover is about."""
    words = key.split(": ", 1)[-1].split()
    if len(words) < 2:
        return []
    kind, subject = " ".join(words[:-1]), words[-1]
    if kind in {"table", "enum type"}:
        return [subject.rsplit(".", 1)[-1]]
    if kind == "column":
        return subject.rsplit(".", 2)[-2:]
    if "on" in words:
        return [words[words.index("on") + 1].rsplit(".", 1)[-1]]
    return [subject.split("(", 1)[0].rsplit(".", 1)[-1]]


def _tables_of(held: dict[str, str]) -> list[str]:
    """The tables of a `roundtrip.held` picture ("table s.x": "s.x")."""
    return [item[len("table ") :] for item in held if item.startswith("table ")]


def _cleanup(item: str) -> str:
    """The downgrade statement that removes a leftover ("table s.x", "enum type y")."""
    kind, _, name = item.rpartition(" ")
    schema, _, bare = name.rpartition(".")
    if kind == "enum type":
        where = f", schema={schema!r}" if schema else ""
        return f"sa.Enum(name={bare!r}{where}).drop(op.get_bind(), checkfirst=True)"
    return f"op.drop_table({bare!r}, schema={schema!r})" if schema else f"op.drop_table({bare!r})"


def serve(result_fd: int, notes_fd: int) -> int:
    """Read the request on standard input, write the result to the open file `result_fd`
    and notes that cannot wait for it to `notes_fd` (protocol.tell)."""
    request = Request.from_json(sys.stdin.read())
    session = Session(request)
    notes = open(notes_fd, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 - kept for the run
    session.stuck.tell = lambda message, key: tell(notes, session.redact(message), key)
    try:
        result = session.run()
    except WorkerError as exc:
        result = Result(error=str(exc), error_kind=exc.kind)
    finally:
        with suppress(WorkerError):  # a kept server's leftovers are harmless
            session.finish()
    with open(result_fd, "w", encoding="utf-8", closefd=False) as file:
        session.redacted(result).write(file)
    return 0
