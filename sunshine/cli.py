# Over 400 lines by design: one handler per subcommand and the parser that lists their options; each
# handler only parses and calls into the packages.
"""The `sunshine` command line."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from contextlib import ExitStack
from pathlib import Path

from ledger.domain.errors import LedgerError
from ledger.log.note import Verifier
from ledger.log.policy import Policy
from ledger.verify import Report, VerificationFailed
from sunshine.documents_cli import add_documents_commands
from sunshine.settings import Settings
from sunshine.witness_cli import add_witness_commands, witness_options

DATA_DIR_HELP = (
    "the directory of every key file: the log key (log-key.pem, unless $SUNSHINE_LOG_KEY "
    "names another), the sealed-value key (sealed-key, unless --sealed-key or "
    "$SUNSHINE_SEALED_KEY names another), the lookup key (lookup-key), the bid box's key "
    "(bid-box-key.pem) and the session key, each made on first start; and of the SQLite "
    "ledger when --db is not given (default: $SUNSHINE_DATA_DIR, else data)"
)


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "data_dir", None):
        settings.data_dir = Path(args.data_dir)
    if getattr(args, "db", None):
        settings.database_url = args.db
    if getattr(args, "read_url", None):
        settings.read_database_url = args.read_url
    if getattr(args, "sealed_key", None):
        settings.sealed_key = Path(args.sealed_key)
    if getattr(args, "holidays", None):
        settings.holidays = Path(args.holidays)
    if getattr(args, "time_limits", None):
        settings.time_limits = Path(args.time_limits)
    if getattr(args, "forwarded_allow_ips", None):
        settings.forwarded_allow_ips = args.forwarded_allow_ips
    if getattr(args, "witnesses", None):
        settings.witnesses = Path(args.witnesses)
    if getattr(args, "witness_policy", None):
        settings.witness_policy = Path(args.witness_policy)
    return settings


def cmd_serve(args: argparse.Namespace) -> int:
    return serve(_settings(args), args.host, args.port, args.workers)


def serve(settings: Settings, host: str, port: int, workers: int = 1) -> int:
    import uvicorn

    settings.check_secret_files()  # a clear refusal now, not a traceback per worker
    # Passed explicitly: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1.
    proxies = settings.forwarded_allow_ips.strip()
    if workers > 1:
        from sunshine.bootstrap import read_operator_files

        read_operator_files(settings)  # refused here, not once per worker with a traceback
        if settings.witnesses:
            from ledger.log.witness_config import load_witnesses

            load_witnesses(settings.witnesses, settings.witness_policy)
        os.environ["SUNSHINE_DATA_DIR"] = str(settings.data_dir)
        if not settings.read_only:  # a read-only server has no primary database
            os.environ["SUNSHINE_DATABASE_URL"] = settings.resolved_database_url()
        if settings.read_database_url:
            os.environ["SUNSHINE_READ_DATABASE_URL"] = settings.read_database_url
        for name, path in (
            ("SEALED_KEY", settings.sealed_key),
            ("WITNESSES", settings.witnesses),
            ("WITNESS_POLICY", settings.witness_policy),
        ):
            if path is not None:
                os.environ[f"SUNSHINE_{name}"] = str(path)
        from sunshine.workers import serve_workers

        # Each worker listens with a socket of its own (sunshine/workers.py: why).
        return serve_workers(workers, host, port, {
            "log_level": "warning", "proxy_headers": bool(proxies),
            "forwarded_allow_ips": proxies,
        })  # fmt: skip
    from sunshine.app import bootstrapped_app

    with bootstrapped_app(settings) as (app, _):
        print(f"serving {_serving(settings)} on http://{host}:{port}", flush=True)
        uvicorn.run(
            app, host=host, port=port, log_level="warning",
            proxy_headers=bool(proxies), forwarded_allow_ips=proxies,
        )  # fmt: skip
    return 0


def _serving(settings: Settings) -> str:
    """What a server serves, as its first line says: the ledger, and the replica it reads."""
    if settings.read_only:
        return f"{settings.read_database_url} (read-only replica: commands refused)"
    if settings.read_database_url:
        return f"{settings.resolved_database_url()}, pages from {settings.read_database_url}"
    return settings.resolved_database_url()


def cmd_init(args: argparse.Namespace) -> int:
    from ledger import signing
    from sunshine.bootstrap import open_ledger

    settings = _settings(args)
    key = signing.read_key(Path(args.bootstrap_key))
    command = signing.new_command(
        "Genesis",
        {
            "organisation": {"code": args.org_code, "name": args.org_name, "region": args.region},
            "administrator": {"code": args.admin_code, "name": args.admin_name},
            "public_key": signing.public_b64(key),
        },
        actor=args.admin_code,
        key=key,
    )
    from ledger.statute_payloads import (
        holiday_file_payload,
        package_calendar_payload,
        packaged_time_limits_payload,
    )

    # The statutes the finance office adopts with the genesis: the packaged time-limit
    # table (with the operator's corrections) and the calendar package's years (with the
    # operator's holiday file for the years it lacks).
    adoptions = [
        ("AdoptTimeLimits", packaged_time_limits_payload(settings.time_limits)),
        ("AdoptCalendar", package_calendar_payload()),
    ]
    if settings.holidays is not None:
        adoptions.append(("AdoptCalendar", holiday_file_payload(settings.holidays)))
    ledger = open_ledger(settings)
    try:
        receipt = ledger.genesis(json.dumps(signing.sign(command, key)).encode())
        for kind, payload in adoptions:
            adopted = signing.new_command(kind, payload, actor=args.admin_code, key=key)
            ledger.submit(json.dumps(signing.sign(adopted, key), ensure_ascii=False).encode())
    finally:
        ledger.close()
    print(json.dumps(receipt.as_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_statutes(args: argparse.Namespace) -> int:
    """Sign and post an adoption of a year's calendar or of the time-limit table."""
    import httpx

    from ledger import signing
    from ledger.domain.calendars import CalendarFileError, TimeLimitFileError
    from ledger.statute_payloads import (
        holiday_file_payload,
        package_calendar_payload,
        packaged_time_limits_payload,
    )

    key = signing.read_key(Path(args.key))
    try:
        if args.statutes == "calendar":
            kind = "AdoptCalendar"
            if args.holidays:
                payload = holiday_file_payload(Path(args.holidays))
            else:
                payload = package_calendar_payload(args.year or None)
                if not payload["years"]:
                    print("sunshine: the calendar package knows none of those years; "
                          "give the State Council's arrangement with --holidays FILE",
                          file=sys.stderr)  # fmt: skip
                    return 2
        else:
            kind = "AdoptTimeLimits"
            path = Path(args.time_limits) if args.time_limits else None
            payload = packaged_time_limits_payload(path)
    except (CalendarFileError, TimeLimitFileError) as problem:
        print(f"sunshine: {problem}", file=sys.stderr)
        return 2
    command = signing.new_command(kind, payload, actor=args.actor, key=key)
    body = signing.sign(command, key)
    response = httpx.post(args.url.rstrip("/") + "/commands", json=body, timeout=600)
    print(json.dumps(response.json(), ensure_ascii=False, indent=2))
    return 0 if response.status_code in (201, 202) else 1


