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
from typing import Any

from alembic import autogenerate
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Connection, make_url

from alembic_gate.check import drift, roundtrip, targets
from alembic_gate.check.errors import WorkerError
from alembic_gate.check.locate import Location, Models, ProjectFiles, created_in, deepest_in, real
from alembic_gate.check.observe import Observers
from alembic_gate.check.protocol import Behind, RawFinding, Request, Result, mask
from alembic_gate.check.targets import connect, provide, refuse_nonempty, same_database
from alembic_gate.check.trace import LockTracer

ASYNC_MARKERS = ("async_engine_from_config", "create_async_engine", "AsyncEngine", "run_sync")


class Guard:
    """Watches every `context.configure()` env.py makes.

    Records the MigrationContext (for rendering and the version table) and stops
    the run before any migration when env.py connected to another database than
    the throwaway one it was given.
    """

    def __init__(self, urls: dict[str, URL], hint: str, observers: Observers) -> None:
        self.urls = urls
        self.hint = hint
        self.observers = observers
        self.contexts: list[tuple[str, MigrationContext]] = []

    def install(self) -> None:
        original = EnvironmentContext.configure
        guard = self

        def configure(env: EnvironmentContext, *args: Any, **kwargs: Any) -> None:
            original(env, *args, **kwargs)
            guard.seen(env.get_context())

        setattr(EnvironmentContext, "configure", configure)  # noqa: B010 - patching a method

    def seen(self, context: MigrationContext) -> None:
        connection = context.connection
        if connection is None:
            return
        url = connection.engine.url
        for name, expected in self.urls.items():
            if same_database(url, expected):
                self.contexts.append((name, context))
                self.observers.configured(context)
                return
        shown = mask(url.render_as_string(hide_password=True))
        raise WorkerError(
            f"env.py connected to {shown}, not to the throwaway database it was given; "
            f"nothing was migrated. {self.hint}",
            "usage",
        )

    def context_for(self, name: str) -> MigrationContext | None:
        return next((ctx for n, ctx in reversed(self.contexts) if n == name), None)


