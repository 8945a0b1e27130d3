"""`--db` / SUNSHINE_DATABASE_URL: `sqlite:///path` or `postgresql://user@host/db`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class DatabaseURLError(ValueError):
    pass


@dataclass(frozen=True)
class DatabaseURL:
    kind: str  # "sqlite" or "postgresql"
    path: Path | None = None
    host: str = ""
    port: int = 5432
    user: str = ""
    password: str = ""
    dbname: str = ""

    @property
    def is_sqlite(self) -> bool:
        return self.kind == "sqlite"

    def conninfo(self) -> str:
        """libpq keyword/value string for psycopg."""
        assert self.kind == "postgresql"
        parts = {
            "host": self.host,
            "port": str(self.port),
            "user": self.user,
            "dbname": self.dbname,
        }
        if self.password:
            parts["password"] = self.password
        return " ".join(f"{k}='{_quote(v)}'" for k, v in parts.items() if v)

    def with_database(self, dbname: str) -> DatabaseURL:
        return DatabaseURL(
            kind=self.kind,
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=dbname,
        )

    def with_user(self, user: str, password: str = "") -> DatabaseURL:
        return DatabaseURL(
            kind=self.kind,
            host=self.host,
            port=self.port,
            user=user,
            password=password,
            dbname=self.dbname,
        )

    def __str__(self) -> str:
        if self.is_sqlite:
            return f"sqlite:///{self.path}"
        auth = self.user + ("@" if self.user else "")
        return f"postgresql://{auth}{self.host}:{self.port}/{self.dbname}"


def postgres_env(url: DatabaseURL) -> dict[str, str]:
    """The eventsourcing library's settings for connecting to this PostgreSQL database."""
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.dbname,
        "POSTGRES_HOST": url.host,
        "POSTGRES_PORT": str(url.port),
        "POSTGRES_USER": url.user,
        "POSTGRES_PASSWORD": url.password,
    }


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def parse_database_url(url: str) -> DatabaseURL:
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        raw = unquote(parts.path)
        if parts.netloc or not raw.startswith("/") or raw == "/":
            raise DatabaseURLError(
                f"SQLite URL must look like sqlite:///relative/file.db or "
                f"sqlite:////absolute/file.db, got {url!r}"
            )
        return DatabaseURL(kind="sqlite", path=Path(raw[1:]))
    if parts.scheme in ("postgresql", "postgres"):
        query = parse_qs(parts.query)
        host = parts.hostname or query.get("host", ["/var/run/postgresql"])[0]
        dbname = unquote(parts.path.lstrip("/"))
        if not dbname:
            raise DatabaseURLError(f"PostgreSQL URL names no database: {url!r}")
        return DatabaseURL(
            kind="postgresql",
            host=host,
            port=parts.port or 5432,
            user=unquote(parts.username or "") or "postgres",
            password=unquote(parts.password or ""),
            dbname=dbname,
        )
    raise DatabaseURLError(
        f"unsupported database URL {url!r}: use sqlite:///path or postgresql://user@host/db"
    )
