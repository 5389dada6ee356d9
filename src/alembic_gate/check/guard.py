"""The guard on where env.py connects (worker side).

Watches every connection any engine opens while env.py runs (SQLAlchemy's `do_connect`
event) and every `context.configure()` env.py makes, so that check never migrates a
database other than the throwaway one it was given.
"""

from __future__ import annotations

from typing import Any

from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine
from sqlalchemy.pool import Pool

from alembic_gate.check import targets
from alembic_gate.check.errors import WorkerError
from alembic_gate.check.observe import Observers
from alembic_gate.check.targets import same_database
from alembic_gate.shared.redact import Redactor


class Guard:
    """Watches where env.py connects, and every `context.configure()` it makes.

    Records the MigrationContext (for rendering and the version table). Stops the run
    before any migration when env.py connects to another database than the throwaway
    one it was given: at once, before connecting, when it aims at another server (its
    own URL: no waiting for a host that does not answer), and at `configure()` when it
    connected to another database of the same server.
    """

    def __init__(
        self, urls: dict[str, URL], hint: str, redact: Redactor, observers: Observers
    ) -> None:
        self.urls = urls
        self.hint = hint
        self.redact = redact
        self.observers = observers
        self.contexts: list[tuple[str, MigrationContext]] = []
        # Only while env.py runs (the worker's own connections go elsewhere too).
        self.active = False
        # env.py's own URL, masked, when its last connection went elsewhere.
        self.foreign: str | None = None
        # A connection was being opened and has not opened (yet): what was raised then
        # is the connect's failure, whatever the driver raised (asyncpg's own errors
        # reach env.py unwrapped).
        self.opening = False

    def install(self) -> None:
        original = EnvironmentContext.configure
        guard = self

        def configure(env: EnvironmentContext, *args: Any, **kwargs: Any) -> None:
            original(env, *args, **kwargs)
            guard.seen(env.get_context())

        setattr(EnvironmentContext, "configure", configure)  # noqa: B010 - patching a method
        event.listen(Engine, "do_connect", self.connecting)
        event.listen(Pool, "connect", self.opened)

    def connecting(self, dialect: Any, record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
        """SQLAlchemy's do_connect event: every connection any engine is about to open."""
        if not self.active:
            return
        self.opening = True
        target = targets.Target.of(dialect, cargs, cparams)
        ours = [targets.Target.of_url(dialect, url) for url in self.urls.values()]
        if target is None or target in ours:
            self.foreign = None
            return
        self.redact.add(*[str(cparams[k]) for k in ("password", "passwd") if cparams.get(k)])
        self.foreign = target.shown
        if not any(target.server == other.server for other in ours if other is not None):
            raise WorkerError(
                f"env.py connects to {self.foreign}, a URL of its own, not to the throwaway "
                f"database it was given; nothing was migrated. {self.hint}",
                "usage",
            )

    def opened(self, dbapi_connection: Any, record: Any) -> None:
        """SQLAlchemy's pool connect event: a connection has opened."""
        self.opening = False

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
        self.redact.add_url(url.render_as_string(hide_password=False))
        shown = self.redact(url.render_as_string(hide_password=True))
        raise WorkerError(
            f"env.py connected to {shown}, not to the throwaway database it was given; "
            f"nothing was migrated. {self.hint}",
            "usage",
        )

    def context_for(self, name: str) -> MigrationContext | None:
        return next((ctx for n, ctx in reversed(self.contexts) if n == name), None)
