"""The bucket: list, add, change, remove. A customer's, or without a login a guest's:
the guest bucket of the session (see guest_limits)."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from adapters.django_web import paging, schema
from adapters.django_web.fields import UUIDString, WholeNumber
from adapters.django_web.guest_limits import (
    guest_bucket_throttle,
    keep_guest_bucket,
    session_guest_bucket,
)
from adapters.django_web.presenters import (
    OK_REMOVED,
    bucket_line_json,
    bucket_row_json,
    money,
)
from adapters.django_web.quick_check import validated
from adapters.django_web.views.base import ShopView, client_address
from shop_domain.ids import BucketLineId, CustomerId, GuestBucketId, ProductId

MAX_QUANTITY = 10_000


class GuestOrCustomerView(ShopView):
    """Open to anyone: a logged-in customer's bucket, or the session's guest bucket."""

    permission_classes = []

    @staticmethod
    def owner(request: Request) -> dict[str, Any]:
        """Whose bucket, as the bucket use cases take it."""
        if request.user.is_authenticated:
            return {"customer_id": CustomerId(request.user.pk)}
        # A session without a guest bucket gets a new id nobody has: an empty bucket
        # whose lines are all 404, and nothing is written for it.
        found = session_guest_bucket(request._request)
        return {"guest_id": found or GuestBucketId(uuid.uuid4())}


class BucketView(GuestOrCustomerView):
    class Input(serializers.Serializer):
        product = UUIDString()
        quantity = WholeNumber(min_value=1, max_value=MAX_QUANTITY)

    @schema.operation(
        "bucket",
        (200, schema.BucketPage),
        {400: "1000 bad query"},
        parameters=schema.PAGING,
        access="public",
    )
    def get(self, request: Request) -> Response:
        asked = paging.page_request(paging.query(request))
        bucket = self.use.get_bucket()(**self.owner(request), page=asked)
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
            409: "1041 product already in bucket; 1042 product not available; 1043 not enough products; 1046 guest bucket limit reached",
            429: "1047 too many guest buckets from this address",
        },
        request=Input,
        name="BucketAdd",
        access="public",
        description="Without a login, the session's guest bucket (the first add sets the session cookie).",
    )
    def post(self, request: Request) -> Response:
        data = validated(self.Input, request.data)
        owner = self.owner(request)
        add = self.use.add_to_bucket()
        new_guest = not request.user.is_authenticated and not session_guest_bucket(request._request)
        if not new_guest:
            line = add(**owner, product_id=ProductId(data["product"]), quantity=data["quantity"])
            return Response(bucket_line_json(line), status=201)
        # A new guest bucket: its address's slot first (429/1047 changes nothing), given
        # back when the add is refused.
        throttle, address = guest_bucket_throttle(), client_address(request)
        throttle.start(address)
        try:
            line = add(**owner, product_id=ProductId(data["product"]), quantity=data["quantity"])
        except BaseException:
            throttle.give_back(address)
            raise
        keep_guest_bucket(request._request, owner["guest_id"])
        return Response(bucket_line_json(line), status=201)


class BucketLineView(GuestOrCustomerView):
    class Input(serializers.Serializer):
        quantity = WholeNumber(min_value=0, max_value=MAX_QUANTITY)

    @schema.operation(
        {"PUT": "bucket_line_change", "POST": "bucket_line_change_post"},
        (200, schema.BucketLineOrRemoved),
        {
            400: "1000 validation error",
            404: "1044 bucket item not found",
            409: "1043 not enough products; 1046 guest bucket limit reached",
        },
        request=Input,
        name="BucketChange",
        access="public",
        description="Quantity 0 removes the line and answers the status message.",
    )
    def put(self, request: Request, line_id: UUID) -> Response:
        data = validated(self.Input, request.data)
        line = self.use.change_bucket_quantity()(
            **self.owner(request),
            line_id=BucketLineId(line_id),
            quantity=data["quantity"],
        )
        return Response(OK_REMOVED if line is None else bucket_line_json(line))

    post = put

    @schema.operation(
        "bucket_line_remove",
        (200, schema.StatusMessage),
        {404: "1044 bucket item not found"},
        access="public",
    )
    def delete(self, request: Request, line_id: UUID) -> Response:
        self.use.remove_from_bucket()(**self.owner(request), line_id=BucketLineId(line_id))
        return Response(OK_REMOVED)
