from __future__ import annotations

from typing import Any

import orjson
from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer


class AlwaysJson(BaseContentNegotiation):
    """The API speaks JSON only: an odd Accept header never turns into a 406."""

    def select_parser(self, request: Any, parsers: list[Any]) -> Any:
        content_type = (request.content_type or "").split(";")[0].strip().lower()
        for parser in parsers:
            if parser.media_type == content_type:
                return parser
        return None

    def select_renderer(self, request: Any, renderers: list[Any], format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


class StrictJsonParser(BaseParser):
    """JSON in, parsed by orjson: fast, and strict where DRF's parser lets through what
    breaks later (500s): invalid UTF-8, lone surrogates ("\\ud800"), nesting too deep
    to handle (over 254 levels, orjson's own limit when writing)."""

    media_type = "application/json"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        raw = stream.read() if stream is not None else b""
        try:
            data = orjson.loads(raw)
            orjson.dumps(data)  # refuses what is nested too deeply to write back
        except orjson.JSONDecodeError as error:
            raise ParseError(f"JSON parse error - {error}") from None
        except orjson.JSONEncodeError:
            raise ParseError("JSON parse error - nested too deeply") from None
        return data


class FastJsonRenderer(BaseRenderer):
    """JSON out through orjson (several times faster than the stdlib encoder)."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=str)
