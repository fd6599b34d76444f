"""The desk's settings: a TOML file in the user's config directory, then the environment, then flags.

    database = "postgresql://deskapp@db.example.com/deskapp"   # no password here: see below
    database_password_file = "/etc/deskapp/db-password"        # optional; else libpq's ~/.pgpass
    pool_size = 10
    time_zone = "Asia/Shanghai"
    language = "zh-CN"                # en or zh-CN; unset: the terminal's locale (LANG ...)
    export_dir = "~/exports"
    theme = "nord"

    [keys]                      # binding id = keys (Textual's App.set_keymap)
    end_call = "ctrl+e"

    [templates.wrap_up]         # ctrl+t in a free-text field (deskapp.templates)
    filed = "Ticket filed; the caller was told the dates and the consequences."

    [[handoff.webhook]]         # deskapp relay's destinations (tickets.handoff.settings)
    name = "billing"
    url = "https://billing.example.com/deskapp"
    secret_file = "/etc/deskapp/billing-webhook.secret"

Each setting remembers where its value came from, for `deskapp config`. A database password is
never taken from the command line (the process list shows it to every user of the machine):
libpq reads ~/.pgpass (or $PGPASSFILE) itself when the URL has none, or a secrets file readable
only by its owner names it. Every per-user path comes from platformdirs.

Kept light (no SQLAlchemy): the console validates its settings before its first frame.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import platformdirs

from tickets.i18n import _
from tickets.secret_file import read_secret_text

if TYPE_CHECKING:  # pragma: no cover
    from zoneinfo import ZoneInfo

APP_NAME = "deskapp"
CONFIG_ENV = "DESKAPP_CONFIG"
DEFAULT_POOL_SIZE = 5
DEFAULT_THEME = "textual-dark"
# A ticket waiting longer than this for a supervisor is marked late in the review queue.
DEFAULT_REVIEW_LATE_MINUTES = 30
# setting -> environment variable that overrides the config file
ENVIRONMENT = {
    "database": "DESKAPP_DATABASE_URL",
    "database_password_file": "DESKAPP_DATABASE_PASSWORD_FILE",
    "pool_size": "DESKAPP_POOL_SIZE",
    "time_zone": "DESKAPP_TIME_ZONE",
    "language": "DESKAPP_LANGUAGE",
    "export_dir": "DESKAPP_EXPORT_DIR",
    "theme": "DESKAPP_THEME",
    "listen_database": "DESKAPP_LISTEN_URL",
    "review_late_minutes": "DESKAPP_REVIEW_LATE_MINUTES",
}
# setting -> command-line flag (argparse dest) that overrides everything else
FLAGS = {"database": "db", "pool_size": "pool_size", "time_zone": "time_zone", "language": "language"}
KNOWN = (*ENVIRONMENT, "keys", "templates", "handoff", "smtp")


class ConfigError(Exception):
    """A setting that cannot be used: the command line exits 2 with this one line. (Not a
    tickets.errors.DeskError: the console imports this module before the core loads.)"""


# --- per-user paths (platformdirs: XDG on Linux, the platform's own places elsewhere) --------


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def state_dir() -> Path:
    return platformdirs.user_state_path(APP_NAME)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME)


def config_file(environ: Mapping[str, str] | None = None) -> Path:
    found = (os.environ if environ is None else environ).get(CONFIG_ENV)
    return Path(found or config_dir() / "config.toml").expanduser()


def state_file() -> Path:
    """What the console remembers between runs (the chosen theme): JSON, written by the app."""
    return state_dir() / "state.json"


# --- settings --------------------------------------------------------------------------------


# No dataclasses here (a named tuple, a plain class): the command line loads none, whose
# generated methods cost every command's start more CPU than reading the settings.
class Setting(NamedTuple):
    """One setting's value and where it came from."""

    name: str
    value: Any
    source: str  # "default", "config file", "state file", "environment (NAME)", "--flag"


