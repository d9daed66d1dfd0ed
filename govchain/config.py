"""The one configuration file (TOML) of a department's server: CLI, data node, indexer, portal.

Where it is: ``--config FILE``, else ``$GOVCHAIN_CONFIG``, else ``<GOVCHAIN_HOME>/config.toml``
(absent is fine: every value has a default). What wins, from strongest: a command's flag, the
environment (``GOVCHAIN_<SECTION>_<KEY>``, e.g. ``GOVCHAIN_NODE_PORT=8701``; the older
``GOVCHAIN_RPC``, ``GOVCHAIN_CHAIN_ID``, ``GOVCHAIN_KEY``, ``GOVCHAIN_TZ`` too), the file, the
built-in default. Every value is validated (pydantic); each mistake is one line naming the file,
the section and the key: ``config.toml: [node] port: must be 1–65535``.

Imported only by the commands that read it (pydantic is not loaded for ``govchain --help``).
"""  # noqa: RUF002 (the en dash of a range)

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from govchain.errors import EXIT_BAD_INPUT, GovchainError

ENV_CONFIG = "GOVCHAIN_CONFIG"
FILE_NAME = "config.toml"


class ConfigError(GovchainError, ValueError):
    """The config file (or an override) holds mistakes: ``lines``, one per mistake (the CLI
    prints them on its one error line, separated by "; ")."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        super().__init__("; ".join(lines))


def _range(low: float, high: float | None = None) -> Any:
    def check(value: Any) -> Any:
        if value < low or (high is not None and value > high):
            raise ValueError(f"must be {low}–{high}" if high is not None else f"must be ≥ {low}")  # noqa: RUF001
        return value

    return AfterValidator(check)


def _url(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https://")
    return value


def _file(value: str | None) -> str | None:
    if value is not None and not Path(value).expanduser().is_file():
        raise ValueError(f"no such file: {value}")
    return value


Port = Annotated[int, _range(1, 65535)]
Url = Annotated[str | None, AfterValidator(_url)]
ExistingFile = Annotated[str | None, AfterValidator(_file)]
LogLevel = Literal["critical", "error", "warning", "info", "debug"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CliSection(_Section):
    """Defaults of every command (the root options)."""

    rpc: Url = None
    chain_id: Annotated[int | None, _range(1)] = None
    key: str | None = None
    tz: str | None = None
    #: the CA certificate (PEM) that data nodes' TLS certificates are verified against
    ca_file: ExistingFile = None
    #: mutual TLS: the certificate (PEM) and key this client presents to data nodes
    tls_client_cert: ExistingFile = None
    tls_client_key: ExistingFile = None


class NodeSection(_Section):
    """``govchain node serve``."""

    department: str | None = None
    db: str | None = None
    host: str = "127.0.0.1"
    port: Port = 8700
    endpoint: Url = None
    #: JSON-lines access log: a file path, or "-" for standard output; none if unset
    access_log: str | None = None
    log_level: LogLevel = "warning"
    tls_cert: ExistingFile = None
    tls_key: ExistingFile = None
    #: mutual TLS: only clients with a certificate signed by this CA (PEM) connect
    tls_client_ca: ExistingFile = None
    #: a file whose first line is the bearer token ``GET /metrics`` requires (unset: open)
    metrics_token_file: ExistingFile = None
    max_body_bytes: Annotated[int, _range(1024, 16 * 1024 * 1024)] = 16 * 1024
    request_timeout: Annotated[float, _range(0.1, 600)] = 10.0
    max_validity: Annotated[int, _range(60, 7 * 86400)] = 3600
    #: seconds SIGTERM waits for requests in flight before closing them
    shutdown_timeout: Annotated[float, _range(0, 3600)] = 30.0


class IndexerSection(_Section):
    """``govchain index``."""

    db: str | None = None
    confirmations: Annotated[int, _range(0)] = 0
    interval: Annotated[float, _range(0.05)] = 2.0


class PortalSection(_Section):
    """``govchain portal``."""

    host: str = "127.0.0.1"
    port: Annotated[int, _range(0, 65535)] = 8600
    index: str | None = None
    session_minutes: Annotated[float, _range(0.1, 1440)] = 15.0
    stores: list[str] = []


class Config(_Section):
    cli: CliSection = CliSection()
    node: NodeSection = NodeSection()
    indexer: IndexerSection = IndexerSection()
    portal: PortalSection = PortalSection()
    #: the file it was read from (None: no file, defaults and environment only)
    source: Path | None = None

    def command_defaults(self) -> dict[str, Any]:
        """click's ``default_map`` for the commands the file configures (flags still win)."""
        node = self.node.model_dump(exclude_none=True)
        node["dept"] = node.pop("department", None)
        portal = self.portal.model_dump(exclude_none=True)
        portal["index_db"] = portal.pop("index", None)
        return {
            "node": {"serve": {k: v for k, v in node.items() if v is not None}},
            "index": {
                "sync": {
                    "confirmations": self.indexer.confirmations,
                    "interval": self.indexer.interval,
                }
            },
            "portal": {k: v for k, v in portal.items() if v is not None},
        }


