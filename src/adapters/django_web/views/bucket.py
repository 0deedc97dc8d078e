"""The bucket: list, add, change, remove."""

from __future__ import annotations

from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging
from adapters.django_web.presenters import (
    OK_REMOVED,
    bucket_line_json,
    bucket_row_json,
    money,
)
from adapters.django_web.views.base import ShopView, UUIDString, validated
from shop_domain.ids import BucketLineId, ProductId

MAX_QUANTITY = 10_000


class BucketView(ShopView):
    class Input(serializers.Serializer):
        product = UUIDString()
        quantity = serializers.IntegerField(min_value=1, max_value=MAX_QUANTITY)

    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        bucket = self.use.get_bucket()(customer_id=self.customer_id(request), page=asked)
        return Response(
            paging.envelope(
                request, bucket.lines, asked, bucket_row_json, total=money(bucket.total)
            )
        )

    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        line = self.use.add_to_bucket()(
            customer_id=self.customer_id(request),
            product_id=ProductId(data["product"]),
            quantity=data["quantity"],
        )
        return Response(bucket_line_json(line), status=201)


class BucketLineView(ShopView):
    class Input(serializers.Serializer):
        quantity = serializers.IntegerField(min_value=0, max_value=MAX_QUANTITY)

    def put(self, request: Request, line_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        line = self.use.change_bucket_quantity()(
            customer_id=self.customer_id(request),
            line_id=BucketLineId(line_id),
            quantity=data["quantity"],
        )
        return Response(OK_REMOVED if line is None else bucket_line_json(line))

    post = put

    def delete(self, request: Request, line_id: UUID) -> Response:
        self.use.remove_from_bucket()(
            customer_id=self.customer_id(request), line_id=BucketLineId(line_id)
        )
        return Response(OK_REMOVED)
