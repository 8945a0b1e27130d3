"""The event store's transcoder, on orjson, in the library's own stored format.

Stored states look exactly as eventsourcing's JSONTranscoder writes them (a
datetime is {"_type_": "datetime_iso", "_data_": "..."}), so either transcoder
reads what the other wrote; orjson only makes it several times faster. Ledger
events hold strings, integers and their timestamp: orjson would write a UUID as a
plain string, so events must not carry UUID values (they carry stream ids as text).
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder


class OrjsonTranscoder(JSONTranscoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj, default=self._encode_obj, option=orjson.OPT_PASSTHROUGH_DATETIME)

    def decode(self, data: bytes) -> Any:
        return self._revive(orjson.loads(data))

    def _revive(self, value: Any) -> Any:
        if type(value) is dict:
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                return self._decode_obj(value)
            return {key: self._revive(item) for key, item in value.items()}
        if type(value) is list:
            return [self._revive(item) for item in value]
        return value
