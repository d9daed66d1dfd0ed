"""``govchain node``: a department's data node — serve it, see its status, publish records into it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import click
import httpx

from govchain import validate
from govchain.cli import chainviews as cv
from govchain.cli.context import CliContext, pass_cli
from govchain.errors import InvalidInput, NotFound
from govchain.files import parse_json
from govchain.node.anchors import ChainAnchorSink
from govchain.node.client import tls_verify
from govchain.node.publisher import AnchorWorker, Publisher, PublishItem
from govchain.node.store import BATCH, SINGLE, Store


@click.group("node")
def group() -> None:
    """A department's data node: serve records under grants, publish and anchor them."""


@group.command("serve")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True, help="the department served")
@click.option("--db", "db", required=True, metavar="URL|FILE", help="the department's store")
@click.option("--port", type=click.IntRange(1, 65535), required=True)
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option(
    "--register",
    is_flag=True,
    help="set this node's URL as the department's endpoint on chain (needs an ADMIN --key)",
)
@click.option("--endpoint", metavar="URL", help="the URL to register [default http(s)://HOST:PORT]")
@click.option(
    "--access-log",
    metavar="FILE|-",
    help="append one JSON line per request to FILE (- for standard output)",
)
@click.option(
    "--log-level",
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
    default="warning",
    show_default=True,
    help="the node's own messages on stderr",
)
@click.option(
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="serve HTTPS: certificate (PEM)",
)
@click.option(
    "--tls-key", type=click.Path(exists=True, dir_okay=False), help="serve HTTPS: its private key"
)
@click.option(
    "--tls-client-ca",
    type=click.Path(exists=True, dir_okay=False),
    help="mutual TLS: accept only clients with a certificate signed by this CA (PEM)",
)
@click.option(
    "--metrics-token-file",
    type=click.Path(exists=True, dir_okay=False),
    help="GET /metrics requires the bearer token on this file's first line (else 401)",
)
@click.option(
    "--shutdown-timeout",
    type=click.FloatRange(0, 3600),
    default=30.0,
    show_default=True,
    help="seconds SIGTERM waits for requests in flight",
)
@pass_cli
def serve(
    obj: CliContext,
    dept: bytes,
    db: str,
    port: int,
    host: str,
    register: bool,
    endpoint: str | None,
    access_log: str | None,
    log_level: str,
    tls_cert: str | None,
    tls_key: str | None,
    tls_client_ca: str | None,
    metrics_token_file: str | None,
    shutdown_timeout: float,
) -> None:
    """Serve the department's store over HTTP(S) until SIGINT or SIGTERM.

    The node releases a record only to a request signed by a member of a grantee department,
    under a live grant, with its access recorded on chain; the answer is encrypted to the
    requester. The --key, if given, must be a member of the department; with --register it
    must be an ADMIN, who sets the endpoint on chain so that other departments find the node.
    Defaults come from the [node] section of the config file. The store's schema is upgraded
    on start. On SIGTERM, requests in flight are answered before the node exits. On SIGHUP it
    reads the config file again (log level, access log reopened, TLS certificate and key,
    metrics token; flags still win) and keeps the running values if the file has a mistake.
    GET /metrics is Prometheus text, GET /openapi.json the API. With --tls-client-ca every
    client must present a certificate (mutual TLS); signatures still decide every request.
    """
    from govchain import settings
    from govchain.node.migrate import StoreTooNew
    from govchain.node.server import DataNode, NodeConfig  # FastAPI: only the serving command
    from govchain.node.service import ReloadError, ServeOptions, make_server

    if bool(tls_cert) != bool(tls_key):
        raise click.UsageError("--tls-cert and --tls-key go together")
    if tls_client_ca and not tls_cert:
        raise click.UsageError("--tls-client-ca (mutual TLS) needs --tls-cert and --tls-key")
    connection = obj.connection()
    view = cv.department(obj, dept)
    if not view.active:
        raise click.ClickException(f"department {cv.code_text(dept)} is {view.as_dict()['status']}")
    wildcard = host in ("0.0.0.0", "::")  # noqa: S104 (a comparison, not a bind)
    scheme = "https" if tls_cert else "http"
    url = endpoint or f"{scheme}://{'127.0.0.1' if wildcard else host}:{port}"
    if not url.startswith(("http://", "https://")):
        raise InvalidInput("endpoint", url, "expected http(s)://host:port")
    if obj.key or register:
        cv.require_member(
            obj, dept, cv.ROLE_ADMIN if register else None, "--register" if register else ""
        )
    _check_port(host, port)
    try:
        store = Store(cv.store_url(db))
    except StoreTooNew as exc:
        raise click.ClickException(str(exc)) from None
    config = settings.active_config()
    limits: dict[str, Any] = {}
    if config is not None:
        limits = {
            "max_body_bytes": config.node.max_body_bytes,
            "request_timeout": config.node.request_timeout,
            "max_validity": config.node.max_validity,
        }
    node = DataNode(NodeConfig(dept, **limits), store, cv.reader(obj))
    options = ServeOptions(
        host=host,
        port=port,
        log_level=log_level,
        access_log=access_log,
        tls_cert=tls_cert,
        tls_key=tls_key,
        tls_client_ca=tls_client_ca,
        metrics_token_file=metrics_token_file,
        shutdown_timeout=shutdown_timeout,
    )
    try:
        server = make_server(node, options, _reloader(click.get_current_context(), obj, options))
    except ReloadError as exc:
        store.dispose()
        raise click.ClickException(str(exc)) from None
    except (OSError, ValueError) as exc:  # ssl.SSLError is an OSError
        store.dispose()
        raise click.ClickException(f"cannot serve TLS with {tls_cert}: {exc}") from None
    registered = None
    if register and view.endpoint != url:
        registry = connection.contract("DepartmentRegistry")
        receipt = obj.sender().transact(registry.functions.setEndpoint(url))
        registered = receipt["transactionHash"].to_0x_hex()
    info = {
        "department": cv.code_text(dept),
        "url": url,
        "listen": f"{host}:{port}",
        "store": store.url.split("@")[-1],
        "registered_tx": registered,
        "endpoint_on_chain": url if register else view.endpoint,
        "access_log": access_log,
        "tls": bool(tls_cert),
        "mutual_tls": bool(tls_client_ca),
    }
    obj.emit(
        {"event": "serving", **info},
        f"serving {info['department']} on {url} (store {info['store']})"
        + (f"; endpoint registered in {registered}" if registered else "")
        + "; stop with Ctrl-C",
    )
    try:
        server.run()
    finally:
        store.dispose()
    if not server.started:
        raise click.ClickException(f"the node could not listen on {host}:{port}")
    obj.emit(
        {"event": "stopped", "department": info["department"], "signal": server.stopped_by},
        f"stopped ({server.stopped_by or 'exit'})",
    )