def cmd_keys_new(args: argparse.Namespace) -> int:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger import signing
    from publisher import webhooks

    key = Ed25519PrivateKey.generate()
    out = Path(args.out)
    if out.exists():
        print(f"{out} exists; refusing to overwrite a key", file=sys.stderr)
        return 2
    signing.write_key(out, key)
    print(
        json.dumps(
            {
                "file": str(out),
                "key_id": signing.key_id(key),
                "public_key": signing.public_b64(key),
                # The same key as a publishing service's sites take it (Standard Webhooks).
                "webhook_public_key": webhooks.public_key(key.public_key()),
            },
            indent=2,
        )
    )
    return 0


def cmd_submit(args: argparse.Namespace) -> int:
    import httpx

    from ledger import signing
    from ledger.domain.sealed import Disclosure
    from sunshine.receipts import receipt_lines, refusal_lines

    key = signing.read_key(Path(args.key))
    try:
        draft = json.loads(Path(args.file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read command {args.file}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(draft, dict) or "type" not in draft or "actor" not in draft:
        print("the command file needs at least type, actor and payload", file=sys.stderr)
        return 2
    payload = dict(draft.get("payload", {}))
    # "seal": {"price": "1790000.00"} puts a commitment in payload.price and sends the
    # value and its fresh salt beside the signed command.
    openings: dict[str, Disclosure] = {}
    for name, value in dict(draft.get("seal", {})).items():
        payload[name] = signing.sealed_value(value, openings)
    command = signing.new_command(
        draft["type"],
        payload,
        actor=draft["actor"],
        key=key,
        procurement=draft.get("procurement"),
    )
    body = signing.sign(command, key, openings)
    response = httpx.post(args.url.rstrip("/") + "/commands", json=body, timeout=30)
    accepted = response.status_code in (201, 202)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if args.json and answer is not None:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    elif accepted:
        print("\n".join(receipt_lines(args.url, command, answer)))
    else:
        print("\n".join(refusal_lines(response.status_code, answer)), file=sys.stderr)
    return 0 if accepted else 1


def cmd_verify(args: argparse.Namespace) -> int:
    from sunshine.verifying import (
        default_jobs,
        describe,
        verify_local,
        verify_remote,
        verify_sealed_local,
        verify_tiles,
    )

    policy = None
    if args.policy:
        from sunshine.witness_cli import read_policy

        policy = read_policy(Path(args.policy))
        if policy is None:
            return 2
        if args.log_key is None and policy.log is not None:
            args.log_key = verifier_text(policy.log)
    if args.bundle:
        if args.url or args.tiles or args.checkpoint:
            print(
                "sunshine: --bundle is checked offline, without --url, --tiles or --checkpoint",
                file=sys.stderr,
            )
            return 2
        return verify_bundle(Path(args.bundle), args.log_key, policy)
    jobs = args.jobs or default_jobs()
    old = Path(args.checkpoint) if args.checkpoint else None
    timing = None
    if args.check_timing:
        from ledger.verify_timing import TimingCheck

        timing = TimingCheck()  # with the calendar and table the log's statute book adopted
    if args.url and args.tiles:
        print("sunshine: verify reads either --url or --tiles, not both", file=sys.stderr)
        return 2
    try:
        if args.tiles:
            report = verify_tiles(
                args.tiles, old, args.log_key, jobs, timing=timing, policy=policy
            )
            sealed = None
        elif args.url:
            report = verify_remote(
                args.url, old, args.log_key, jobs, timing=timing, policy=policy
            )
            sealed = None
        else:
            report = verify_local(
                _settings(args), old, args.log_key, jobs, timing=timing, policy=policy
            )
            sealed_key = Path(args.sealed_key) if args.sealed_key else None
            sealed = verify_sealed_local(_settings(args), sealed_key)
    except VerificationFailed as exc:
        print(f"FAILED: {exc}")
        return 1
    print(describe(report))
    if sealed is not None:
        print(sealed.describe())
    return check_receipts(args.bid_receipt or [], report)


def check_receipts(paths: list[str], report: Report) -> int:
    """Each supplier's receipt 签收回执 against the verified log (exit 1 on a dropped bid)."""
    from ledger.verify_receipt import check_bid_receipt

    for path in paths:
        try:
            receipt = json.loads(Path(path).read_text(encoding="utf-8"))
            print(f"receipt {path}: {check_bid_receipt(receipt, report)}")
        except (OSError, ValueError) as exc:
            problem = exc.strerror if isinstance(exc, OSError) else str(exc)
            print(f"FAILED: receipt {path}: {problem}")
            return 1
    return 0


def cmd_bid_box_key(args: argparse.Namespace) -> int:
    """The bid box's public key, for the finance office to register (made on first use)."""
    from ledger import signing
    from ledger.log.signer import load_or_create_key

    settings = _settings(args)
    key = load_or_create_key(settings.data_dir / "bid-box-key.pem")
    print(f"bid-box key {signing.key_id(key)}: {signing.public_b64(key)}")
    print(
        "register it as the finance office: RegisterOrganisation (kind bid_box), "
        "RegisterActor (role bid_box), then RegisterKey with this public_key"
    )
    return 0


def verify_bundle(path: Path, log_key: str | None, policy: Policy | None = None) -> int:
    """Offline: one entry's proof bundle against its signed checkpoint (exit 0 or 1), and
    the checkpoint's cosignatures against the witness policy."""
    from ledger.bundle import BundleError, check_bundle
    from ledger.bundle import describe as describe_bundle
    from sunshine.verifying import apply_policy

    try:
        checked = check_bundle(path.read_bytes(), log_key)
        quorum = apply_policy(policy, checked.note)
    except OSError as exc:
        print(f"FAILED: cannot read {path}: {exc.strerror}")
        return 1
    except (BundleError, VerificationFailed) as exc:
        print(f"FAILED: {path}: {exc}")
        return 1
    print(describe_bundle(checked))
    if quorum:
        print(f"  {quorum}")
    return 0


def verifier_text(verifier: Verifier) -> str:
    from ledger.log.note import verifier_key

    return verifier_key(verifier.name, verifier.public_key)


def cmd_integrate(args: argparse.Namespace) -> int:
    from sunshine.app import background_integrator
    from sunshine.bootstrap import open_ledger

    ledger = open_ledger(_settings(args))
    try:
        if not args.follow:
            print(f"log size {ledger.integrator.integrate()}")
            return 0
        loop = background_integrator(ledger)
        loop.start()
        loop._thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        ledger.close()
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from projections.runner import Follower
    from sunshine.bootstrap import open_ledger, projector_for

    settings = _settings(args)
    ledger = open_ledger(settings)
    try:
        followers = {f.projection.name: f for f in projector_for(ledger, settings.flags).followers}
        names = args.names or sorted(followers)
        unknown = [n for n in names if n not in followers]
        if unknown:
            print(
                f"no projection named {unknown[0]!r}; projections: {', '.join(sorted(followers))}",
                file=sys.stderr,
            )
            return 2
        for name in names:
            follower: Follower = followers[name]
            follower.setup()
            size = ledger.reader.size()

            def progress(position: int, total: int, name: str = name) -> None:
                print(f"\r{name}: {position:,}/{total:,} leaves", end="", file=sys.stderr)

            position = follower.rebuild(progress=progress)
            print(f"\r{name}: rebuilt from {position:,} of {size:,} leaves", flush=True)
    finally:
        ledger.close()
    return 0


def cmd_export_site(args: argparse.Namespace) -> int:
    import time
    from collections.abc import Iterator
    from contextlib import contextmanager

    from projections.export.site import ExportError, ExportSource, export_site
    from sunshine.app import bootstrapped_app

    shown = {"stage": ""}
    last = [0.0]

    def progress(stage: str, done: int, total: int) -> None:
        # A line per stage, redrawn at most five times a second.
        if stage != shown["stage"] and shown["stage"]:
            print(file=sys.stderr)
        elif done < total and time.monotonic() - last[0] < 0.2:
            return
        shown["stage"], last[0] = stage, time.monotonic()
        print(f"\r{stage}: {done:,}/{total:,}", end="", file=sys.stderr, flush=True)

    settings = _settings(args)

    @contextmanager
    def service() -> Iterator[ExportSource]:
        with bootstrapped_app(settings) as (app, services):
            yield ExportSource(services.ports.log, services.ports.db, app)

    try:
        summary = export_site(
            settings.ledger_config(),
            Path(args.dir),
            service,
            base_url=args.base_url,
            ledger_url=args.ledger_url,
            progress=progress,
        )
    except ExportError as exc:
        print(f"\nsunshine: {exc}" if shown["stage"] else f"sunshine: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nsunshine: interrupted; run again to complete {args.dir}", file=sys.stderr)
        return 130
    if shown["stage"]:
        print(file=sys.stderr)
    print(
        f"exported {summary.notices:,} notices ({summary.new_notices:,} new) to {args.dir}, "
        f"complete to log position {summary.position:,}: {len(summary.written):,} files "
        f"written, {summary.unchanged:,} unchanged"
    )
    for url in summary.unknown_links:
        print(f"warning: no static page for the link {url}", file=sys.stderr)
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    import signal

    from ledger import signing
    from publisher.config import load_destinations
    from publisher.metrics import WorkerMetrics, registry_for
    from publisher.operations import report, serve_metrics
    from sunshine.publishing import running_publisher

    settings = _settings(args)
    destinations = args.destinations or settings.publisher_destinations
    key_file = args.key or settings.publisher_key
    if destinations is None or key_file is None:
        print(
            "sunshine: publish needs --destinations FILE and --key FILE "
            "(or SUNSHINE_PUBLISHER_DESTINATIONS and SUNSHINE_PUBLISHER_KEY)",
            file=sys.stderr,
        )
        return 2
    config = load_destinations(Path(destinations))  # refuses a malformed file, naming the line
    key = signing.read_key(Path(key_file))
    metrics = WorkerMetrics()
    with running_publisher(settings, config, key, args.workers, metrics) as publisher:
        if args.metrics_port:
            registry = registry_for(publisher.store, metrics)
            serve_metrics(registry, args.metrics_host, args.metrics_port)
        names = ", ".join(d.name for d in config.destinations)
        print(f"publishing to {names} with {args.workers} workers", flush=True)
        if args.once:

            def progress(left: int) -> None:
                print(f"  {left} deliveries still to make", flush=True)

            try:
                publisher.drain(progress=progress)
            except KeyboardInterrupt:
                return 130  # the leases run out; the next run carries on
            print(report(publisher.store, []))
        else:
            signal.signal(signal.SIGTERM, lambda *_: publisher.request_stop())
            publisher.start()
            try:
                publisher.wait()
            except KeyboardInterrupt:
                pass
            finally:
                publisher.stop()
    return 0


def cmd_deliveries(args: argparse.Namespace) -> int:
    from ledger.store.sql import open_database
    from ledger.store.url import parse_database_url
    from publisher.operations import report
    from publisher.store import JobStore

    db = open_database(parse_database_url(_settings(args).resolved_database_url()))
    try:
        store = JobStore(db)
        store.create()
        if args.enable:
            if not store.enable(args.enable):
                print(f"sunshine: no destination named {args.enable!r}", file=sys.stderr)
                return 2
            print(f"{args.enable} enabled: its jobs are due again")
        if args.requeue:
            requeued = store.requeue(args.notice, args.destination)
            print(f"requeued {len(requeued)} dead job(s)")
            for notice, destination in requeued:
                print(f"  notice {notice} to {destination}")
            return 0
        jobs = store.jobs(args.state, args.destination, args.notice, args.limit)
        if args.json:
            print(json.dumps([j.as_json() for j in jobs], ensure_ascii=False, indent=2))
        else:
            print(report(store, jobs))
    finally:
        db.close()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from demo.builder import DemoBuilder
    from sunshine.bootstrap import open_ledger
    from sunshine.demo_setup import DemoRefused, forget_operator_environment, prepare_demo

    # A fresh demo each time, in a directory only demos use and an empty database: never
    # the operator's ledger, keys or data directory, whatever the SUNSHINE_* variables say.
    forget_operator_environment()
    try:
        settings = prepare_demo(Path(args.data_dir) if args.data_dir else None, args.db)
    except DemoRefused as refused:
        print(f"sunshine: {refused}", file=sys.stderr)
        return 2
    ledger = open_ledger(settings)
    try:
        summary = DemoBuilder(ledger, settings.data_dir / "demo-keys").build()
    finally:
        ledger.close()
    print(
        f"demo ledger: {settings.resolved_database_url()}\n"
        f"  {summary.organisations} organisations, {summary.actors} actors, "
        f"{summary.keys} keys, {summary.size} log entries\n"
        f"  actor keys for `sunshine submit`: {settings.data_dir / 'demo-keys'}/"
    )
    if args.no_serve:
        return 0
    # SIGTERM, which uvicorn raises again once it has shut down, unwinds this stack like
    # Ctrl-C does: the witnesses' processes end with the demo.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    with ExitStack() as stack:
        if not args.no_witnesses:
            from sunshine.demo_witnesses import running_demo_witnesses

            for witness in stack.enter_context(running_demo_witnesses(settings, args.host)):
                print(f"witness {witness.name} on {witness.url}: {witness.vkey}", flush=True)
        if args.no_publish:
            return serve(settings, args.host, args.port)
        return serve_demo_publishing(settings, args.host, args.port, args.site_port)
    return 0  # unreachable: mypy cannot see that ExitStack re-raises


def cmd_province(args: argparse.Namespace) -> int:
    from demo.province import ProvinceBuilder, ProvinceRefused, print_progress
    from sunshine.bootstrap import open_ledger

    if args.procurements < 1:
        print("sunshine: --procurements must be at least 1", file=sys.stderr)
        return 2
    settings = Settings(data_dir=Path(args.data_dir), database_url=args.database_url or "")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ledger = open_ledger(settings)
    try:
        builder = ProvinceBuilder(ledger, settings.data_dir, args.procurements, args.seed,
                                  progress=None if args.quiet else print_progress)  # fmt: skip
        summary = builder.build()
    except ProvinceRefused as refused:
        print(f"sunshine: {refused}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped: what was committed is kept; run the same command again to resume",
              file=sys.stderr)  # fmt: skip
        return 130
    finally:
        ledger.close()
    print(
        f"\nprovince ledger: {settings.resolved_database_url()}\n"
        f"  {summary.counties} counties, {summary.procurements:,} procurements, "
        f"{summary.size:,} log entries in {summary.seconds:,.0f} s\n"
        f"  serve it: SUNSHINE_DATA_DIR={settings.data_dir} "
        + (f"SUNSHINE_DATABASE_URL={args.database_url} " if args.database_url else "")
        + "sunshine serve"
    )
    return 0


def _exit_on_signal(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def serve_demo_publishing(settings: Settings, host: str, port: int, site_port: int) -> int:
    """Serve the demo ledger while its publisher pushes every notice, the year's and any
    recorded meanwhile, to a local procurement website (``demo.site``)."""
    from demo.builder import demo_key
    from demo.site import DemoSite
    from sunshine.publishing import (
        DEMO_PUBLISHER,
        DEMO_SECRET,
        demo_destinations,
        running_publisher,
    )

    key = demo_key(DEMO_PUBLISHER)
    with DemoSite(key.public_key(), DEMO_SECRET, host=host, port=site_port) as site:
        config = demo_destinations(settings.data_dir / "destinations.toml", site.url)
        with running_publisher(settings, config, key, workers=2) as publisher:
            publisher.start()
            print(
                f"publishing every notice to the demo procurement website {site.page_url}\n"
                f"  (receipts signed by {DEMO_PUBLISHER}; destinations: "
                f"{settings.data_dir / 'destinations.toml'})",
                flush=True,
            )
            try:
                return serve(settings, host, port)
            finally:
                publisher.stop()


def cmd_import_ocds(args: argparse.Namespace) -> int:
    from ledger import signing
    from ledger.ocds.importer import import_source
    from ledger.ocds.importing import ImportRefused, check_prefixes, read_source
    from sunshine.bootstrap import open_ledger

    settings = _settings(args)
    key = signing.read_key(Path(args.key))
    try:
        source = read_source(args.source, args.max_bytes, args.timeout)
        check_prefixes(source.releases, settings.ocid_prefix, args.prefix)
    except ImportRefused as refused:
        print(f"sunshine import-ocds: {refused}", file=sys.stderr)
        return 1
    # No response waits for its leaf: the run integrates once at its end where the
    # ledger does not integrate inline (PostgreSQL).
    ledger = open_ledger(settings, leaf_wait_seconds=0)
    try:
        registered = ledger.registry.key(signing.key_id(key))
        if registered is None:
            print(f"sunshine import-ocds: 密钥 {signing.key_id(key)} 未登记", file=sys.stderr)
            return 1

        def progress(done: int, total: int) -> None:
            print(f"已记录 {done}/{total}", file=sys.stderr, flush=True)

        try:
            outcome = import_source(ledger, source, registered.owner, key, progress)
        except ImportRefused as refused:
            print(f"sunshine import-ocds: {refused}", file=sys.stderr)
            return 1
        if not ledger.inline_integration:
            ledger.integrator.integrate()
    finally:
        ledger.close()
    print(f"导入完成：新记录 {outcome.recorded} 个发布，跳过已导入的 {outcome.skipped} 个 "
          f"(recorded {outcome.recorded}, skipped {outcome.skipped}; sha256 {source.sha256})")
    return 0


def cmd_db_setup(args: argparse.Namespace) -> int:
    from ledger.log.follower import Follower
    from ledger.store.grants import grant_application_role
    from projections.supervision.spent import SCHEMA as SPENT_SCHEMA
    from projections.supervision.spent import TABLE as SPENT_TABLE
    from projections.web.lookup_failures import SCHEMA as LOOKUP_SCHEMA
    from projections.web.lookup_failures import TABLE as LOOKUP_TABLE
    from publisher.config import PublisherConfig
    from publisher.planner import Planner
    from publisher.schema import TABLES as PUBLISHER_TABLES
    from publisher.store import JobStore
    from sunshine.bootstrap import open_ledger, projector_for

    settings = _settings(args)
    config = settings.ledger_config()
    if config.database.is_sqlite:
        print(
            "db-setup is for PostgreSQL; SQLite tables are created on first start", file=sys.stderr
        )
        return 2
    # As the owner: the ledger's tables and triggers, every projection's tables (an outdated
    # one is dropped and rebuilt from the log by the service), and the publisher's.
    ledger = open_ledger(settings)
    try:
        projector = projector_for(ledger, settings.flags)
        projector.setup()
        JobStore(ledger.db).create()
        planner = Follower(ledger.db, Planner(PublisherConfig(()), sqlite=False))
        planner.setup()
        ledger.db.execute_script(SPENT_SCHEMA)
        ledger.db.execute_script(LOOKUP_SCHEMA)
        derived = [
            "projection_positions",
            *(t for f in projector.followers for t in f.projection.tables()),
            *PUBLISHER_TABLES,
            SPENT_TABLE,
            LOOKUP_TABLE,
        ]
    finally:
        ledger.close()
    if args.app_role:
        grant_application_role(config.database, args.app_role, args.app_password or "", derived)
        print(
            f"tables ready; role {args.app_role} may SELECT and INSERT only on the ledger's "
            "tables, and read and write the projections' and the publisher's"
        )
    else:
        print("tables ready")
    return 0


# Over 60 lines by design: the command line's table: every subcommand's options in the order
# `--help` lists them.
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sunshine", description="阳光采购账本 Sunshine Ledger")
    sub = parser.add_subparsers(dest="command", required=True)

    def db_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--db",
            help="the ledger's database: sqlite:///path or postgresql://user@host/db "
            "(default: $SUNSHINE_DATABASE_URL, else ledger.db in the data directory)",
        )
        p.add_argument("--data-dir", help=DATA_DIR_HELP)

    def ledger_options(p: argparse.ArgumentParser) -> None:
        db_options(p)
        p.add_argument(
            "--sealed-key",
            metavar="FILE",
            help="the key that encrypts the sealed values, made on first start (default: "
            "$SUNSHINE_SEALED_KEY, else sealed-key in the data directory); keep it out of "
            "the database's backups and back it up on its own",
        )

    p = sub.add_parser("serve", help="serve the API")
    ledger_options(p)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes (default 1); several share one PostgreSQL database",
    )
    p.add_argument(
        "--read-url",
        metavar="URL",
        help="a PostgreSQL streaming replica of the ledger's database: the public pages, "
        "search, the directory, statistics, flags and supervision are read from it, each "
        "page saying how fresh it is (数据截至…); without --db (and $SUNSHINE_DATABASE_URL) "
        "the server is read-only and refuses every command (default: "
        "$SUNSHINE_READ_DATABASE_URL)",
    )
    p.add_argument(
        "--forwarded-allow-ips",
        help="comma-separated addresses of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (default: $SUNSHINE_FORWARDED_ALLOW_IPS, or none)",
    )
    witness_options(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("demo", help="build the demo ledger and serve it")
    p.add_argument(
        "--db",
        help="an empty database to build the demo in: sqlite:///path or "
        "postgresql://user@host/db; one that holds a ledger is refused (default: a fresh "
        "data/demo/ledger.db, or ledger.db in --data-dir)",
    )
    p.add_argument(
        "--data-dir",
        help="the demo's own directory: its actor keys, log key, sealed-value key, lookup "
        "key and files, made anew on every run; one holding files the demo did not make is "
        "refused (default: data/demo; SUNSHINE_* variables are ignored)",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    p.add_argument(
        "--port", type=int, default=8000, help="port of the API and pages (default 8000)"
    )
    p.add_argument("--no-serve", action="store_true", help="build only")
    p.add_argument(
        "--site-port",
        type=int,
        default=8001,
        help="port of the local procurement website the demo publishes to (default 8001)",
    )
    p.add_argument(
        "--no-publish", action="store_true", help="serve without pushing notices to a local site"
    )
    p.add_argument(
        "--no-witnesses",
        action="store_true",
        help="serve without the two witnesses (审计局, 纪委监委) that cosign its checkpoints",
    )
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "province",
        help="build a province-scale ledger (云岭省's counties), every entry signed and "
        "integrated through the bulk path; run again to resume one that stopped",
    )
    p.add_argument("--procurements", type=int, default=100_000,
                   help="procurements across the counties (default 100000)")  # fmt: skip
    p.add_argument("--seed", type=int, default=2026, help="what the province is drawn from")
    p.add_argument("--data-dir", default="data/province",
                   help="its directory: log key, sealed-value key, lookup key, bid-box key, "
                   "province.json (default data/province)")  # fmt: skip
    p.add_argument("--database-url", default="",
                   help="sqlite:///path or postgresql://user@host/db (default: ledger.db in "
                   "--data-dir)")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress line")
    p.set_defaults(func=cmd_province)

    add_witness_commands(sub)

    p = sub.add_parser("init", help="genesis: record the finance office and its administrator")
    ledger_options(p)
    p.add_argument(
        "--bootstrap-key",
        required=True,
        help="the administrator's Ed25519 key file (from `sunshine keys new`, mode 0600)",
    )
    p.add_argument("--org-code", required=True, help="the finance office's code, e.g. qhx-czj")
    p.add_argument("--org-name", required=True, help="the finance office's name")
    p.add_argument("--region", required=True, help="the region it supervises, e.g. 澄溪县")
    p.add_argument(
        "--admin-code", required=True, help="the administrator's actor code, e.g. qhx-czj-admin"
    )
    p.add_argument("--admin-name", required=True, help="the administrator's name")
    p.add_argument(
        "--holidays",
        help="TOML holiday file: the State Council's arrangement of years the chinese-calendar "
        "package lacks, adopted with the genesis",
    )
    p.add_argument(
        "--time-limits", help="TOML corrections laid over the packaged time-limit table"
    )
    p.set_defaults(func=cmd_init)

    statutes = sub.add_parser(
        "statutes", help="adopt a year's working calendar or the time-limit table (signed)"
    ).add_subparsers(dest="statutes", required=True)
    for name, what in (("calendar", "working calendar"), ("time-limits", "time-limit table")):
        p = statutes.add_parser(name, help=f"adopt the {what} (a finance office's command)")
        p.add_argument("--actor", required=True, help="the finance-office actor who signs")
        p.add_argument("--key", required=True, help="the actor's Ed25519 key file")
        p.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="the ledger's address (default http://127.0.0.1:8000)",
        )
        if name == "calendar":
            p.add_argument(
                "--holidays", help="TOML holiday file of the years to adopt ([2027] holidays=…)"
            )
            p.add_argument(
                "--year",
                type=int,
                action="append",
                help="adopt the calendar package's arrangement of this year (repeatable; "
                "default: every year it knows)",
            )
        else:
            p.add_argument(
                "--time-limits", help="TOML corrections laid over the packaged table"
            )
        p.set_defaults(func=cmd_statutes)

    p = sub.add_parser("verify", help="verify every entry, signature and the checkpoint")
    db_options(p)
    p.add_argument("--url", help="verify a remote server instead of a local database")
    p.add_argument(
        "--tiles",
        metavar="URL_OR_DIR",
        help="verify from the log's C2SP tiles alone: a server or mirror (its /log prefix or "
        "the site), or an export-site directory",
    )
    p.add_argument("--checkpoint", help="an older checkpoint file the log must be consistent with")
    p.add_argument("--log-key", help="pin the log's verifier key (name+id+base64)")
    p.add_argument(
        "--policy",
        metavar="FILE",
        help="a witness policy (witness/group/quorum lines): the checkpoint must carry the "
        "cosignatures it requires; a `log` line in it pins the log's key",
    )
    p.add_argument(
        "--bundle",
        metavar="FILE",
        help="offline: check one entry's proof bundle (from /log/bundle/N) instead of the log",
    )
    p.add_argument("--jobs", type=int, default=0, help="processes for signatures (default: cores)")
    p.add_argument(
        "--check-timing",
        action="store_true",
        help="recompute time-limit findings with the working calendar and time-limit table "
        "the log's own statute book adopted (AdoptCalendar, AdoptTimeLimits) at each entry",
    )
    p.add_argument(
        "--sealed-key",
        help="with --db: check the sealed store with this key (default: the ledger's own)",
    )
    p.add_argument(
        "--bid-receipt",
        action="append",
        metavar="FILE",
        help="a supplier's bid receipt (签收回执, the bid_receipt of its answer): check that the "
        "log holds the bid and that its box's opening disclosed it; repeatable",
    )
    p.set_defaults(func=cmd_verify)

    box = sub.add_parser("bid-box", help="the sealed bid box 投标箱服务")
    box_commands = box.add_subparsers(dest="bid_box", required=True)
    p = box_commands.add_parser("key", help="print the bid box's public key, to register it")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(func=cmd_bid_box_key)

    keys = sub.add_parser("keys", help="key files").add_subparsers(dest="keys", required=True)
    p = keys.add_parser("new", help="generate an Ed25519 key file")
    p.add_argument(
        "--out",
        required=True,
        help="where to write the private key (PEM, mode 0600); an existing file is kept",
    )
    p.set_defaults(func=cmd_keys_new)

    p = sub.add_parser("submit", help="sign a command file and post it")
    p.add_argument("file", help="the command as JSON: type, actor, payload, procurement?, seal?")
    p.add_argument(
        "--key", required=True, help="the actor's Ed25519 key file (mode 0600) to sign with"
    )
    p.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="the ledger's address (default http://127.0.0.1:8000)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the ledger's whole answer (events, proofs, checkpoint) as JSON instead "
        "of the one-line receipt or the list of field errors",
    )
    p.set_defaults(func=cmd_submit)

    p = sub.add_parser(
        "import-ocds",
        help="record another system's OCDS releases as imported entries, signed by an importer",
        description="Check an OCDS release package (or JSON Lines of packages or releases), "
        "from a file or an http(s) URL, whole: the OCDS 1.1.5 release schema, the ocid "
        "prefixes, duplicates, the size. On any problem nothing is recorded. Then record each "
        "release not yet imported as a ReleaseImported entry signed with --key (an actor in "
        "the importer role), with the source and its SHA-256; releases imported before with "
        "the same content are skipped.",
    )
    ledger_options(p)
    p.add_argument("source", metavar="FILE_OR_URL", help="the release package: a path or URL")
    p.add_argument("--key", required=True, help="the importing actor's Ed25519 key file")
    p.add_argument("--prefix", help="every ocid must have this prefix (ocds-xxxxxx)")
    p.add_argument(
        "--max-bytes", type=int, default=64 * 1024 * 1024,
        help="refuse a source larger than this, without loading it (default 64 MiB)",
    )
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for a URL (default 30)")
    p.set_defaults(func=cmd_import_ocds)

    add_documents_commands(sub)

    p = sub.add_parser("db-setup", help="PostgreSQL: create tables as owner, grant the app role")
    ledger_options(p)
    p.add_argument("--app-role", help="role the API connects as (SELECT and INSERT only)")
    p.add_argument("--app-password", help="password for a newly created role")
    p.set_defaults(func=cmd_db_setup)

    p = sub.add_parser("rebuild", help="drop projections and replay the log into them")
    ledger_options(p)
    p.add_argument("names", nargs="*", help="projections to rebuild (default: all)")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("integrate", help="append pending events to the log (PostgreSQL workers)")
    ledger_options(p)
    p.add_argument("--follow", action="store_true", help="keep integrating until stopped")
    p.set_defaults(func=cmd_integrate)

    p = sub.add_parser(
        "export-site",
        help="write the public pages, JSON with proof bundles and Atom feeds as static files",
        description="Write every public announcement as static HTML and JSON (with its proof "
        "bundle), the lists, procurement pages and Atom feeds per type into DIR, for any web "
        "server to serve at a site's root. Run it again to add what is new: only changed "
        "files are written, each atomically. Search, filters other than the type, the "
        "challenge lookup and the API docs need the live service (--ledger-url).",
    )
    ledger_options(p)
    p.add_argument("dir", help="the export directory: new, empty, or an earlier export")
    p.add_argument(
        "--base-url",
        help="where DIR will be served, e.g. https://example.org (absolute links in the feeds)",
    )
    p.add_argument(
        "--ledger-url",
        help="the live service: search, filters, challenge lookup and API docs link there",
    )
    p.set_defaults(func=cmd_export_site)

    p = sub.add_parser("publish", help="push every notice to the configured websites")
    ledger_options(p)
    p.add_argument(
        "--destinations", help="destinations TOML file (default: $SUNSHINE_PUBLISHER_DESTINATIONS)"
    )
    p.add_argument(
        "--key", help="the publishing service's Ed25519 key file (default: $SUNSHINE_PUBLISHER_KEY)"
    )
    p.add_argument(
        "--workers", type=int, default=4, help="deliveries at once (default 4; 0: plan only)"
    )
    p.add_argument("--once", action="store_true", help="deliver what the log holds, then exit")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    p.add_argument(
        "--metrics-host", default="127.0.0.1", help="address of the metrics (default 127.0.0.1)"
    )
    p.set_defaults(func=cmd_publish)

    p = sub.add_parser("deliveries", help="delivery jobs by state; requeue dead ones")
    db_options(p)
    p.add_argument(
        "--state",
        choices=("pending", "leased", "delivered", "failed", "done", "dead"),
        help="only the jobs in this state",
    )
    p.add_argument("--destination", help="only the jobs of this destination (its name)")
    p.add_argument("--notice", type=int, help="a notice's log index")
    p.add_argument("--limit", type=int, default=50, help="at most this many jobs (default 50)")
    p.add_argument("--json", action="store_true", help="the jobs as JSON")
    p.add_argument(
        "--requeue", action="store_true", help="dead jobs (of --destination, --notice) due again"
    )
    p.add_argument("--enable", metavar="NAME", help="enable a destination disabled by 410 Gone")
    p.set_defaults(func=cmd_deliveries)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (LedgerError, ValueError, OSError) as exc:
        message = exc.message if isinstance(exc, LedgerError) else str(exc)
        print(f"sunshine: {message}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