SECTIONS: dict[str, type[_Section]] = {
    "cli": CliSection,
    "node": NodeSection,
    "indexer": IndexerSection,
    "portal": PortalSection,
}
#: older environment variables that keep their meaning
LEGACY_ENV = {
    "GOVCHAIN_RPC": ("cli", "rpc"),
    "GOVCHAIN_CHAIN_ID": ("cli", "chain_id"),
    "GOVCHAIN_KEY": ("cli", "key"),
    "GOVCHAIN_TZ": ("cli", "tz"),
}

_MESSAGES = {
    "int_parsing": "must be an integer",
    "int_type": "must be an integer",
    "int_from_float": "must be an integer",
    "float_parsing": "must be a number",
    "float_type": "must be a number",
    "string_type": "must be a text in quotes",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "list_type": "must be a list",
    "extra_forbidden": "unknown key",
    "model_type": "must be a table ([section])",
    "model_attributes_type": "must be a table ([section])",
}


def config_path(path: str | Path | None = None, home: str | Path | None = None) -> Path:
    """The config file in use: ``path``, else ``$GOVCHAIN_CONFIG``, else under the home."""
    if path is not None:
        return Path(path).expanduser()
    env = os.environ.get(ENV_CONFIG)
    if env:
        return Path(env).expanduser()
    from govchain.settings import state_home

    return state_home(home) / FILE_NAME


def load(
    path: str | Path | None = None,
    home: str | Path | None = None,
    *,
    env: Mapping[str, str] | None = None,
    required: bool | None = None,
) -> Config:
    """The validated configuration: the file (if any) with the environment on top.

    ``required``: a missing file is an error (default: when the path was named explicitly).
    Raises :class:`ConfigError` with one line per mistake.
    """
    env = os.environ if env is None else env
    explicit = path is not None or bool(env.get(ENV_CONFIG))
    file = config_path(path, home)
    label = file.name if not explicit else str(file)
    data: dict[str, Any] = {}
    source: Path | None = None
    if file.is_file():
        try:
            data = tomllib.loads(file.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{label}: not TOML ({exc})") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{label}: cannot read ({exc})") from None
        source = file
    elif required if required is not None else explicit:
        raise ConfigError(f"{label}: no such file")
    if "source" in data:  # a field of Config, not a section of the file
        raise ConfigError(f"{label}: unknown section [source]")
    origin: dict[tuple[str, str], str] = {}
    for name, (section, key) in LEGACY_ENV.items():
        if env.get(name):
            _override(data, section, key, env[name], origin, name)
    for name, value in env.items():
        if not name.startswith("GOVCHAIN_") or name in LEGACY_ENV or not value:
            continue
        section, _, key = name[len("GOVCHAIN_") :].lower().partition("_")
        model = SECTIONS.get(section)
        if model is not None and key in model.model_fields:
            _override(data, section, key, value, origin, name)
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(*_lines(exc, label, origin)) from None
    return config.model_copy(update={"source": source})


def _override(
    data: dict[str, Any],
    section: str,
    key: str,
    value: str,
    origin: dict[tuple[str, str], str],
    name: str,
) -> None:
    table = data.setdefault(section, {})
    if not isinstance(table, dict):
        return  # the file's own mistake is reported
    field = SECTIONS[section].model_fields[key]
    table[key] = [v for v in value.split(",") if v] if field.annotation == list[str] else value
    origin[(section, key)] = name


def _lines(exc: ValidationError, label: str, origin: Mapping[tuple[str, str], str]) -> list[str]:
    lines = []
    for error in exc.errors():
        loc = [str(part) for part in error["loc"]]
        if loc and loc[0] == "source":
            loc = loc[1:]
        if error["type"] == "extra_forbidden" and len(loc) == 1:
            lines.append(f"{label}: unknown section [{loc[0]}]")
            continue
        known = _MESSAGES.get(error["type"])
        message = known if known is not None else str(error["msg"]).removeprefix("Value error, ")
        if known is None and error["type"] == "literal_error":
            message = message.replace("Input should be", "must be")
        where = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else f"[{loc[0]}]"
        source = origin.get((loc[0], loc[1])) if len(loc) > 1 else None
        prefix = f"{source} (overrides {label})" if source else label
        lines.append(f"{prefix}: {where}: {message}")
    return lines
