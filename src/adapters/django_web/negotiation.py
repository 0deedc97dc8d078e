from __future__ import annotations

import json
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser


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


class StrictJsonParser(JSONParser):
    """DRF's JSON parser, refusing (400, not 500) what would break later: nesting deeper
    than Python's recursion allows, and lone surrogates ("\\ud800"), which no database
    can store and no UTF-8 encoder can write."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply") from None
        except UnicodeEncodeError:
            raise ParseError("JSON parse error - lone surrogate in a string") from None
        return data
