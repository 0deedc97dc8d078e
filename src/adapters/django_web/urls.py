"""Every route answers with and without a trailing slash."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.urls import URLPattern, path
from django.views.generic import RedirectView

from adapters.django_web import admin as shop_admin
from adapters.django_web import schema
from adapters.django_web.views import (
    accounts,
    bucket,
    catalog,
    delivery,
    orders,
    payments,
    refunds,
    service,
    staff,
    storefront,
    webhooks,
)


def route(pattern: str, view: Any, name: str) -> list[URLPattern]:
    """The route with and without its trailing slash; the schema documents it once."""
    return [path(pattern, view, name=name), path(pattern + "/", _undocumented(view))]


def _undocumented(view: Any) -> Any:
    """The same view, left out of the OpenAPI document (``schema=None``)."""
    cls = getattr(view, "cls", None)
    if cls is None:
        return view
    return cls.as_view(**{**getattr(view, "initkwargs", {}), "schema": None})


urlpatterns: list[Any] = [
    # The checkout's routes first: Django tries the patterns in order, and these carry
    # most requests.
    *route("api/products", catalog.ListProductsView.as_view(), "products"),
    *route("api/products/<uuid:product_id>", catalog.ProductDetailView.as_view(), "product"),
    *route("api/bucket", bucket.BucketView.as_view(), "bucket"),
    *route("api/bucket/<uuid:line_id>", bucket.BucketLineView.as_view(), "bucket-line"),
    *route("api/orders", orders.OrdersView.as_view(), "orders"),
    *route("api/orders/<uuid:order_id>", orders.OrderDetailView.as_view(), "order"),
    *route(
        "api/orders/<uuid:order_id>/set_canceled",
        orders.CancelOrderView.as_view(),
        "order-cancel",
    ),
    *route("api/orders/<uuid:order_id>/payment", payments.PaymentView.as_view(), "payment"),
    *route(
        "api/orders/<uuid:order_id>/payment/confirm",
        payments.ConfirmPaymentView.as_view(),
        "payment-confirm",
    ),
    # Accounts, notifications, staff, service.
    *route("api/csrf", accounts.CsrfView.as_view(), "csrf"),
    *route("api/register", accounts.RegisterView.as_view(), "register"),
    *route("api/login", accounts.LoginView.as_view(), "login"),
    *route("api/logout", accounts.LogoutView.as_view(), "logout"),
    *route("api/profile", accounts.ProfileView.as_view(), "profile"),
    *route(
        "api/profile/<uuid:customer_id>", accounts.UpdateProfileView.as_view(), "profile-update"
    ),
    *route(
        "api/profile/<uuid:customer_id>/setpassword",
        accounts.ChangePasswordView.as_view(),
        "profile-password",
    ),
    *route("api/payments/payu/notify", payments.PayUNotificationView.as_view(), "payu-notify"),
    *route("api/payments/stripe/webhook", payments.StripeWebhookView.as_view(), "stripe-webhook"),
    path("sandbox/3ds/<str:challenge>", payments.sandbox_three_d_secure, name="sandbox-3ds"),
    *route("api/admin/products", staff.StaffProductsView.as_view(), "staff-products"),
    *route(
        "api/admin/products/<uuid:product_id>", staff.StaffProductView.as_view(), "staff-product"
    ),
    *route("api/admin/orders", staff.StaffOrdersView.as_view(), "staff-orders"),
    *route("api/admin/events", staff.StaffEventsView.as_view(), "staff-events"),
    *route("api/admin/orders/<uuid:order_id>", staff.StaffOrderView.as_view(), "staff-order"),
    *route(
        "api/admin/orders/<uuid:order_id>/set_paid",
        staff.StaffSetPaidView.as_view(),
        "staff-order-paid",
    ),
    # Addresses and delivery.
    *route("api/delivery-methods", delivery.DeliveryMethodsView.as_view(), "delivery-methods"),
    *route("api/addresses", delivery.AddressesView.as_view(), "addresses"),
    *route("api/addresses/<uuid:address_id>", delivery.AddressView.as_view(), "address"),
    *route(
        "api/admin/delivery-methods",
        delivery.StaffDeliveryMethodsView.as_view(),
        "staff-delivery-methods",
    ),
    *route(
        "api/admin/delivery-methods/<str:code>",
        delivery.StaffDeliveryMethodView.as_view(),
        "staff-delivery-method",
    ),
    *route(
        "api/admin/orders/<uuid:order_id>/fulfil",
        delivery.StaffFulfilView.as_view(),
        "staff-order-fulfil",
    ),
    *route(
        "api/admin/orders/<uuid:order_id>/refunds",
        refunds.OrderRefundsView.as_view(),
        "staff-order-refunds",
    ),
    *route(
        "api/admin/refunds/<uuid:refund_id>/mark_sent",
        refunds.MarkRefundSentView.as_view(),
        "staff-refund-mark-sent",
    ),
    *route("api/admin/webhooks", webhooks.WebhooksView.as_view(), "staff-webhooks"),
    *route(
        "api/admin/webhooks/deliveries/<uuid:delivery_id>/retry",
        webhooks.WebhookRetryView.as_view(),
        "staff-webhook-retry",
    ),
    *route(
        "api/admin/webhooks/<uuid:endpoint_id>", webhooks.WebhookView.as_view(), "staff-webhook"
    ),
    *route(
        "api/admin/webhooks/<uuid:endpoint_id>/test",
        webhooks.WebhookTestView.as_view(),
        "staff-webhook-test",
    ),
    *route(
        "api/admin/webhooks/<uuid:endpoint_id>/deliveries",
        webhooks.WebhookDeliveriesView.as_view(),
        "staff-webhook-deliveries",
    ),
    *route(
        "api/schema",
        service.SchemaView.as_view(
            generator_class=schema.ShopSchemaGenerator,
            content_negotiation_class=schema.SchemaNegotiation,
        ),
        "schema",
    ),
    *route("api/docs", service.DocsView.as_view(url_name="schema"), "docs"),
    *route("healthz", service.healthz, "healthz"),
    path("static/<path:path>", service.static_file),
    # The admin's login page behind the login throttle (see admin.admin_login).
    path("admin/login/", shop_admin.admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    # The admin lives under "admin/" (APPEND_SLASH is off): the bare name leads there.
    path("admin", RedirectView.as_view(url="/admin/", permanent=True, query_string=True)),
    path("", storefront.storefront, name="storefront"),
]

handler400 = "adapters.django_web.errors.handler400"
handler403 = "adapters.django_web.errors.handler403"
handler404 = "adapters.django_web.errors.handler404"
handler500 = "adapters.django_web.errors.handler500"
