"""`sunshine verify`: check a local database or a remote server, trusting only the log key."""

from __future__ import annotations

import base64
import os
import sys
from pathlib import Path
from typing import TextIO

from ledger.log.merkle import ProofError, verify_consistency
from ledger.log.note import Checkpoint, NoteError, Verifier, parse_verifier_key
from ledger.log.policy import Policy, PolicyError
from ledger.sources import RemoteLog, local_batches, pending_events, stored_node_check
from ledger.verify import Report, VerificationFailed, open_checkpoint, verify_stream
from ledger.verify_sealed import SealedCheck, check_sealed_store, read_sealed_key
from ledger.verify_timing import TimingCheck
from sunshine.settings import Settings


def default_jobs() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def _progress(err: TextIO) -> object:
    state = {"last": 0}

    def report(done: int, total: int) -> None:
        if done - state["last"] >= 100_000 or done == total:
            state["last"] = done
            print(f"  verified {done:,}/{total:,} entries", file=err, flush=True)

    return report


def _old(path: Path | None, verifier: Verifier) -> Checkpoint | None:
    if path is None:
        return None
    try:
        note = path.read_bytes()
    except OSError as exc:
        raise VerificationFailed(f"cannot read {path}: {exc.strerror}") from None
    return open_checkpoint(note, verifier, f"the older checkpoint {path}")


def verify_local(
    settings: Settings,
    old_path: Path | None,
    log_key: str | None,
    jobs: int,
    err: TextIO = sys.stderr,
    timing: TimingCheck | None = None,
    policy: Policy | None = None,
) -> Report:
    from ledger.application import LedgerEvents, event_store_env
    from ledger.log.cosigned import cosigned_checkpoint
    from ledger.log.reader import LogReader
    from ledger.log.signer import public_verifier_key
    from ledger.store.sql import open_database

    # Read only: no tables, files or keys are created by verifying.
    config = settings.ledger_config(create_tables=False)
    url = config.database
    if url.is_sqlite and (url.path is None or not url.path.is_file()):
        raise VerificationFailed(f"no ledger database at {url.path}")
    key_path = config.log_key_path or config.data_dir / "log-key.pem"
    if log_key is None and not key_path.is_file():
        raise VerificationFailed(f"no log key at {key_path}; pass --log-key")
    try:
        verifier = parse_verifier_key(log_key or public_verifier_key(key_path, config.origin))
    except ValueError as problem:
        raise VerificationFailed(f"the log key: {problem}") from None
    events = LedgerEvents(env=event_store_env(config))
    db = open_database(url)
    try:
        reader = LogReader(db)
        note = reader.checkpoint()
        if note is None:
            raise VerificationFailed("the log has no signed checkpoint")
        checkpoint = open_checkpoint(note, verifier, "the latest checkpoint")
        stored = reader.size()
        if stored != checkpoint.size:
            raise VerificationFailed(
                f"the log holds {stored} entries but its latest checkpoint commits to "
                f"{checkpoint.size}",
                min(stored, checkpoint.size),
            )
        old = _old(old_path, verifier)
        batches = local_batches(db, events.recorder, checkpoint.size)
        report = verify_stream(
            batches,
            checkpoint,
            old,
            jobs,
            _progress(err),  # type: ignore[arg-type]
            timing,
            nodes=stored_node_check(db),
        )
        report.pending = pending_events(db, events.recorder)
        if policy is not None:
            served = cosigned_checkpoint(db)
            assert served is not None  # the log has a checkpoint
            open_checkpoint(served.note, verifier, "the cosigned checkpoint")
            report.witnesses = apply_policy(policy, served.note)
        return report
    finally:
        events.close()
        db.close()


def verify_sealed_local(settings: Settings, sealed_key: Path | None) -> SealedCheck:
    """The local database's sealed store, opened with ``sealed_key`` (default: the one the
    ledger uses, ``SUNSHINE_SEALED_KEY`` or ``<data dir>/sealed-key``), when there is one."""
    from ledger.store.sql import open_database

    config = settings.ledger_config(create_tables=False)
    path = sealed_key or config.sealed_key_path or config.data_dir / "sealed-key"
    key = read_sealed_key(path)
    db = open_database(config.database)
    try:
        return check_sealed_store(db, key, path)
    finally:
        db.close()


