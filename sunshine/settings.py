"""Settings from the environment (SUNSHINE_*) and the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from ledger.application import LedgerConfig
from ledger.ocds.release import DEFAULT_OCID_PREFIX, OCID_PREFIX
from ledger.store.documents import DEFAULT_MAX_BYTES
from ledger.store.secret_file import read_secret
from ledger.store.url import parse_database_url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SUNSHINE_")

    data_dir: Path = Path("data")
    database_url: str = ""  # default: sqlite:///<data_dir>/ledger.db
    # A PostgreSQL streaming replica of the ledger's database: the public pages, search, the
    # directory, statistics, flags and supervision read from it. Without database_url too,
    # the server is read-only: it serves those pages and refuses every command (503).
    read_database_url: str = ""
    log_origin: str = "sunshine-ledger.localhost/log"
    log_key: Path | None = None  # default: <data_dir>/log-key.pem, generated on first start
    leaf_wait_seconds: float = 5.0
    create_tables: bool = True  # off when connecting as a role that may only SELECT/INSERT
    sealed_key: Path | None = None  # default: <data_dir>/sealed-key, generated on first start
    holidays: Path | None = None  # holidays of years the chinese-calendar package lacks
    time_limits: Path | None = None  # an operator's corrected statutory time-limit table
    # Addresses of reverse proxies whose X-Forwarded-For and -Proto are believed (uvicorn's
    # comma-separated list); none by default, so a client cannot choose the address it is
    # counted as. uvicorn's own default would believe any local process.
    forwarded_allow_ips: str = ""
    flags: Path | None = None  # an operator's red-flag thresholds over projections/flags/flags.toml
    publisher_destinations: Path | None = None  # `sunshine publish`: the destinations TOML
    publisher_key: Path | None = None  # `sunshine publish`: the publishing service's key
    metrics_token_file: Path | None = None  # GET /metrics on the API: its bearer token (0600)
    # OCDS: ocid = "<prefix>-<procurement>"; the prefix registered with the Open Contracting
    # Partnership, "ocds-" and six lower-case letters or digits
    ocid_prefix: Annotated[str, Field(pattern=OCID_PREFIX)] = DEFAULT_OCID_PREFIX
    banner: str = ""  # shown atop every page, e.g. 测试环境 on a training copy; the demo's is fixed
    witnesses: Path | None = None  # TOML: the witnesses each new checkpoint is sent to
    witness_policy: Path | None = None  # served at /log/witness-policy (default: all witnesses)
    # The largest attached document POST /documents takes, in bytes (default 50 MiB).
    document_max_bytes: Annotated[int, Field(ge=1)] = DEFAULT_MAX_BYTES

    def secret_files(self) -> list[Path]:
        """Where the service's secret files are (the defaults of ``ledger.application.Ledger``
        and ``sunshine.bootstrap``): the log key, the sealed-value key, the lookup key and
        the session key."""
        return [
            self.log_key or self.data_dir / "log-key.pem",
            self.sealed_key or self.data_dir / "sealed-key",
            self.data_dir / "lookup-key",
            self.data_dir / "session-key",
        ]

    def check_secret_files(self) -> None:
        """Refuse (``ExposedSecretFile``) an existing secret file other users may read,
        before a server starts: its workers would each fail with a traceback. A read-only
        server over a replica refuses a missing one too: it would make a key of its own, and
        serve a log key, sessions and lookups that are not the primary's."""
        for path in self.secret_files():
            if path.exists():
                read_secret(path)
            elif self.read_only:
                raise ValueError(
                    f"{path} is missing: a read-only server over a replica uses the primary's "
                    "key files (copy its data directory's log-key.pem, sealed-key, lookup-key "
                    "and session-key, mode 0600)"
                )

    @property
    def read_only(self) -> bool:
        """A server over a replica alone: nothing it may write."""
        return bool(self.read_database_url) and not self.database_url

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ledger.db'}"

    def ledger_config(self, create_tables: bool | None = None) -> LedgerConfig:
        return LedgerConfig(
            database=parse_database_url(self.resolved_database_url()),
            data_dir=self.data_dir,
            origin=self.log_origin,
            log_key_path=self.log_key,
            leaf_wait_seconds=self.leaf_wait_seconds,
            create_tables=self.create_tables if create_tables is None else create_tables,
            sealed_key_path=self.sealed_key,
            document_max_bytes=self.document_max_bytes,
        )


class IsolatedSettings(Settings):
    """Settings from the arguments alone: no SUNSHINE_* variable reaches them (the demo,
    which must never use an operator's database, keys or data directory)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)
