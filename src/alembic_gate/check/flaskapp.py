"""Flask-Migrate projects in the worker: the app found as `flask db upgrade` finds it,
pointed at the throwaway database."""

from __future__ import annotations

import os
from contextlib import suppress
from typing import Any

from alembic_gate.check.errors import WorkerError


def point_flask_sqlalchemy_at(url: str) -> None:
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


def load_flask_app(import_path: str | None) -> Any:
    """The app as `flask db upgrade` finds it: --flask-app, else FLASK_APP (also from
    .flaskenv and .env, which the `flask` command reads), else wsgi.py or app.py."""
    from flask.cli import NoAppException, ScriptInfo, load_dotenv

    with suppress(Exception):  # python-dotenv missing, or an unreadable file: as flask
        load_dotenv()
    try:
        return ScriptInfo(app_import_path=import_path or os.environ.get("FLASK_APP")).load_app()
    except NoAppException as exc:
        raise WorkerError(f"cannot load the Flask app: {exc} ({_advice()})", "usage") from None


def _advice() -> str:
    """What to do: name the app; or, where the current folder is itself a package (its
    __init__.py), which Flask prefixes the module with as `flask --app` does there
    (FitTrackee's src/fittrackee, run as `fittrackee.fittrackee`), run from the folder above."""
    here = os.getcwd()
    if os.path.isfile(os.path.join(here, "__init__.py")):
        package = os.path.basename(here)
        return (
            f"the current folder is package {package} (it holds __init__.py), so Flask looks "
            f"for the module inside it, as `flask --app` run here does: run check from the "
            f"folder above, with -c {package}/<path to alembic.ini>"
        )
    return "pass --flask-app module:app, or --flask-app 'module:create_app(ARGS)' for a factory"


def refuse_script_info(exc: BaseException, import_path: str | None) -> None:
    """Flask before 2.1 calls an app factory with one required parameter with its own
    ScriptInfo object as the argument (`create_app(config_name)` then fails with
    "KeyError: <flask.cli.ScriptInfo ...>"): say what to pass instead."""
    if not any(type(arg).__name__ == "ScriptInfo" for arg in exc.args) and (
        "flask.cli.ScriptInfo" not in str(exc)
    ):
        return
    given = (
        f"--flask-app {import_path} named"
        if import_path
        else "no --flask-app or FLASK_APP: Flask found"
    )
    raise WorkerError(
        f"loading the Flask app failed with {type(exc).__name__}: {exc} ({given} an app "
        "factory that takes an argument, and Flask passed it its own ScriptInfo object): "
        "name the factory and its argument, e.g. --flask-app 'app:create_app(\"production\")'",
        "usage",
    )