class Session:
    def __init__(self, request: Request) -> None:
        self.request = request
        self.project = ProjectFiles(request.cwd)
        self.result = Result()
        self.urls: dict[str, URL] = {}
        self.env_py = str(Path(request.script_location or request.cwd) / "env.py")
        self.revisions: dict[str, Script] = {}
        # Measurements taken while the migrations run (see check.observe).
        self.observers = Observers()
        self.tracer: LockTracer | None = None
        self.guard = Guard(self.urls, _hint(request), self.observers)
        self.connection: Connection | None = None
        # Whether the databases started as a copy of the history's template (kept server),
        # and whether they end at the heads as a fresh upgrade leaves them.
        self.cloned = False
        self.at_heads = False

    # -- setting up ------------------------------------------------------------

    def run(self) -> Result:
        with ExitStack() as stack:
            cfg = self._config(stack)
            if cfg is None:
                return self.result
            self.guard.install()
            script = self._script(cfg)
            self._add_tracer()
            if script is not None and self._upgrade_and_compare(cfg, script):
                self.result.behind = self._behind(script)
                self.at_heads = not self.result.behind
                if self.result.behind:
                    self.result.findings = []  # compared inside a transaction that was lost
                elif self.request.roundtrip:
                    self.at_heads = False
                    self._roundtrip(cfg, script)
        return self.result

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

    def _add_tracer(self) -> None:
        """Lock tracing (PostgreSQL only; it does nothing on other engines). Added first,
        so the end of each revision is timed before other observers act."""
        if self.request.trace:
            self.tracer = LockTracer(self.request.scope, lambda: list(self.revisions))
            self.observers.members.insert(0, self.tracer)

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
        is_async = any(marker in source for marker in ASYNC_MARKERS)
        self._provide(names, is_async)
        for name, url in self.urls.items():
            value = url.render_as_string(hide_password=False).replace("%", "%%")
            if name:
                cfg.set_section_option(name, "sqlalchemy.url", value)
            else:
                cfg.set_main_option("sqlalchemy.url", value)
        if "attributes" in source and list(self.urls) == [""]:
            self._lend_connection(cfg, stack)
        return cfg

    def _provide(self, names: Sequence[str], is_async: bool) -> None:
        spec = self.request.database
        urls, self.cloned = provide(spec, len(names), is_async)
        self.urls.update(zip(names, urls, strict=True))
        if spec.kind == "url" and not self.request.allow_nonempty:
            for url in self.urls.values():
                refuse_nonempty(url, mask(spec.url or ""))
        main = next(iter(self.urls.values()))
        if self.request.url_env:
            os.environ[self.request.url_env] = main.render_as_string(hide_password=False)

    def _lend_connection(self, cfg: Config, stack: ExitStack) -> None:
        """For env.py files that use `config.attributes["connection"]` when given one."""
        self.connection = stack.enter_context(connect(self.urls[""]))
        cfg.attributes["connection"] = self.connection

    def _flask_config(self, stack: ExitStack) -> Config | None:
        self._provide([""], is_async=False)
        url = self.urls[""].render_as_string(hide_password=False)
        os.environ["SQLALCHEMY_DATABASE_URI"] = url
        _point_flask_sqlalchemy_at(url)
        app: Any = None

        def load() -> None:
            nonlocal app
            app = _load_flask_app(self.request.flask_app)

        failure = self._attempt(load)
        if failure is not None:
            self._fail("AG901", failure, "loading the Flask app")
            return None
        stack.enter_context(app.app_context())
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
        script: ScriptDirectory | None = None

        def load() -> None:
            nonlocal script
            script = ScriptDirectory.from_config(cfg)
            self.revisions = {real(s.path): s for s in script.walk_revisions()}

        failure = self._attempt(load)
        if failure is not None:
            if isinstance(failure, CommandError):
                raise WorkerError(f"alembic cannot read the setup: {failure}", "usage")
            self._fail("AG901", failure, "loading the revision files")
            return None
        return script

    # -- running alembic -----------------------------------------------------------

    def _attempt(self, action: Callable[[], None]) -> BaseException | None:
        """Run project code; return what it raised (environment problems end the run)."""
        try:
            action()
        except WorkerError:
            raise
        except (Exception, SystemExit) as exc:
            if _is_connect_error(exc) and deepest_in(exc, self.revisions) is None:
                assert isinstance(exc, sa_exc.DBAPIError)
                message = targets.first_line(exc)
                raise WorkerError(f"cannot connect to the database: {message}", "env") from None
            return exc
        finally:
            self._settle()
        return None

    def _settle(self) -> None:
        """Commit (or roll back) what env.py did on a lent connection."""
        if self.connection is not None and self.connection.in_transaction():
            self.connection.commit()

    def _fail(self, code: str, exc: BaseException, phase: str) -> None:
        where: Location | None = deepest_in(exc, self.revisions)
        if where is not None:
            rev = self.revisions[where[0]]
            what = f"{phase} of {rev.revision} ({_doc(rev)})"
        else:
            where = self.project.deepest(exc)
            what = f"{phase} (before any migration ran)" if phase == "upgrade" else phase
        message = f"{what} failed: {describe(exc)}"
        if code == "AG901" and self.revisions:
            message += f"; {self._applied()}"
        path, line = where if where is not None else (self.env_py, None)
        self.result.findings.append(RawFinding(code, mask(message), path, line))

    def _version_table(self, name: str) -> tuple[str, str | None]:
        context = self.guard.context_for(name)
        if context is None:
            return "alembic_version", None
        return context.version_table, context.version_table_schema

    def _heads(self) -> dict[str, tuple[str, ...]]:
        heads = {}
        for name, url in self.urls.items():
            table, schema = self._version_table(name)
            opts = {"version_table": table, "version_table_schema": schema}
            with connect(url) as conn:
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
                table, schema = self._version_table(name)
                with connect(self.urls[name]) as conn:
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
        run = UpgradeThenCompare(cfg, script, self.request.compare, self.observers)
        failure = self._attempt(run)
        self.result.findings += [_masked(f) for f in self.observers.findings()]
        self.result.observed += self.observers.observed()
        if self.tracer is not None:
            self.result.locks += self.tracer.locks()
        if failure is not None:
            if run.comparing:  # the migrations had run: the comparison failed
                self._fail("AG902", failure, "the autogenerate comparison")
            else:
                self._fail("AG901", failure, "upgrade")
            return False
        migration = run.migration_script()
        if migration is not None:
            contexts = {
                ctx.opts.get("upgrade_token", "upgrades"): ctx for _, ctx in self.guard.contexts
            }
            models = Models(self.project)
            found = drift.findings(migration, contexts, models, list(self.revisions))
            self.result.findings += [_masked(f) for f in found]
        return True

    # -- round trip ------------------------------------------------------------------

    def _roundtrip(self, cfg: Config, script: ScriptDirectory) -> None:
        before = self._snapshots()
        failure = self._attempt(lambda: _migrate(cfg, script, "base", upgrade=False))
        if failure is not None:
            self._fail("AG903", failure, "downgrade")
            return
        left = self._leftovers()
        if left:
            self.result.findings += left
            return
        failure = self._attempt(lambda: _migrate(cfg, script, "heads", upgrade=True))
        if failure is not None:
            self._fail("AG903", failure, "upgrade after the downgrade to base")
            return
        after = self._snapshots()
        changed = roundtrip.differences(before, after)
        for key, sentence in changed:
            path, line = self._downgrade_of(key)
            self.result.findings.append(RawFinding("AG903", sentence, path, line))
        self.at_heads = not changed

    def _version_tables(self) -> set[str]:
        return {ctx.version_table for _, ctx in self.guard.contexts} or {"alembic_version"}

    def _schemas(self) -> set[str | None]:
        schemas: set[str | None] = set()
        for _, ctx in self.guard.contexts:
            metadata = ctx.opts.get("target_metadata")
            items = metadata if isinstance(metadata, list | tuple) else [metadata]
            for meta in items:
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
                left = roundtrip.leftovers(conn, self._version_tables())
            for item in left:
                path, line = self._downgrade_of(item)
                where = f" in {name}" if name else ""
                message = f"the downgrade to base left {item}{where} behind"
                found.append(RawFinding("AG903", message, path, line, _cleanup(item)))
        return found

    def _downgrade_of(self, key: str) -> tuple[str | None, int | None]:
        """The downgrade() of the newest revision whose upgrade() names what `key` is about."""
        names = _names_in(key)
        found = created_in(self.revisions, *names, undo=True) if names else None
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
        self, cfg: Config, script: ScriptDirectory, compare: bool, observers: Observers
    ) -> None:
        self.cfg = cfg
        self.script = script
        self.compare = compare
        self.observers = observers
        # The revision being applied (set from just before it runs until it has run).
        self.current: Any = None
        self.revision_context = autogenerate.RevisionContext(cfg, script, dict(CHECK_ARGS))
        self.compared_engines = 0
        self.comparing = False

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
        for step in self.script._upgrade_revs("heads", heads):
            self.current = step
            self.observers.before(step, context)
            yield step
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

    def migration_script(self) -> Any:
        """The comparison's MigrationScript (None when env.py's process_revision_directives
        emptied the list, which people do when there is nothing to write)."""
        generated = self.revision_context.generated_revisions
        return generated[-1] if generated and self.compared_engines else None