def verify_remote(
    url: str,
    old_path: Path | None,
    log_key: str | None,
    jobs: int,
    err: TextIO = sys.stderr,
    timing: TimingCheck | None = None,
    policy: Policy | None = None,
) -> Report:
    remote = RemoteLog(url)
    try:
        try:
            served = remote.verifier()
            verifier = parse_verifier_key(log_key) if log_key else served
        except ValueError as problem:
            raise VerificationFailed(f"the log key is malformed: {problem}") from None
        if log_key is None:
            print(
                f"  trusting the server's log key {served.name}+{served.key_id.hex()}: "
                "pin it with --log-key",
                file=err,
            )
        note = remote.checkpoint()
        checkpoint = open_checkpoint(note, verifier, "the server's checkpoint")
        quorum = apply_policy(policy, note)
        old = _old(old_path, verifier)
        if old is not None and 0 < old.size <= checkpoint.size:
            try:
                answer = remote.consistency(old.size, checkpoint.size)
                proof = [base64.b64decode(p, validate=True) for p in answer]
                verify_consistency(old.size, checkpoint.size, proof, old.root, checkpoint.root)
            except (ProofError, ValueError, TypeError, KeyError) as exc:
                raise VerificationFailed(
                    f"the server's consistency proof from size {old.size} does not verify: {exc}"
                ) from None
        # The server's stored nodes are not visible here; every proof it serves is checked
        # against a signed checkpoint by whoever uses it, and the leaves give the root.
        batches = remote.batches(checkpoint.size)
        report = verify_stream(batches, checkpoint, old, jobs, _progress(err), timing)  # type: ignore[arg-type]
        report.witnesses = quorum
        return report
    finally:
        remote.close()


def verify_tiles(
    location: str,
    old_path: Path | None,
    log_key: str | None,
    jobs: int,
    err: TextIO = sys.stderr,
    timing: TimingCheck | None = None,
    policy: Policy | None = None,
) -> Report:
    """The log from its C2SP tiles alone, on a server, a static host or in a directory."""
    from ledger.sources_tiles import TileCheck, TileLog

    tiles = TileLog(location)
    try:
        if log_key is None:
            served = tiles.key()
            if served is None:
                raise VerificationFailed(
                    f"no log key beside the tiles at {location}: pass --log-key"
                )
            print(
                f"  trusting the log key beside the tiles {served}: pin it with --log-key", file=err
            )
            log_key = served
        try:
            verifier = parse_verifier_key(log_key)
        except ValueError as problem:
            raise VerificationFailed(f"the log key is malformed: {problem}") from None
        note = tiles.checkpoint()
        checkpoint = open_checkpoint(note, verifier, "the tiles' checkpoint")
        quorum = apply_policy(policy, note.decode("utf-8", "replace"))
        old = _old(old_path, verifier)
        check = TileCheck(tiles, checkpoint.size)
        report = verify_stream(
            tiles.batches(checkpoint.size),
            checkpoint,
            old,
            jobs,
            _progress(err),  # type: ignore[arg-type]
            timing,
            nodes=check,
        )
        check.finish()
        report.nodes = 0  # what was compared is the tiles, not a database's nodes
        report.tiles, report.tile_hashes = check.tiles, check.hashes
        report.witnesses = quorum
        return report
    finally:
        tiles.close()


def apply_policy(policy: Policy | None, note: str) -> str | None:
    """Whose cosignatures of ``note`` meet the witness policy; VerificationFailed naming the
    missing witnesses when they do not."""
    if policy is None:
        return None
    try:
        return policy.require(note).describe()
    except (PolicyError, NoteError) as exc:
        raise VerificationFailed(f"the checkpoint: {exc}") from None


def describe(report: Report) -> str:
    assert report.checkpoint is not None
    lines = [
        f"OK: {report.size} entries, {report.signatures} actor signatures, "
        f"{len(report.keys)} keys in the registry",
        f"root {base64.b64encode(report.root).decode()} matches the checkpoint signed by "
        f"{report.checkpoint.origin}",
    ]
    if report.witnesses:
        lines.append(report.witnesses)
    if report.nodes:
        lines.append(f"{report.nodes} stored tree nodes match the ones the leaves give")
    if report.tiles:
        lines.append(
            f"{report.tiles} hash tiles ({report.tile_hashes} hashes) and the entry bundles "
            "match the ones the leaves give"
        )
    if report.consistent_with is not None:
        lines.append(f"consistent with the older checkpoint of size {report.consistent_with.size}")
    opened, sealed = report.sealed_bids
    if opened or sealed:
        lines.append(
            f"bid box: {opened} sealed envelopes disclosed by complete openings, each signed by "
            f"its supplier before the closing; {sealed} still sealed in boxes not opened yet"
        )
    if report.timing is not None:
        checked = report.timing.checked
        line = f"time-limit findings of {checked} entries match the calendar and table"
        if report.timing.provisional_differences:
            line += (
                f" ({report.timing.provisional_differences} recorded provisionally differ from "
                "today's calendar)"
            )
        lines.append(line)
    pending = report.pending
    if pending is not None and pending.count:
        ids = ", ".join(str(n) for n in pending.first) + (
            ", …" if pending.count > len(pending.first) else ""
        )
        lines.append(
            f"WARNING: {pending.count} stored events have no leaf yet (notifications {ids}; the "
            f"oldest recorded {pending.oldest_recorded_at or 'at an unknown time'}): they were "
            "committed after the last integration. `sunshine integrate` or starting the "
            "service appends them"
        )
    return "\n".join(lines)