def _reloader(ctx: click.Context, obj: CliContext, started: Any) -> Any:
    """How SIGHUP reads the options again: the config file (and the environment) anew, with
    the flags given on the command line still winning."""
    from dataclasses import replace

    from govchain import config as config_file
    from govchain.node.service import CONFIGURED

    path = ctx.find_root().params.get("config_file")
    flags = (click.core.ParameterSource.COMMANDLINE, click.core.ParameterSource.ENVIRONMENT)
    at_start = config_file.load(path, obj.home).node
    given = {
        name
        for name in CONFIGURED
        if ctx.get_parameter_source(name) in flags
        # invoked by another command (dept join --serve): what it passed, not the file's
        or (
            ctx.get_parameter_source(name) is None
            and getattr(started, name) != getattr(at_start, name)
        )
    }

    def reload() -> Any:
        section = config_file.load(path, obj.home).node
        changes = {n: getattr(section, n) for n in CONFIGURED if n not in given}
        return replace(started, **changes)

    return reload


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _health(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url.rstrip("/") + "/v1/health", timeout=5, verify=tls_verify())
        body = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return {"reachable": False, "error": f"{type(exc).__name__}: {exc}"[:200]}
    if response.status_code != 200 or not isinstance(body, dict):
        return {"reachable": False, "error": f"HTTP {response.status_code}"}
    department = bytes.fromhex(str(body.get("department", "0x"))[2:] or "")
    return {
        "reachable": True,
        "department": cv.code_text(department) if department else None,
        "chain": body.get("chain"),
        "chain_id": body.get("chainId"),
    }


@group.command("status")
@click.argument("target", required=False, metavar="[CODE|URL]")
@pass_cli
def status(obj: CliContext, target: str | None) -> None:
    """Health of one data node (a department's registered endpoint, or a URL), or of every
    department's node. Exit 1 if a node asked for by name or URL does not answer."""
    if target and target.startswith(("http://", "https://")):
        rows = [{"department": None, "endpoint": target, **_health(target)}]
    else:
        views = (
            [cv.department(obj, cv.code32(target, "department code"))]
            if target
            else cv.departments(obj)
        )
        rows = []
        for view in views:
            row: dict[str, Any] = {
                "department": cv.code_text(view.code),
                "status": view.as_dict()["status"],
                "endpoint": view.endpoint or None,
            }
            if view.endpoint:
                health = _health(view.endpoint)
                if health.get("reachable") and health.get("department") != row["department"]:
                    health["error"] = f"the node serves {health.get('department')}"
                row.update(health)
            else:
                row.update({"reachable": False, "error": "no endpoint registered"})
            rows.append(row)

    def text() -> str:
        lines = []
        for r in rows:
            state = (
                f"up (chain {r.get('chain')})" if r.get("reachable") else f"down: {r.get('error')}"
            )
            lines.append(f"{r['department'] or '-':<10} {r['endpoint'] or '-':<30} {state}")
        return "\n".join(lines)

    obj.emit(rows, text)
    if target and not all(r.get("reachable") and not r.get("error") for r in rows):
        click.get_current_context().exit(1)


