"""The `alembic-gate` command line: lint, check, doctor, graph."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Callable, Sequence

from alembic_gate import __version__
from alembic_gate.errors import GateError

TYPE_CHECKING = False  # typing's flag (mypy reads it so): lint never imports typing
if TYPE_CHECKING:
    import argparse
    from argparse import Namespace as _Namespace
    from typing import Any, NoReturn
else:
    from types import SimpleNamespace as _Namespace  # imported already (functools)

REPORT_FORMATS = ("text", "github", "json", "sarif", "gitlab", "junit")
GRAPH_FORMATS = ("mermaid", "dot", "text")


def _formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's help layout, at the same width, found without `shutil`: argparse
    makes a formatter for every option it adds (to check its metavar), and its own asks
    `shutil` for the terminal's width, importing it with bz2 and lzma (~2 ms of a run).
    A function, not a HelpFormatter subclass, so that naming it (`formatter_class=`)
    needs no argparse: argparse only calls it, with `prog`."""
    import argparse

    return argparse.HelpFormatter(prog, width=terminal_columns() - 2)


def terminal_columns() -> int:
    """`shutil.get_terminal_size().columns`: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


def _add_setup_options(parser: _Options) -> None:
    group = parser.add_argument_group("finding the Alembic setup")
    group.add_argument(
        "-c",
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="alembic.ini or pyproject.toml to read (repeatable: several environments)",
    )
    group.add_argument(
        "-n", "--name", default="alembic", metavar="SECTION", help="ini section (default: alembic)"
    )
    group.add_argument(
        "--versions",
        action="append",
        default=[],
        metavar="DIR",
        help="read revision files from DIR, skipping config files (repeatable)",
    )
    group.add_argument(
        "--recursive", action="store_true", help="with --versions: also walk subfolders"
    )
    group.add_argument(
        "--no-cache",
        action="store_true",
        help="neither read nor write .alembic-gate-cache/ (what was read from each file, "
        "by content)",
    )


def _add_report_options(parser: _Options) -> None:
    group = parser.add_argument_group("output and rule selection")
    group.add_argument(
        "--format",
        action="append",
        default=[],
        metavar="FMT[=PATH]",
        dest="formats",
        help=f"report format, repeatable: {', '.join(REPORT_FORMATS)}; "
        "without =PATH to standard output (default: text)",
    )
    group.add_argument("--select", metavar="CODES", help="only these codes or prefixes (AG0,AG101)")
    group.add_argument("--extend-select", metavar="CODES", help="add codes or prefixes")
    group.add_argument("--ignore", metavar="CODES", help="skip codes or prefixes")
    group.add_argument(
        "--fail-on",
        choices=("error", "warning", "info"),
        default=None,
        help="lowest severity that fails the run (default: error)",
    )


def _seconds(value: str) -> float:
    """A --timeout value: a finite number of seconds above zero."""
    import argparse  # imported already: argparse calls this
    import math  # only check has --timeout: a lint run does not load the extension

    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise argparse.ArgumentTypeError(f"{value!r}: give a number of seconds above 0")
    return seconds


def _lint_parser(sub: _Parsers) -> None:
    p = sub.add_parser(
        "lint",
        formatter_class=_formatter,
        help="static checks of the revision graph and revision files",
        description="Read the revision files with `ast` (never importing them) and check "
        "the graph: heads, missing parents, cycles, labels, unsafe operations. Without "
        "-c/--versions and with no setup in the current directory, every setup a git "
        "repository tracks below it is linted, each from its own folder.",
    )
    _add_setup_options(p)
    _add_report_options(p)
    p.add_argument(
        "--base",
        metavar="REF",
        help="git ref to compare with (AG010; AG1xx only for revisions new since REF)",
    )
    p.add_argument(
        "files",
        nargs="*",
        metavar="FILE",
        help="changed files (pre-commit passes them); each must exist. Every revision file "
        "is always read and parsed whole; the safety rules (AG1xx) report only on these "
        "(without files, --base or `since`: on the head revisions, counting the older "
        "warnings); where the setups were found across a git repository, the FILEs pick "
        "the setups to lint (all of them for a file of none)",
    )


def _check_parser(sub: _Parsers) -> None:
    import argparse

    from alembic_gate.shared import placeholders  # for its help only

    p = sub.add_parser(
        "check",
        formatter_class=_formatter,
        help="apply every migration to a throwaway database, then compare with the models",
        description="Start a throwaway database, run `upgrade heads`, then alembic's "
        "autogenerate comparison (`alembic check`). Runs the project's env.py. On PostgreSQL "
        "every statement of the revisions in scope is traced: the locks it takes and the "
        "tables it rewrites, at its op.* line (AG905 table-rewrite, AG906 blocking-lock, "
        "AG907 no-lock-timeout, and a lock table per revision in the report); "
        "--ignore AG905,AG906,AG907 turns tracing off.",
    )
    _add_setup_options(p)
    _add_report_options(p)
    p.add_argument(
        "--db",
        choices=("postgres", "mysql", "mariadb", "sqlite"),
        default="postgres",
        help="database engine (default: postgres); a container started with testcontainers "
        "(images postgres:16-alpine, mysql:8.4, mariadb:11.4), or an embedded sqlite file. "
        "ALEMBIC_GATE_REUSE=1 keeps the container (and, for postgres, a migrated template "
        "database per history) for fast repeated local runs",
    )
    p.add_argument("--image", help="container image for --db, e.g. postgres:15")
    p.add_argument(
        "--database-url",
        metavar="URL",
        help="use this existing, empty database instead (no tables, views, sequences, "
        "types or functions)",
    )
    p.add_argument(
        "--allow-nonempty",
        action="store_true",
        help="let --database-url point at a database that is not empty",
    )
    p.add_argument("--flask-app", metavar="APP", help="Flask-Migrate app (as FLASK_APP takes it)")
    p.add_argument(
        "--url-env",
        metavar="NAME",
        help="set the throwaway database's URL as environment variable NAME for env.py "
        "(the same as --env NAME={url})",
    )
    p.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set NAME for env.py (repeatable), for env.py files that build their URL from "
        f"parts; VALUE may hold {placeholders.listed()}, "
        "filled in for the throwaway database, e.g. --env POSTGRES_SERVER={host} "
        "--env POSTGRES_PORT={port} --env POSTGRES_PASSWORD={password}",
    )
    p.add_argument(
        "-x",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        dest="x_args",
        help="passed to env.py as alembic's -x (repeatable)",
    )
    p.add_argument(
        "--roundtrip", action="store_true", help="downgrade to base, upgrade again, compare"
    )
    p.add_argument(
        "--no-seed",
        action="store_true",
        help="migrate empty tables only; by default each table gets a few rows as soon as the "
        "revision that creates it has run, so later migrations meet rows as in production "
        "(AG904)",
    )
    p.add_argument(
        "--base",
        metavar="REF",
        help="git ref to compare with: safety findings (AG1xx, AG904-AG907) only for "
        "revisions new since REF",
    )
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=120.0,
        metavar="SECONDS",
        help="how long to wait for the database to start or, with --database-url, to "
        "answer (default: 120); env.py and the migrations may take 10 times as long "
        "(900 at least)",
    )
    p.add_argument("files", nargs="*", help=argparse.SUPPRESS)


def _doctor_parser(sub: _Parsers) -> None:
    p = sub.add_parser(
        "doctor",
        formatter_class=_formatter,
        help="explain why a database is not at head, and print the fix",
        description="Read the database's version table (read-only) and explain "
        '"Target database is not up to date": what is pending, missing or unknown.',
    )
    _add_setup_options(p)
    _add_report_options(p)
    p.add_argument("--database-url", required=True, help="the database to inspect (read-only)")
    p.add_argument("--version-table", help="version table name (default: alembic_version)")
    p.add_argument("--version-table-schema", help="schema of the version table")
    p.add_argument(
        "--replay",
        action="store_true",
        help="for an unversioned database: replay the history in a throwaway SQLite "
        "database to find the revision the schema matches (this imports and runs the "
        "revision files, which doctor otherwise never does)",
    )


def _graph_parser(sub: _Parsers) -> None:
    p = sub.add_parser(
        "graph",
        formatter_class=_formatter,
        help="draw the revision graph",
        description="Draw the revision graph as mermaid, Graphviz dot or text.",
    )
    _add_setup_options(p)
    p.add_argument(
        "--format",
        choices=GRAPH_FORMATS,
        default="text",
        dest="graph_format",
        help="drawing format (default: text)",
    )


PROG = "alembic-gate"


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line. Given arguments that name a command, only that command's
    parser is made: argparse builds objects for every option and looks up translations
    for its own texts (several file lookups each), and a run needs one command's."""

    named = _named_command(argv)
    parser = _parser_class()(
        formatter_class=_formatter,
        prog=PROG,
        description="Stop broken Alembic migrations before they reach a shared database.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, add in COMMAND_PARSERS.items():
        if named in (None, name):
            add(sub)
    return parser


COMMAND_PARSERS = {
    "lint": _lint_parser,
    "check": _check_parser,
    "doctor": _doctor_parser,
    "graph": _graph_parser,
}


class _Alone:
    """Stands in for the subparsers action of `build_parser` to make one command's
    parser without the top-level one: the parser `add_parser` makes there."""

    parser: argparse.ArgumentParser | None = None

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:

        del kwargs["help"]  # the top-level help's line for the command
        self.parser = _parser_class()(prog=f"{PROG} {name}", **kwargs)
        return self.parser


_PARSER: type[argparse.ArgumentParser] | None = None
# The command line `main` reads, for `masked`.
_ARGV: Sequence[str] = ()


def masked(message: str) -> str:
    """`message` without a password the command line or the environment holds: usage
    errors quote arguments (`unrecognized arguments: --env DB_PASSWORD=...`)."""
    import os

    from alembic_gate.shared.redact import Redactor

    redact = Redactor()
    redact.add_environ(os.environ)
    redact.add_arguments(_ARGV)
    return redact(message)


def _parser_class() -> type[argparse.ArgumentParser]:
    """argparse's parser, whose errors show no password: they quote the arguments
    (`unrecognized arguments: --url postgresql://app:secret@db/app`). Made when first
    needed (argparse is not imported by lint's usual runs); the commands' parsers are of
    the same class (`add_subparsers` makes them so)."""
    global _PARSER
    if _PARSER is None:
        import argparse

        class Parser(argparse.ArgumentParser):
            def error(self, message: str) -> NoReturn:
                super().error(masked(message))

        _PARSER = Parser
    return _PARSER


def parse_arguments(argv: Sequence[str]) -> argparse.Namespace:
    """`build_parser(argv).parse_args(argv)`. `lint` followed by positionals only (as
    pre-commit runs it) is read without argparse (`positionals_only`). When another
    command comes first (as CI runs it), the top-level parser hands every argument after
    it to the command's parser and adds only `command`, unless some are left over: that
    parser alone reads them here, without the top-level one (~1 M instructions a run).
    Anything else, and leftovers (for the top-level parser's error), goes through
    `build_parser`."""
    read = positionals_only(argv)
    if read is not None:
        return read
    import argparse

    add = COMMAND_PARSERS.get(argv[0]) if argv else None
    if add is not None:
        alone = _Alone()
        add(alone)
        assert alone.parser is not None
        namespace = argparse.Namespace(command=argv[0])
        args, left = alone.parser.parse_known_args(argv[1:], namespace)
        if not left:
            return args
    return build_parser(argv).parse_args(argv)


# The commands whose command line, when it is positionals only, is read without argparse.
WITHOUT_ARGPARSE = frozenset({"lint"})


def positionals_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """What argparse makes of `lint FILE...`, pre-commit's command line, made without
    argparse: importing it (with gettext) and building lint's parser (argparse looks up
    the translations of its texts, imports locale, compiles regular expressions) are
    ~2.5 ms of a 50 ms run at 1,000 revisions (13 M instructions, 4.6%). None for any
    other command line, which argparse reads. An
    argument that does not start with "-" (the one prefix character of these parsers,
    none of which reads arguments from files) is a positional to argparse wherever it
    stands; "--", "-", "-1" and options may not be, and are left to argparse."""
    if not argv or argv[0] not in WITHOUT_ARGPARSE:
        return None
    values = list(argv[1:])
    if any(arg.startswith("-") for arg in values):
        return None
    defaults = _Defaults()
    try:
        COMMAND_PARSERS[argv[0]](defaults)
    except _Unmodelled:
        return None
    return defaults.namespace(argv[0], values)


class Arguments(_Namespace):
    """A command line read without argparse: to mypy an argparse.Namespace, at run time
    a types.SimpleNamespace, which has what the commands use of argparse's (attributes,
    vars()), and argparse's `in`."""

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__


class _Unmodelled(Exception):
    """A declaration `_Defaults` does not model: argparse reads the command line."""


# What an option's action stores when the option is not given, unless `default=` says
# otherwise: the default of argparse's action class (e.g. _StoreTrueAction's False).
_ACTION_DEFAULTS: dict[str | None, object] = {
    None: None,
    "store": None,
    "store_const": None,
    "append": None,
    "append_const": None,
    "extend": None,
    "count": None,
    "store_true": False,
    "store_false": True,
}

# add_parser's keywords that change nothing in how positionals are read (unlike
# prefix_chars, fromfile_prefix_chars, argument_default, parents, add_help).
_PARSER_KEYWORDS = frozenset({"help", "description", "formatter_class", "epilog", "usage"})

# The keywords of a positional whose values argparse stores as they are given.
_POSITIONAL_KEYWORDS = frozenset({"nargs", "metavar", "help"})


class _Defaults:
    """Stands in for the subparsers action, the command's parser and its argument groups
    while a command's parser function (COMMAND_PARSERS) runs, to note what argparse
    makes of a command line of positionals only: each option's default under its dest,
    in the order they are declared, and the values under the one positional (nargs="*").
    Anything argparse would read differently raises _Unmodelled. The parser function
    runs again for each command line, so a `default=[]` is a new list each time, as it
    is with a new parser (argparse's append copies its default before adding to it, but
    an option not given leaves the default itself in the namespace)."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self.positional: str | None = None

    def add_parser(self, name: str, **kwargs: Any) -> _Defaults:
        if not kwargs.keys() <= _PARSER_KEYWORDS:
            raise _Unmodelled(name)
        return self

    def add_argument_group(self, *args: Any, **kwargs: Any) -> _Defaults:
        return self

    def add_argument(self, *flags: str, **kwargs: Any) -> None:
        if not flags:
            raise _Unmodelled(kwargs)
        if len(flags) == 1 and not flags[0].startswith("-"):
            self._add_positional(flags[0], kwargs)
        else:
            self._add_option(flags, kwargs)

    def _add_option(self, flags: Sequence[str], kwargs: dict[str, Any]) -> None:
        action = kwargs.get("action")
        if action not in _ACTION_DEFAULTS or kwargs.get("required"):
            raise _Unmodelled(flags)
        default = kwargs.get("default", _ACTION_DEFAULTS[action])
        if isinstance(default, str) and kwargs.get("type") is not None:
            raise _Unmodelled(flags)  # argparse passes a default left unused through type
        dest = kwargs.get("dest")
        self._note(_dest(flags) if dest is None else dest, default)

    def _add_positional(self, dest: str, kwargs: dict[str, Any]) -> None:
        if self.positional is not None or kwargs.get("nargs") != "*":
            raise _Unmodelled(dest)
        if not kwargs.keys() <= _POSITIONAL_KEYWORDS:  # a type, choices, a default
            raise _Unmodelled(dest)
        self.positional = dest
        self._note(dest, None)

    def _note(self, dest: str, default: object) -> None:
        if dest == "command":  # the top-level parser's (build_parser)
            raise _Unmodelled(dest)
        self.values.setdefault(dest, default)  # argparse: the first declared

    def namespace(self, command: str, values: list[str]) -> Arguments | None:
        """The namespace argparse makes of `command` and `values`, all positionals;
        None where argparse has an error to give (values, and no positional)."""
        if self.positional is None and values:
            return None
        fields = dict(self.values)
        if self.positional is not None:
            fields[self.positional] = values
        return Arguments(command=command, **fields)


def _dest(flags: Sequence[str]) -> str:
    """argparse's dest of an option: its first long flag's name, else its first flag's,
    with "-" as "_"."""
    long = [flag for flag in flags if flag.startswith("--")]
    name = (long or flags)[0].lstrip("-")
    if not name:
        raise _Unmodelled(flags)
    return name.replace("-", "_")


if TYPE_CHECKING:
    _Parsers = argparse._SubParsersAction[argparse.ArgumentParser] | _Alone | _Defaults
    _Options = argparse.ArgumentParser | _Defaults


def _named_command(argv: Sequence[str] | None) -> str | None:
    """The command `argv` names (the first argument that is not an option), if any."""
    first = next((arg for arg in argv or () if not arg.startswith("-")), None)
    return first if first in COMMAND_PARSERS else None


# Imported on demand: `lint` must not pay for (or need) what `check` imports.
COMMAND_MODULES = {
    "lint": "alembic_gate.lint",
    "check": "alembic_gate.check",
    "doctor": "alembic_gate.doctor",
    "graph": "alembic_gate.graph_command",
}


def _command(name: str) -> Callable[[argparse.Namespace], int]:
    # `__import__` with a fromlist gives the module itself, as importlib.import_module
    # does, without importing importlib (and warnings) from the console script
    module = __import__(COMMAND_MODULES[name], fromlist=["run"])
    run: Callable[[argparse.Namespace], int] = module.run
    return run


class _ClosedOutput:
    """Standard output of a process started with it closed (`>&-`), for which Python
    gives None: writing to it fails as writing to a closed descriptor does, so that the
    output's error handling says so (exit 2) rather than an AttributeError."""

    encoding = "utf-8"

    def write(self, text: str) -> int:
        raise _closed()

    def fileno(self) -> int:
        raise _closed()

    def flush(self) -> None:
        pass


def _closed() -> OSError:
    return OSError(9, "standard output is closed")  # EBADF (errno is not imported)


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _ClosedOutput()
    try:
        try:
            argv = sys.argv[1:] if argv is None else argv
            global _ARGV
            _ARGV = argv
            args = parse_arguments(argv)
        except SystemExit:  # --help, --version: written, if standard output takes it
            sys.stdout.flush()
            raise
    except OSError as exc:
        return _output_error(exc)
    try:
        code = _command(args.command)(args)
        sys.stdout.flush()
    except GateError as exc:
        from alembic_gate.reporters.common import log_lines  # names from files: made safe

        print(log_lines(f"alembic-gate: error: {masked(str(exc))}"), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("alembic-gate: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:
        if exc.filename is not None:  # a file the command used, not standard output
            return _file_error(exc)
        return _output_error(exc)
    return code


# Commands that start no thread, leave no child process and register nothing to run at
# exit: run from the console they end without the interpreter's tear-down, which frees
# every object one by one (about 10 ms of a 100 ms pre-commit run at 1,000 revisions;
# mypy ends the same way).
QUICK_EXIT = frozenset({"lint", "graph"})

# What commands leave to the end of a process that ends with os._exit (`console`);
# None in any other (main called from Python), where they free what they made.
_kept: list[object] | None = None


def keep_until_exit(*made: object) -> None:
    """Keep `made` alive to the end of a process that ends with os._exit: freed as the
    command returns, a run's history goes object by object (~3 M instructions, 1% of a
    pre-commit run at 1,000 revisions), which the exit skips. Elsewhere, nothing."""
    if _kept is not None:
        _kept.append(made)


def console() -> NoReturn:
    """The `alembic-gate` executable and `python -m alembic_gate`: `main` on sys.argv."""
    if _named_command(sys.argv[1:]) not in QUICK_EXIT:
        raise SystemExit(main())
    # Nor does the cyclic garbage collector run: the command pauses it while it works
    # anyway, and turned on again at the end it would scan everything the run made
    # (~10 ms at 1,000 revisions) just before the process ends.
    gc.disable()
    global _kept
    _kept = []
    _quick_exit(main())


def _quick_exit(code: int) -> NoReturn:
    """Exit at once with `code`, once what is buffered for the standard streams is
    written (`main` has already flushed standard output and handled its errors)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


def _file_error(exc: OSError) -> int:
    """A file or folder failed the command where no reader says what it was for: named,
    with the system's reason, as a usage error (no traceback, not taken for standard
    output)."""
    from alembic_gate.reporters.common import log_lines

    reason = exc.strerror or type(exc).__name__
    print(log_lines(f"alembic-gate: error: {masked(f'{exc.filename}: {reason}')}"), file=sys.stderr)
    return 2


def _output_error(exc: OSError) -> int:
    """Standard output failed outside the reporters (argparse, a last flush)."""
    from alembic_gate.reporters.output import detach_stdout

    detach_stdout()
    if isinstance(exc, BrokenPipeError):
        return 1
    print(f"alembic-gate: error: cannot write to standard output: {exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    console()
