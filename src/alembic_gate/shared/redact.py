"""Keeping passwords out of everything alembic-gate prints or writes.

Two passes, used by check (both of its processes) and doctor for every message, finding
and report:

* the shape of a URL: the password between ``user:`` and the host's ``@`` (also one
  with an unencoded ``@`` in it: everything up to the last ``@`` is hidden) and the
  value of a ``password=`` query parameter, in any URL of any text;
* the passwords the tool knows (``--database-url``, the ini's ``sqlalchemy.url``, the
  container it started, password-like ``--env`` and ``-x`` values, the command line, the
  process environment): each, as given, percent-encoded, decoded, as SQLAlchemy 1.4 and
  2.x render it and escaped (repr, JSON), wherever it stands as a word of its own (so a
  password ``hunter`` hides ``hunter`` but not ``hunters``), but a COMMON word (``password``,
  ``test``) only where it stands as a value: quoted, or after ``=`` (a column
  ``users.password`` stays); and the part of one
  that a quoted value cut short by ``...`` keeps (pydantic's errors show a settings dict
  as its first and last 25 characters: ``{'DB_PASS': 'hunter...``).

Text is masked before it is cut (`cut`): a cut inside a password leaves no URL and no
whole word to find.

Standard library only: the parent process of check and the static commands use it.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import json
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from alembic_gate.shared import placeholders
from alembic_gate.shared.records import replace

if TYPE_CHECKING:
    from alembic_gate.findings import Finding
    from alembic_gate.findings.locks import RevisionLocks

HIDDEN = "***"
# Known passwords shorter than this are only hidden inside URLs (a one-letter password
# would otherwise hide that letter everywhere).
MIN_SECRET = 4
# Known passwords at least this long, of letters and digits or signs, are hidden also
# where they touch letters; others only as words of their own.
MIN_GLUED = 8
# A URL: scheme, then everything up to a blank or a quote; but a password with a few
# blanks in it (`postgresql://u:p w@h/db`) is read up to its host's `@` (not a port
# followed by prose: `postgresql://h:5432 and root@h`).
_URL = re.compile(
    r"(?<![\w+.-])([a-zA-Z][\w+.-]*://)"
    r"((?:[^\s:/@'\"<>`]*:(?!\d+[ \t])(?:[^\s/@'\"<>`]*[ \t]){1,3}[^\s/@'\"<>`]*(?=@))?"
    r"[^\s'\"<>`]*)"
)
# A user name (no ':' '/' '@') and the ':' before the password.
_USER = re.compile(r"[^:/@?#]*:")
_QUERY_PASSWORD = re.compile(r"(?i)([?&;](?:password|passwd|pwd|pass)=)([^&;#\s'\"<>`]*)")
# Punctuation at the end of a URL in a sentence.
_PROSE_END = re.compile(r"[.,:;!?)\]]+$")
# A percent-encoded byte.
_HEX = re.compile("%[0-9A-F]{2}")
# alembic's templates put `driver://user:pass@localhost/dbname` in alembic.ini.
PLACEHOLDER_SCHEME = "driver://"
# The placeholders of --env values.
PLACEHOLDER = re.compile("|".join(re.escape(f"{{{name}}}") for name in placeholders.NAMES))
# Names of --env variables whose values are taken for secrets.
SECRET_NAME = re.compile(r"(?i)pass|pwd|secret|token|credential|private|api_?key|auth")
# Names of environment variables whose values are taken for secrets, when at least
# MIN_ENV_SECRET long and not a COMMON value (the process environment holds many more
# variables than --env: a short or common value hidden as a word would garble output).
ENV_SECRET_NAME = re.compile(r"(?i)passw(?:or)?d|pwd|_pw$|secret|token|_key$")
MIN_ENV_SECRET = 8
# Values too common to hide as words: a known password that is one is hidden only as a
# value (quoted, or after `=`), as an environment variable's value not at all.
COMMON = frozenset(
    {
        *("postgres", "password", "changeme", "example", "localhost", "test", "secret"),
        *("admin", "root", "mysql", "mariadb", "pass", "passwd", "user", "default"),
    }
)
# The variables whose names say secret but that hold the current folder.
NOT_SECRET = frozenset({"PWD", "OLDPWD"})
# The drivers' own password variables: taken at MIN_SECRET.
DRIVER_PASSWORDS = frozenset({"PGPASSWORD", "MYSQL_PWD"})


def mask_urls(text: str) -> str:
    """`text` with the password of every URL in it replaced by ``***``."""
    return _URL.sub(_mask_one, text)


def _mask_one(match: re.Match[str]) -> str:
    scheme, rest = match.group(1), match.group(2)
    # Punctuation that ends the URL belongs to the sentence ("cannot connect to URL: ..."),
    # not to a password parameter's value.
    end = _PROSE_END.search(rest)
    rest, tail = (rest[: end.start()], end.group()) if end else (rest, "")
    user = _USER.match(rest)
    at = rest.rfind("@")
    if user is not None and at >= user.end():
        rest = f"{rest[: user.end()]}{HIDDEN}{rest[at:]}"
    return scheme + _QUERY_PASSWORD.sub(rf"\g<1>{HIDDEN}", rest) + tail


def url_secrets(url: str) -> list[str]:
    """The passwords a URL carries (in its user part or as ``password=``), decoded and as
    written; [] for text that is no URL."""
    found: list[str] = []
    match = _URL.match(url.strip())
    if match is not None:  # a URL as given: all of it, blanks too
        rest = url.strip()[match.end(1) :]
    elif (match := _URL.search(url)) is not None:
        rest = match.group(2)
    else:
        return found
    user = _USER.match(rest)
    at = rest.rfind("@")
    if user is not None and at > user.end():
        found.append(rest[user.end() : at])
    for query in _QUERY_PASSWORD.finditer(rest):
        if query.group(2):
            found.append(query.group(2))
    every = [*found, *(unquote_plus(s) for s in found), *(unquote(s) for s in found)]
    # An unencoded @ makes drivers read the tail as part of the host: hide the parts too.
    every += [part for secret in found if "@" in secret for part in secret.split("@")]
    return list(dict.fromkeys(every))


def sqlalchemy_forms(secret: str) -> set[str]:
    """`secret` as SQLAlchemy writes a password into ``str(url)`` or
    ``render_as_string(hide_password=False)``, which a migration's exception may quote:
    2.x encodes all but blanks and ``+``, 1.4 only ``:``, ``@`` and ``/``."""
    sqla14 = re.sub(r"[:@/]", lambda m: f"%{ord(m.group(0)):X}", secret)
    return {quote(secret, safe=" +"), sqla14}


def escaped_forms(secret: str) -> set[str]:
    """`secret` as a message may quote it escaped: Python's repr() and ascii() (with
    either quote escaped), JSON (ASCII only or not), and percent-encoded in lower case."""
    forms = {_py_escaped(secret, q, only_ascii) for q in "'\"" for only_ascii in (False, True)}
    forms |= {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    forms |= {_HEX.sub(lambda m: m.group(0).lower(), quote(secret, safe=""))}
    return forms


def _py_escaped(secret: str, quote_char: str, only_ascii: bool) -> str:
    """`secret` as repr() (or ascii()) writes it between `quote_char`s."""
    out = []
    for char in secret:
        if char in ("\\", quote_char):
            out.append("\\" + char)
        elif char.isprintable() and (char.isascii() or not only_ascii):
            out.append(char)
        else:
            out.append(ascii(char)[1:-1])
    return "".join(out)


def abbreviates(arg: str, flag: str) -> bool:
    """`arg` is `flag` or a prefix argparse reads as it (``--database-u``)."""
    return len(arg) > 2 and arg.startswith("--") and flag.startswith(arg)


def _pair(item: str) -> tuple[str, str]:
    """``NAME=VALUE`` as (NAME, VALUE)."""
    name, _, value = item.partition("=")
    return name, value


def _secret_name(name: str, value: str) -> bool:
    """A variable whose name says secret, long enough to hide as a word."""
    return len(value) >= MIN_ENV_SECRET and ENV_SECRET_NAME.search(name) is not None


def _pattern(secrets: Iterable[str]) -> re.Pattern[str]:
    """One expression for every secret, longest first: a distinctive one (letters mixed
    with digits or signs, at least MIN_GLUED long) wherever it stands, also glued to
    letters (`xSekret-1y`); a COMMON word only as a value (between quotes, or after `=`);
    the others as words of their own."""
    glued = [s for s in secrets if _distinctive(s)]
    common = [s for s in secrets if s.lower() in COMMON]
    words = [s for s in secrets if not _distinctive(s) and s.lower() not in COMMON]
    parts = [_alternatives(glued)] if glued else []
    if words:
        parts.append(rf"(?<![A-Za-z0-9])(?:{_alternatives(words)})(?![A-Za-z0-9])")
    if common:
        value = _alternatives(common)
        parts.append(rf"(?<==)(?:{value})(?![A-Za-z0-9])|(?<=['\"])(?:{value})(?=['\"])")
    return re.compile("|".join(parts))


def _alternatives(secrets: Iterable[str]) -> str:
    return "|".join(re.escape(s) for s in sorted(secrets, key=len, reverse=True))


def _distinctive(secret: str) -> bool:
    """No word nor number another text could hold: long, letters and something else."""
    return (
        len(secret) >= MIN_GLUED
        and any(c.isalpha() for c in secret)
        and any(not c.isalpha() for c in secret)
    )


def _cut_short(secrets: Iterable[str]) -> re.Pattern[str]:
    """What a quoted value cut short with ``...`` keeps of each secret: its start after
    the opening quote, or its end before the closing one (two characters or more)."""
    longest = sorted(secrets, key=len, reverse=True)
    starts = "|".join(_starts(s) for s in longest)
    ends = "|".join(_ends(s) for s in longest)
    return re.compile(rf"(?<=['\"])(?:{starts})(?=\.\.\.)|(?<=\.\.\.)(?:{ends})(?=['\"])")


def _starts(secret: str) -> str:
    """An expression for the first 2 to len - 1 characters of `secret`."""
    pattern = ""
    for char in reversed(secret[2:-1]):
        pattern = f"(?:{re.escape(char)}{pattern})?"
    return re.escape(secret[:2]) + pattern


def _ends(secret: str) -> str:
    """An expression for the last 2 to len - 1 characters of `secret`."""
    pattern = ""
    for char in secret[1:-2]:
        pattern = f"(?:{pattern}{re.escape(char)})?"
    return pattern + re.escape(secret[-2:])


class Redactor:
    """Hides URL passwords and the passwords it was told about; call it on any text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets: set[str] = set()
        self.given: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._cut: re.Pattern[str] | None = None
        self.add(*secrets)

    def add(self, *secrets: str) -> None:
        for secret in secrets:
            if len(secret) >= MIN_SECRET and secret != HIDDEN:
                self.given.add(secret)
                self.secrets |= {secret, quote(secret, safe=""), quote_plus(secret)}
                self.secrets |= {quote(secret), *sqlalchemy_forms(secret)}
                self.secrets |= escaped_forms(secret)
                # A message that flattened whitespace ([SQL: ...] on one line).
                self.secrets.add(" ".join(secret.split()))
        self._pattern = _pattern(self.secrets) if self.secrets else None
        self._cut = _cut_short(self.given) if self.given else None

    def add_url(self, url: str | None) -> None:
        """The passwords of `url`; none for alembic's placeholder `driver://user:pass@...`."""
        if url and not url.startswith(PLACEHOLDER_SCHEME):
            self.add(*url_secrets(url))

    def add_env(self, name: str, value: str) -> None:
        """A ``--env NAME=VALUE`` given by the user: a secret when NAME sounds like one
        (but not a placeholder such as ``{password}``: what it stands for is known)."""
        if "{" in value and PLACEHOLDER.search(value):
            return
        if SECRET_NAME.search(name):
            self.add(value)
        self.add_url(value)

    def add_x_args(self, items: Iterable[str]) -> None:
        """alembic's ``-x KEY=VALUE`` arguments, read as ``--env`` values are: a secret
        when KEY sounds like one, and the passwords of URLs."""
        for item in items:
            key, equals, value = item.partition("=")
            if equals:
                self.add_env(key, value)
            else:
                self.add_url(item)

    def add_arguments(self, argv: Sequence[str]) -> None:
        """What a command line carries: the passwords of its URLs, the values of
        ``--env`` and ``-x`` (given apart or joined to their flag, the flag also
        abbreviated, as argparse takes it)."""
        before = ""
        for arg in argv:
            flag, equals, joined = arg.partition("=") if arg.startswith("--") else ("", "", "")
            if abbreviates(before, "--env"):
                self.add_env(*_pair(arg))
            elif before == "-x":
                self.add_x_args([arg])
            if equals and abbreviates(flag, "--env"):
                self.add_env(*_pair(joined))
            elif arg.startswith("-x") and not arg.startswith("--") and len(arg) > 2:
                self.add_x_args([arg[2:]])
            if "://" in arg:
                self.add_url(joined if equals else arg)
            before = arg

    def add_environ(self, environ: Mapping[str, str]) -> None:
        """What the process environment holds that a driver or env.py may echo: the
        passwords of URL values (DATABASE_URL, or any other), the drivers' password
        variables, and the values of variables whose names say secret."""
        for name, value in environ.items():
            if "://" in value:
                self.add_url(value)
            if name in NOT_SECRET or value.lower() in COMMON:
                continue
            if name in DRIVER_PASSWORDS or _secret_name(name, value):
                self.add(value)

    def __call__(self, text: str) -> str:
        text = mask_urls(text)
        if self._pattern is not None:
            text = self._pattern.sub(HIDDEN, text)
        if self._cut is not None and "..." in text:
            text = self._cut.sub(HIDDEN, text)
        return text

    def add_config(self, path: str | Path | None) -> None:
        """The passwords of every ``sqlalchemy.url`` the alembic.ini at `path` sets."""
        for url in config_urls(path):
            self.add_url(url)

    def finding(self, finding: Finding) -> Finding:
        """`finding` with its message and fix redacted."""
        fix = self(finding.fix) if finding.fix else finding.fix
        return replace(finding, message=self(finding.message), fix=fix)

    def locks(self, revision: RevisionLocks) -> RevisionLocks:
        """`revision`'s lock table with its statements, tables and note redacted: the
        statements are the project's SQL, which may carry a password as a literal."""
        rows = [
            replace(row, statement=self(row.statement), table=self(row.table))
            for row in revision.rows
        ]
        return replace(revision, rows=rows, note=self(revision.note))