def _load_records(file: Path) -> list[dict[str, Any]]:
    """Records from JSON (a list) or JSON Lines (one object a line)."""
    try:
        text = file.read_text()
    except OSError as exc:
        raise InvalidInput("records file", str(file), exc.strerror or str(exc)) from None
    try:
        data = parse_json(text, "records file", str(file), expect=None, fractions=True)
        items = data if isinstance(data, list) else [data]
    except InvalidInput:
        try:
            lines = [line for line in text.splitlines() if line.strip()]
            items = [
                parse_json(line, "records file", str(file), expect=None, fractions=True)
                for line in lines
            ]
        except InvalidInput as exc:
            reason = exc.reason.replace("not JSON", "not JSON or JSON Lines", 1)
            raise InvalidInput("records file", str(file), reason) from None
    out = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "content" not in item:
            raise InvalidInput(
                f"record {n} of", str(file), "expected an object with category, record, content"
            )
        try:
            category = cv.code32(str(item["category"]), "category code")
            record_id = cv.code32(str(item["record"]), "record id")
        except KeyError as missing:
            raise InvalidInput(f"record {n} of", str(file), f"{missing} is missing") from None
        subject = item.get("subject")
        content = item["content"]
        out.append(
            {
                "category": category,
                "record_id": record_id,
                "subject": validate.address(subject) if subject else None,
                "content": content.encode() if isinstance(content, str) else content,
                "media_type": item.get("media_type"),
            }
        )
    return out


def _publisher_checks(obj: CliContext, dept: bytes, categories: set[bytes]) -> None:
    """The key may anchor (STAFF or ADMIN of dept) and every category is the department's."""
    who = cv.require_member(obj, dept, why="publishing anchors the records from this key")
    if not who.roles & (cv.ROLE_STAFF | cv.ROLE_ADMIN):
        raise click.ClickException(
            f"{who.address} is not a STAFF or ADMIN of {cv.code_text(dept)}: it cannot anchor"
        )
    catalog = obj.connection().contract("AnchorRegistry")
    for category in sorted(categories):
        owner, sharing, _ = catalog.functions.categoryInfo(category).call()
        if sharing == 0:
            raise NotFound("category", cv.code_text(category), "not in the data catalog")
        if bytes(owner) != dept:
            raise click.ClickException(
                f"category {cv.code_text(category)} belongs to {cv.code_text(bytes(owner))}, "
                f"not {cv.code_text(dept)}"
            )


def _anchor(obj: CliContext, store: Store) -> dict[str, int]:
    connection = obj.connection()
    sink = ChainAnchorSink(connection.w3, cv.addresses(obj), obj.account(), obj.decoder())
    worker = AnchorWorker(store, sink)
    anchored = worker.drain()
    return {"anchored": anchored, "pending": worker.pending()}


@group.command("publish")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@click.option("--db", "db", required=True, metavar="URL|FILE", help="the department's store")
@click.option("--batch", "batch", is_flag=True, help="anchor as Merkle batches (one tx per batch)")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
def publish(obj: CliContext, dept: bytes, db: str, batch: bool, file: Path) -> None:
    """Write the records of FILE into the store and anchor them on chain.

    FILE is JSON (a list) or JSON Lines of {"category", "record", "subject", "content"}.
    Each record and its outbox row are written in one transaction, then anchored exactly once
    (a crash at any point is finished by 'govchain node anchor'). A record whose content,
    subject and media type equal its latest stored version is not published again, so the
    same command re-run after a kill resumes where it stopped. --batch applies to first
    versions; later versions are anchored one by one. Needs a STAFF/ADMIN --key.
    """
    records = _load_records(file)
    cv.department(obj, dept)
    _publisher_checks(obj, dept, {r["category"] for r in records})
    store = Store(cv.store_url(db))
    try:
        publisher = Publisher(store, dept)
        published = publisher.publish_many(
            PublishItem(
                r["category"],
                r["record_id"],
                r["content"],
                subject=r["subject"],
                mode=BATCH if batch else SINGLE,
                media_type=r["media_type"],
            )
            for r in records
        )
        result = _anchor(obj, store)
    finally:
        store.dispose()
    data = {
        "department": cv.code_text(dept),
        "published": [
            {
                "category": cv.code_text(p.category),
                "record": cv.code_text(p.record_id),
                "version": p.version,
                "record_hash": cv.hex32(p.content_hash),
                "new": p.created,
            }
            for p in published
        ],
        **result,
    }
    obj.emit(
        data,
        f"published {sum(p.created for p in published)} new records of {data['department']} "
        f"({sum(not p.created for p in published)} unchanged); "
        f"anchored {result['anchored']}, pending {result['pending']}",
    )


@group.command("anchor")
@click.option("--dept", "dept", type=cv.DEPARTMENT, required=True)
@click.option("--db", "db", required=True, metavar="URL|FILE", help="the department's store")
@pass_cli
def anchor(obj: CliContext, dept: bytes, db: str) -> None:
    """Anchor what waits in the store's outbox (after a crash, or records written by a system)."""
    cv.department(obj, dept)
    _publisher_checks(obj, dept, set())
    store = Store(cv.existing_store(db))
    try:
        result = _anchor(obj, store)
    finally:
        store.dispose()
    obj.emit(
        {"department": cv.code_text(dept), **result},
        f"anchored {result['anchored']}, pending {result['pending']}",
    )
