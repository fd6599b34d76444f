"""JSON text made by the standard library's C encoder, built once per setting.

`json.dumps` and `JSONEncoder.encode` run two Python frames, define a float formatter and make a
new C encoder at every call; on a filing (eight JSON texts, each a few hundred bytes) that was
more CPU than the encoding itself. `encoder(...)` returns a function giving exactly the text
`json.JSONEncoder(...).encode` gives for the same settings (the same C encoder, the same
arguments), the same TypeError for a value JSON cannot hold, and, unless `check_circular` is
off, the same ValueError for a value that contains itself (a fresh set of markers each call).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable
from typing import Any

_c_make_encoder = getattr(json.encoder, "c_make_encoder", None)


def encoder(*, sort_keys: bool = False, separators: tuple[str, str] = (", ", ": "), ensure_ascii: bool = True,
            check_circular: bool = True) -> Callable[[Any], str]:
    """`json.JSONEncoder(sort_keys=..., separators=..., ensure_ascii=...).encode`, faster."""
    python = json.JSONEncoder(sort_keys=sort_keys, separators=separators, ensure_ascii=ensure_ascii,
                              check_circular=check_circular)
    if _c_make_encoder is None:  # pragma: no cover - CPython has its C accelerator
        return python.encode
    item_separator, key_separator = separators
    strings = json.encoder.encode_basestring_ascii if ensure_ascii else json.encoder.encode_basestring
    default = python.default  # raises TypeError naming the type, as encode() does
    make = _c_make_encoder

    if not check_circular:
        chunks = make(None, default, strings, None, key_separator, item_separator, sort_keys, False, True)
        return lambda value: "".join(chunks(value, 0))

    def encode(value: Any) -> str:
        # The C encoder returns the text as one chunk; markers are per call (an error leaves them set).
        return "".join(make({}, default, strings, None, key_separator, item_separator, sort_keys, False, True)(
            value, 0))

    return encode
