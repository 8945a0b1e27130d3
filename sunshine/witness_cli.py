"""`sunshine witness ...`: run a witness (C2SP tlog-witness) and make its key."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ledger.log.policy import Policy


def read_policy(path: Path) -> Policy | None:
    """The witness policy at ``path``, or None after saying on stderr what is wrong."""
    from ledger.log.policy import PolicyError, parse_policy

    try:
        return parse_policy(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, PolicyError) as exc:
        print(f"sunshine: the witness policy {path}: {exc}", file=sys.stderr)
        return None


def cmd_witness_keys_new(args: argparse.Namespace) -> int:
    from witness.config import new_key, witness_vkey

    try:
        key = new_key(Path(args.out))
    except FileExistsError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(witness_vkey(args.name, key))
    return 0


def cmd_witness_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from witness.config import ConfigError, load_key, load_logs
    from witness.server import Witness, create_app
    from witness.state import WitnessState

    try:
        key = load_key(Path(args.key))
        logs = load_logs(Path(args.logs))
    except ConfigError as exc:
        print(f"witness: {exc}", file=sys.stderr)
        return 2
    state = WitnessState(Path(args.db))
    witness = Witness(args.name, key, logs, state)
    app = create_app(witness)
    config = uvicorn.Config(app, host=args.host, port=args.port, log_level="warning")
    # Bound here, before the readiness line, so whoever waits for that line can connect.
    sock = config.bind_socket()
    print(
        f"witness {args.name} ({witness.vkey}) watching {', '.join(logs)} "
        f"on http://{args.host}:{sock.getsockname()[1]}",
        flush=True,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        state.close()
    return 0


def witness_options(p: argparse.ArgumentParser) -> None:
    """The log's side: where `serve` sends its checkpoints, and the policy it serves."""
    p.add_argument(
        "--witnesses",
        metavar="FILE",
        help="TOML file of the witnesses every new checkpoint is sent to ([[witness]] name, "
        "url, key); default $SUNSHINE_WITNESSES, or none",
    )
    p.add_argument(
        "--witness-policy",
        metavar="FILE",
        help="the witness policy served at /log/witness-policy (default "
        "$SUNSHINE_WITNESS_POLICY, else every witness of --witnesses required)",
    )


def add_witness_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    witness = sub.add_parser(
        "witness",
        help="run a witness that cosigns a log's checkpoints (C2SP tlog-witness)",
    ).add_subparsers(dest="witness", required=True)

    p = witness.add_parser("serve", help="serve POST /add-checkpoint")
    p.add_argument(
        "--name", required=True, help="the witness's key name, e.g. witness.qhx-sjj.gov.cn"
    )
    p.add_argument(
        "--key", required=True, help="its Ed25519 key file (`sunshine witness keys new`)"
    )
    p.add_argument(
        "--db", required=True, help="its SQLite state file: the last cosigned size per log"
    )
    p.add_argument(
        "--logs", required=True, help="TOML file of the logs it watches: [[log]] key = \"<vkey>\""
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8100, help="port to listen on (default 8100)")
    p.set_defaults(func=cmd_witness_serve)

    keys = witness.add_parser("keys", help="witness key files").add_subparsers(
        dest="witness_keys", required=True
    )
    p = keys.add_parser("new", help="generate a witness key; prints its verifier key")
    p.add_argument("--name", required=True, help="the witness's key name")
    p.add_argument("--out", required=True, help="where to write the key (PEM, mode 0600)")
    p.set_defaults(func=cmd_witness_keys_new)