class Settings:
    """Every setting with its source. `database` is a URL without a password."""

    def __init__(self, items: dict[str, Setting] | None = None, config_path: Path | None = None,
                 config_read: bool = False) -> None:
        self.items = {} if items is None else items
        self.config_path = config_path
        self.config_read = config_read  # the file at config_path exists and was read (the default may be absent)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.items, self.config_path, self.config_read) == (
            other.items, other.config_path, other.config_read)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass was

    def __repr__(self) -> str:
        return f"Settings(items={self.items!r}, config_path={self.config_path!r}, config_read={self.config_read!r})"

    def __getitem__(self, name: str) -> Any:
        return self.items[name].value

    @property
    def database(self) -> str:
        from tickets.store.lite import default_database_url_for

        return self["database"] or default_database_url_for(data_dir())

    @property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self["time_zone"])

    @property
    def language(self) -> str:
        """The language people read (tickets.i18n.LANGUAGES): the setting, else the terminal's."""
        from tickets.i18n import language_from_locale

        return self["language"] or language_from_locale()

    @property
    def export_dir(self) -> Path:
        if self["export_dir"]:
            return Path(self["export_dir"]).expanduser()
        from deskapp.paths import default_export_dir

        return default_export_dir()  # never the current directory

    def database_password(self) -> str | None:
        """From the secrets file if one is set; else None and libpq reads its password file."""
        path = self["database_password_file"]
        return read_secret(Path(path).expanduser()) if path else None

    def open_store(self, clock=None, *, create: bool = False, read_only: bool = False):
        """The store; a SQLite file must already exist unless `create` (db upgrade, restore).
        `read_only`: opened so that nothing can be written (`audit verify` of a WORM copy)."""
        from sqlalchemy.engine import make_url

        from tickets.store.database import Store, make_engine, normalise_url, require_database

        if not create:
            require_database(self.database)
        password = self.database_password()
        engine = make_engine(self.database, pool_size=self["pool_size"], password=password, create=create,
                             read_only=read_only)
        store = Store(engine, clock, self.zone)
        if self["listen_database"]:
            listen = make_url(normalise_url(self["listen_database"]))
            store.listen_url = (listen.set(password=password) if password else listen).render_as_string(
                hide_password=False
            )
        return store


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def _defaults() -> dict[str, Any]:
    return {
        "database": None,
        "database_password_file": None,
        "pool_size": DEFAULT_POOL_SIZE,
        "time_zone": "UTC",
        "language": None,
        "export_dir": None,
        "theme": DEFAULT_THEME,
        "listen_database": None,
        "review_late_minutes": DEFAULT_REVIEW_LATE_MINUTES,
        "keys": {},
        "templates": {},
        "handoff": {},  # deskapp relay's destinations (tickets.handoff.settings, checked by the relay)
        "smtp": {},  # the mail server of e-mail destinations (tickets.handoff.mail, checked by the relay)
    }


def load_settings(
    flags: dict[str, Any] | None = None, *, environ: dict[str, str] | None = None, config_path: Path | None = None
) -> Settings:
    """Defaults < config file < remembered state (theme) < environment < flags; all checked."""
    environ = dict(os.environ if environ is None else environ)
    path = config_path or config_file(environ)
    named = config_path is not None or bool(environ.get(CONFIG_ENV))
    items = {name: Setting(name, value, "default") for name, value in _defaults().items()}
    document = _read_config(path, named=named)
    for name, value in (document or {}).items():
        items[name] = Setting(name, value, f"config file ({path})")
    remembered = read_state().get("theme")
    if isinstance(remembered, str) and remembered:
        items["theme"] = Setting("theme", remembered, f"chosen in the console ({state_file()})")
    for name, variable in ENVIRONMENT.items():
        if environ.get(variable):
            items[name] = Setting(name, environ[variable], f"environment ({variable})")
    for name, dest in FLAGS.items():
        value = (flags or {}).get(dest)
        if value is not None:
            items[name] = Setting(name, value, f"--{dest.replace('_', '-')}")
    for name, item in items.items():
        if item.source != "default":  # the defaults are good ones (and checking them costs imports)
            items[name] = Setting(name, _check(name, item), item.source)
    return Settings(items, path, config_read=document is not None)