def cut(
    text: str, limit: int, redact: Callable[[str], str] = mask_urls, *, end: bool = False
) -> str:
    """`text` masked by `redact`, then cut to its first `limit` characters (its last with
    `end`): a cut made first could fall inside a password, and what is left of it is no
    URL, nor a password `redact` knows."""
    shown = redact(text)
    return shown[-limit:] if end else shown[:limit]


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` without URL passwords and without any of `secrets`."""
    return Redactor(secrets)(text)


def config_urls(path: str | Path | None) -> list[str]:
    """Every ``sqlalchemy.url`` an alembic.ini sets, in any section (``%%`` read as ``%``,
    as alembic reads it), but the placeholder of alembic's templates
    (``driver://user:pass@localhost/dbname``)."""
    if path is None or Path(path).suffix != ".ini":
        return []
    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return []
    return [
        parser.get(section, "sqlalchemy.url").replace("%%", "%")
        for section in parser.sections()
        if parser.has_option(section, "sqlalchemy.url")
        and not parser.get(section, "sqlalchemy.url").startswith(PLACEHOLDER_SCHEME)
    ]


class RedactingStream(io.TextIOBase):
    """A text stream that writes each whole line to `target` through `redact` (a
    password split over several writes is still seen whole); the rest when closed."""

    def __init__(self, target: TextIO, redact: Callable[[str], str]) -> None:
        super().__init__()
        self.target = target
        self.redact = redact
        self.pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self.pending + text).split("\n")
        self.pending = lines.pop()
        for line in lines:
            self.target.write(self.redact(line) + "\n")
        return len(text)

    def close(self) -> None:
        if self.pending:
            self.target.write(self.redact(self.pending))
            self.pending = ""
        self.target.flush()
        super().close()


@contextlib.contextmanager
def redacted_output(redact: Callable[[str], str]) -> Iterator[None]:
    """Standard output and error through `redact` while project code runs in this
    process (doctor --replay's migrations: what they print, log and echo)."""
    out, err = RedactingStream(sys.stdout, redact), RedactingStream(sys.stderr, redact)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            yield
    finally:
        out.close()
        err.close()
