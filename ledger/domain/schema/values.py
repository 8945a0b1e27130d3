"""The values log entries are made of: amounts, days, commitments, deadlines, findings.

Every entry's ``data`` is a ``Value``: a frozen pydantic model that refuses unknown fields.
The same declaration checks an entry read back from the log, writes the entry a handler
decides, and gives the published JSON Schema (``docs/log-format.md``).

Absent and null are different in the log: a field left out when a model is made (an
optional ``bid_deadline``) stays out of the written JSON, while one given as ``None`` (a
plan without an agency) is written as ``null``. ``dump`` keeps that difference, so what is
read back writes the same bytes.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    JsonValue,
    PlainSerializer,
    WithJsonSchema,
)

from ledger.domain.errors import Invalid
from ledger.domain.money import Money
from ledger.domain.sealed import is_commitment

#: Standard base64 of 32 bytes: a commitment, a salt, a key or a digest.
BASE64_32: Final = r"^[A-Za-z0-9+/]{43}=$"
#: An organisation's, actor's or procurement's code, as ``fields.code`` accepts it.
CODE_PATTERN: Final = r"^[a-z0-9][a-z0-9-]{0,62}[a-z0-9]?$"


class Value(BaseModel):
    """A value of the log: immutable, and no field it does not declare."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)

    def dump(self) -> dict[str, Any]:
        """The JSON the log holds: fields left out stay out, ``None`` given is ``null``."""
        return self.model_dump(mode="json", exclude_unset=True)


def _money(value: object) -> Money:
    if isinstance(value, Money):
        return value
    try:
        return Money.parse(value, "amount")
    except Invalid as refused:
        raise ValueError(refused.message) from None  # pydantic names the field


#: An amount in yuan, written as a string with two decimals (``"416800.00"``).
Amount = Annotated[
    Money,
    BeforeValidator(_money),
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(0|[1-9][0-9]*)\.[0-9]{2}$",
            "description": "yuan with two decimals",
        }
    ),
]

#: A day in China (Asia/Shanghai), ISO 8601 (``"2026-05-20"``).
Day = date


class Commitment(Value):
    """A sealed value as the public log shows it before its disclosure: SHA-256(salt ‖ JCS)."""

    commitment: Annotated[str, Field(pattern=BASE64_32)]

    @classmethod
    def of(cls, obj: object) -> Commitment:
        assert is_commitment(obj)
        assert isinstance(obj, dict)
        return cls(commitment=obj["commitment"])


class Opened(Value):
    """A sealed value disclosed: the value and the salt that open its commitment."""

    commitment: Annotated[str, Field(pattern=BASE64_32)]
    value: JsonValue
    salt: Annotated[str, Field(pattern=BASE64_32)]


class Due(Value):
    """A statutory deadline: the day, and whether it is provisional (a year the calendar
    does not know yet) and why."""

    date: Day
    provisional: bool
    reason: str


class Basis(Value):
    """What a deadline was computed with: the statute-book entries (their versions on the
    statute book's stream) that adopted the time-limit table (``table``) and each year's
    working calendar the count went through (``calendars``, by year; null for a year no
    entry had adopted, counted on weekends alone: the deadline is then provisional)."""

    table: int | None
    calendars: dict[Annotated[str, Field(pattern=r"^\d{4}$")], int | None]


class Finding(Value):
    """A rule broken by the act an entry records: its source and, for a time limit, the
    deadline and the actual day.

    ``deadline`` and ``actual`` are None for an irregularity of order (it has no deadline).
    ``provisional`` is True when the deadline was computed across a year whose holidays the
    calendar does not know; ``reason`` then says so in Chinese and English. A time limit's
    finding also names the day its clock started (``start``, not counted) and the
    statute-book entries it was computed with (``basis``): what a re-evaluation recomputes.
    The same shape lists an entry's ``provisional_passes``: limits found kept, but only on a
    provisional deadline.
    """

    rule: str
    citation: str
    description_zh: str
    deadline: Day | None
    actual: Day | None
    provisional: bool
    reason: str
    start: Day | None = None
    basis: Basis | None = None
