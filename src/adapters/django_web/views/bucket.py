"""The bucket: list, add, change, remove."""

from __future__ import annotations

from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.fields import UUIDString, WholeNumber
from adapters.django_web.presenters import (
    OK_REMOVED,
    bucket_line_json,
    bucket_row_json,
    money,
)
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import ShopView
from shop_domain.ids import BucketLineId, ProductId

MAX_QUANTITY = 10_000


class BucketView(ShopView):
    class Input(serializers.Serializer):
        product = UUIDString()
        quantity = WholeNumber(min_value=1, max_value=MAX_QUANTITY)

    @schema.operation(
        "bucket", (200, schema.BucketPage), {400: "1000 bad query"}, parameters=schema.PAGING
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        bucket = self.use.get_bucket()(customer_id=self.customer_id(request), page=asked)
        return Response(
            paging.envelope(
                request, bucket.lines, asked, bucket_row_json, total=money(bucket.total)
            )
        )

    @schema.operation(
        "bucket_add",
        (201, schema.BucketLine),
        {
            400: "1000 validation error",
            409: "1041 product already in bucket; 1042 product not available; 1043 not enough products",
        },
        request=Input,
        name="BucketAdd",
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
        quantity = WholeNumber(min_value=0, max_value=MAX_QUANTITY)

    @schema.operation(
        {"PUT": "bucket_line_change", "POST": "bucket_line_change_post"},
        (200, schema.BucketLineOrRemoved),
        {
            400: "1000 validation error",
            404: "1044 bucket item not found",
            409: "1043 not enough products",
        },
        request=Input,
        name="BucketChange",
        description="Quantity 0 removes the line and answers the status message.",
    )
    def put(self, request: Request, line_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        line = self.use.change_bucket_quantity()(
            customer_id=self.customer_id(request),
            line_id=BucketLineId(line_id),
            quantity=data["quantity"],
        )
        return Response(OK_REMOVED if line is None else bucket_line_json(line))

    post = put

    @schema.operation(
        "bucket_line_remove", (200, schema.StatusMessage), {404: "1044 bucket item not found"}
    )
    def delete(self, request: Request, line_id: UUID) -> Response:
        self.use.remove_from_bucket()(
            customer_id=self.customer_id(request), line_id=BucketLineId(line_id)
        )
        return Response(OK_REMOVED)