def _read_config(path: Path, *, named: bool = False) -> dict[str, Any] | None:
    """The config file's settings (None: the default file is absent); the default file may be
    absent, but one named by --config or $DESKAPP_CONFIG must exist (a typo would otherwise run
    on the defaults, silently)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        if named:
            raise ConfigError(_("config: the settings file {path} does not exist").format(path=path)) from None
        return None
    except OSError as error:
        raise ConfigError(_("config: cannot read {path}: {reason}").format(path=path, reason=error.strerror)) from None
    import tomllib

    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(_("config: {path} is not valid TOML: {error}").format(path=path, error=error)) from None
    unknown = sorted(set(document) - set(KNOWN))
    if unknown:
        raise ConfigError(_("config: {path}: unknown setting {name} (known: {known})").format(
            path=path, name=repr(unknown[0]), known=", ".join(KNOWN)))
    return document


_SOURCE = r"^(config file|environment|chosen in the console) \((.*)\)$"  # compiled on first use (re's cache)


def where_from(source: str) -> str:
    """"(from <source>)" in the language people read; the source itself is kept in English for
    `deskapp config` and the tests that read it, its words translated here, its path or name kept."""
    found = re.match(_SOURCE, source)
    if source == "default":
        shown = _("default")
    elif found and found.group(1) == "config file":
        shown = _("config file ({path})").format(path=found.group(2))
    elif found and found.group(1) == "environment":
        shown = _("environment ({variable})").format(variable=found.group(2))
    elif found:
        shown = _("chosen in the console ({path})").format(path=found.group(2))
    else:
        shown = source  # a flag, named as it is typed
    return _("(from {source})").format(source=shown)


def language_despite_error(flags: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None,
                           config_path: Path | None = None) -> str:
    """The language to report a configuration error in: the first usable of --language,
    DESKAPP_LANGUAGE and the config file's `language` (read as leniently as it can be), else
    the terminal's, so a bad setting elsewhere does not turn the one line to English."""
    from tickets.i18n import language_from_locale, normalise_language

    environ = os.environ if environ is None else environ
    candidates: list[Any] = [(flags or {}).get(FLAGS["language"]), environ.get(ENVIRONMENT["language"])]
    import tomllib

    try:
        document = tomllib.loads((config_path or config_file(environ)).read_text(encoding="utf-8"))
        candidates.append(document.get("language"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        pass
    for value in candidates:
        if isinstance(value, str) and value:
            found = normalise_language(value)
            if found is not None:
                return found
    return language_from_locale(environ)


def _check(name: str, item: Setting) -> Any:
    """The value converted and checked; a ConfigError naming the setting and its source if not."""
    value = item.value
    if value is None:
        return None
    where = where_from(item.source)
    if name == "pool_size":
        try:
            number = int(value)
        except (TypeError, ValueError):
            number = 0
        if isinstance(value, bool) or not 1 <= number <= 100:
            raise ConfigError(_("pool_size: {value} is not a whole number from 1 to 100 {where}").format(
                value=repr(value), where=where))
        return number
    if name == "review_late_minutes":
        try:
            minutes = int(value)
        except (TypeError, ValueError):
            minutes = 0
        if isinstance(value, bool) or not 1 <= minutes <= 7 * 24 * 60:
            raise ConfigError(_("review_late_minutes: {value} is not a whole number of minutes from 1 to "
                                "10080 (a week) {where}").format(value=repr(value), where=where))
        return minutes
    if name == "keys":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise ConfigError(_('keys: a table of binding id = "keys", e.g. end_call = "ctrl+e" {where}').format(
                where=where))
        return dict(value)
    if name in ("handoff", "smtp"):
        if not isinstance(value, dict):
            raise ConfigError(_("{name}: must be a table ([{name}]) {where}").format(name=name, where=where))
        return dict(value)
    if name == "templates":
        from deskapp.templates import TemplateError, check_templates

        try:
            return check_templates(value, where)
        except TemplateError as error:
            raise ConfigError(str(error)) from None
    if not isinstance(value, str):
        raise ConfigError(_("{name}: must be text {where}").format(name=name, where=where))
    if name == "time_zone":
        return check_time_zone(value, where)
    if name == "language":
        return check_language(value, where)
    if name == "database":
        return check_database_url(value, from_command_line=item.source.startswith("--"), where=where)
    if name == "listen_database":
        # LISTEN needs a session of its own: behind PgBouncer in transaction mode this URL
        # reaches PostgreSQL directly (the password, if any, from database_password_file).
        value = check_database_url(value, where=where, setting=name)
        if urlsplit(value).scheme.split("+", 1)[0] == "sqlite":
            raise ConfigError(_("listen_database: {value} is not a postgresql:// URL; SQLite needs none "
                                "{where}").format(value=repr(value), where=where))
        return value
    return value


def check_time_zone(value: str, where: str = "") -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            _("time_zone: {value} is not a time zone; use an IANA name like Europe/London {where}").format(
                value=repr(value), where=where).rstrip()
        ) from None
    return value


def check_language(value: str, where: str = "") -> str:
    from tickets.i18n import LANGUAGES, normalise_language

    found = normalise_language(value)
    if found is None:
        raise ConfigError(
            _("language: {value} has no catalog; use one of {languages} {where}").format(
                value=repr(value), languages=", ".join(LANGUAGES), where=where).rstrip()
        )
    return found


def check_database_url(url: str, *, from_command_line: bool = False, where: str = "", setting: str = "database") -> str:
    """A sqlite or postgresql URL this deskapp can open; a password only where no one else sees it."""
    scheme = urlsplit(url).scheme if "://" in url else ""
    backend = scheme.split("+", 1)[0]
    if not backend:
        raise ConfigError(
            _("{setting}: {url} is not a URL; use sqlite:////path/deskapp.db"
              " or postgresql://user@host/deskapp {where}").format(setting=setting, url=repr(url), where=where).rstrip()
        )
    if backend not in ("sqlite", "postgresql", "postgres"):
        raise ConfigError(
            _("{setting}: {backend} databases are not supported; use sqlite or postgresql {where}").format(
                setting=setting, backend=repr(backend), where=where).rstrip()
        )
    if backend != "sqlite":
        if from_command_line and urlsplit(url).password is not None:
            raise ConfigError(
                _("--db: a password on the command line is visible to every user in the process list; "
                  "put it in ~/.pgpass (libpq's password file, or $PGPASSFILE) or in a file named by "
                  "database_password_file in {config_file}").format(config_file=config_file())
            )
        if importlib.util.find_spec("psycopg") is None:
            raise ConfigError(
                _("{setting}: PostgreSQL needs psycopg, which is not installed: "
                  "pip install 'deskapp[postgres]'").format(setting=setting)
            )
    return url


def read_secret(path: Path) -> str:
    """The first line of the database password's file, which only its owner may read."""
    try:
        return read_secret_text(path, "database_password_file")
    except ValueError as error:
        raise ConfigError(str(error)) from None


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


# --- remembered state ------------------------------------------------------------------------


def read_state() -> dict[str, Any]:
    try:
        state = json.loads(state_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def remember(**values: Any) -> None:
    """Merge values into the state file, replacing it atomically."""
    path = state_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    state = read_state() | values
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temp, path)


# --- from the command line -------------------------------------------------------------------


def settings_from_args(args) -> Settings:
    """Settings with the flags of an argparse namespace applied (cached on the namespace)."""
    cached = getattr(args, "_settings", None)
    if cached is None:
        flags = {dest: getattr(args, dest, None) for dest in FLAGS.values()}
        config = getattr(args, "config", None)
        cached = load_settings(flags, config_path=Path(config).expanduser() if config else None)
        args._settings = cached
    return cached


def store_from_args(args, clock=None, *, create: bool = False, read_only: bool = False):
    return settings_from_args(args).open_store(clock, create=create, read_only=read_only)
