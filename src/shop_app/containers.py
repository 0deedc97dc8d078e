"""The application container: one factory per use case, holes for every port.

It imports no adapter; a composition root (the web adapter, a test, a script)
fills the holes with ``UseCases(uow=..., clock=..., ...)`` or ``override``.
"""

from __future__ import annotations

from dependency_injector import containers, providers

from shop_app.ports.payment_gateway import PaymentGateways
from shop_app.settings import ShopSettings
from shop_app.use_cases import (
    accounts,
    bank_statement,
    bucket,
    catalog,
    delivery,
    guest_bucket,
    orders,
    payments,
    refunds,
)


class UseCases(containers.DeclarativeContainer):
    uow = providers.Dependency()  # a provider of fresh UnitOfWork objects
    stock_holds = providers.Dependency()  # StockHolds: atomic on their own, no unit of work
    payment_replies = providers.Dependency()  # PaymentReplies: likewise
    clock = providers.Dependency()
    ids = providers.Dependency()
    hasher = providers.Dependency()
    password_policy = providers.Dependency()
    gateways = providers.Dependency(instance_of=PaymentGateways)
    settings = providers.Dependency(instance_of=ShopSettings, default=ShopSettings())
    statement_titles = providers.Dependency()  # only the bank statement import needs it
    stale_payments = providers.Dependency()  # StalePayments, for reconciliation
    event_log = providers.Dependency()  # EventLog, the staff's view of the outbox
    # AddressRules: postal codes, phones, countries (None: only saved addresses in orders)
    address_rules = providers.Dependency(default=providers.Object(None))

    # accounts
    register_customer = providers.Factory(
        accounts.RegisterCustomer, uow=uow, ids=ids, hasher=hasher, policy=password_policy
    )
    authenticate = providers.Factory(accounts.Authenticate, uow=uow, hasher=hasher)
    get_profile = providers.Factory(accounts.GetProfile, uow=uow)
    update_profile = providers.Factory(accounts.UpdateProfile, uow=uow)
    change_password = providers.Factory(
        accounts.ChangePassword, uow=uow, hasher=hasher, policy=password_policy
    )

    # catalog
    list_products = providers.Factory(catalog.ListProducts, uow=uow)
    get_product = providers.Factory(catalog.GetProduct, uow=uow)
    create_product = providers.Factory(catalog.CreateProduct, uow=uow, ids=ids, settings=settings)
    update_product = providers.Factory(catalog.UpdateProduct, uow=uow, settings=settings)
    deactivate_product = providers.Factory(catalog.DeactivateProduct, uow=uow)

    # bucket
    get_bucket = providers.Factory(bucket.GetBucket, uow=uow, clock=clock, settings=settings)
    add_to_bucket = providers.Factory(
        bucket.AddToBucket, uow=uow, holds=stock_holds, ids=ids, clock=clock, settings=settings
    )
    change_bucket_quantity = providers.Factory(
        bucket.ChangeBucketQuantity, uow=uow, clock=clock, settings=settings
    )
    remove_from_bucket = providers.Factory(
        bucket.RemoveFromBucket, uow=uow, clock=clock, settings=settings
    )
    expire_reservations = providers.Factory(bucket.ExpireReservations, uow=uow, clock=clock)

    # orders
    place_order = providers.Factory(
        orders.PlaceOrder,
        uow=uow,
        ids=ids,
        clock=clock,
        gateways=gateways,
        settings=settings,
        address_rules=address_rules,
    )
    list_orders = providers.Factory(orders.ListOrders, uow=uow)
    get_order = providers.Factory(orders.GetOrder, uow=uow)
    list_events = providers.Factory(orders.ListEvents, log=event_log)
    cancel_order = providers.Factory(
        orders.CancelOrder, uow=uow, clock=clock, gateways=gateways, ids=ids
    )

    # refunds
    refund_order = providers.Factory(
        refunds.RefundOrder, uow=uow, ids=ids, clock=clock, gateways=gateways
    )
    list_refunds = providers.Factory(refunds.ListRefunds, uow=uow)
    mark_refund_sent = providers.Factory(
        refunds.MarkRefundSent, uow=uow, clock=clock, gateways=gateways
    )
    reconcile_refunds = providers.Factory(
        refunds.ReconcileRefunds, uow=uow, clock=clock, gateways=gateways
    )

    # payments
    start_payment = providers.Factory(
        payments.StartPayment,
        uow=uow,
        replies=payment_replies,
        ids=ids,
        clock=clock,
        gateways=gateways,
    )
    get_payment = providers.Factory(payments.GetPayment, uow=uow)
    get_payment_attempt = providers.Factory(payments.GetPaymentAttempt, uow=uow)
    confirm_payment = providers.Factory(
        payments.ConfirmPayment, uow=uow, clock=clock, gateways=gateways
    )
    apply_notification = providers.Factory(
        payments.ApplyNotification, uow=uow, clock=clock, gateways=gateways
    )
    mark_transfer_paid = providers.Factory(
        payments.MarkTransferPaid, uow=uow, ids=ids, clock=clock, gateways=gateways
    )
    reconcile_payments = providers.Factory(
        payments.ReconcilePayments, uow=uow, clock=clock, gateways=gateways, stale=stale_payments
    )
    import_bank_credits = providers.Factory(
        bank_statement.ImportBankCredits,
        uow=uow,
        clock=clock,
        ids=ids,
        gateways=gateways,
        titles=statement_titles,
    )

    # guest buckets
    merge_guest_bucket = providers.Factory(
        guest_bucket.MergeGuestBucket, uow=uow, clock=clock, settings=settings
    )

    # addresses and delivery
    list_addresses = providers.Factory(delivery.ListAddresses, uow=uow)
    get_address = providers.Factory(delivery.GetAddress, uow=uow)
    save_address = providers.Factory(
        delivery.SaveAddress, uow=uow, ids=ids, clock=clock, rules=address_rules
    )
    remove_address = providers.Factory(delivery.RemoveAddress, uow=uow)
    list_delivery_methods = providers.Factory(delivery.ListDeliveryMethods, uow=uow)
    get_delivery_method = providers.Factory(delivery.GetDeliveryMethod, uow=uow)
    create_delivery_method = providers.Factory(
        delivery.CreateDeliveryMethod, uow=uow, settings=settings
    )
    update_delivery_method = providers.Factory(
        delivery.UpdateDeliveryMethod, uow=uow, settings=settings
    )
    deactivate_delivery_method = providers.Factory(delivery.DeactivateDeliveryMethod, uow=uow)
    fulfil_order = providers.Factory(delivery.FulfilOrder, uow=uow, clock=clock)