def _migrate(cfg: Config, script: ScriptDirectory, target: str, upgrade: bool) -> None:
    """`alembic upgrade/downgrade TARGET` with an already loaded ScriptDirectory."""

    def steps(rev: Any, context: MigrationContext) -> Any:
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


def _engine_names(cfg: Config) -> list[str]:
    """The engines of a multi-database env.py (alembic's multidb template), or [""]."""
    databases = cfg.get_main_option("databases")
    if not databases:
        return [""]
    return [name.strip() for name in databases.replace(",", " ").split() if name.strip()]


def _point_flask_sqlalchemy_at(url: str) -> None:
    """Make every Flask-SQLAlchemy `init_app` see `url` as the app's database."""
    try:
        from flask_sqlalchemy import SQLAlchemy
    except ImportError:
        return
    original = SQLAlchemy.init_app

    def init_app(self: SQLAlchemy, app: Any) -> None:
        app.config["SQLALCHEMY_DATABASE_URI"] = url
        original(self, app)

    setattr(SQLAlchemy, "init_app", init_app)  # noqa: B010 - patching a method


def _load_flask_app(import_path: str | None) -> Any:
    from flask.cli import NoAppException, ScriptInfo

    try:
        return ScriptInfo(app_import_path=import_path).load_app()
    except NoAppException as exc:
        raise WorkerError(f"cannot load the Flask app: {exc} (pass --flask-app)", "usage") from None


def _hint(request: Request) -> str:
    if request.flask or request.flask_app:
        return "Check that --flask-app names the app and that it uses Flask-SQLAlchemy."
    return (
        "Make env.py take its URL from the config (sqlalchemy.url) or "
        "config.attributes['connection'], or name the environment variable it "
        "reads with --url-env NAME."
    )


def _is_connect_error(exc: BaseException) -> bool:
    return isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError) and not exc.statement


def describe(exc: BaseException) -> str:
    """The database's own message (or the exception), one line, without secrets."""
    if isinstance(exc, sa_exc.DBAPIError):
        text = f"{type(exc.orig).__name__}: {targets.first_line(exc)}"
        if exc.statement:
            statement = " ".join(str(exc.statement).split())
            text += f" [SQL: {statement[:200]}{'...' if len(statement) > 200 else ''}]"
        return text
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _doc(rev: Script) -> str:
    return (rev.doc or "").strip().splitlines()[0] if (rev.doc or "").strip() else "no message"


def _parents(rev: Script) -> tuple[str, ...]:
    down = rev.down_revision
    if down is None:
        return ()
    return (down,) if isinstance(down, str) else tuple(down)


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


def _cleanup(item: str) -> str:
    """The downgrade statement that removes a leftover ("table s.x", "enum type y")."""
    kind, _, name = item.rpartition(" ")
    schema, _, bare = name.rpartition(".")
    if kind == "enum type":
        return f"sa.Enum(name={bare!r}).drop(op.get_bind(), checkfirst=True)"
    return f"op.drop_table({bare!r}, schema={schema!r})" if schema else f"op.drop_table({bare!r})"


def _masked(finding: RawFinding) -> RawFinding:
    finding.message = mask(finding.message)
    return finding


def serve(result_path: Path) -> int:
    """Read the request on standard input, write the result to `result_path`."""
    request = Request.from_json(sys.stdin.read())
    session = Session(request)
    try:
        result = session.run()
    except WorkerError as exc:
        result = Result(error=mask(str(exc)), error_kind=exc.kind)
    finally:
        with suppress(WorkerError):  # a kept server's leftovers are harmless
            session.finish()
    result.write(result_path)
    return 0
