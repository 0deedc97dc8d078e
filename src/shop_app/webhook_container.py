"""The webhook use cases' container: holes for their ports, one factory per use case."""

from __future__ import annotations

from dependency_injector import containers, providers

from shop_app.use_cases import webhooks


class WebhookUseCases(containers.DeclarativeContainer):
    uow = providers.Dependency()  # a provider of fresh WebhookUnitOfWork objects
    clock = providers.Dependency()
    ids = providers.Dependency()
    guard = providers.Dependency()
    secrets = providers.Dependency()

    register_endpoint = providers.Factory(
        webhooks.RegisterWebhookEndpoint,
        uow=uow,
        ids=ids,
        clock=clock,
        guard=guard,
        secrets=secrets,
    )
    list_endpoints = providers.Factory(webhooks.ListWebhookEndpoints, uow=uow)
    get_endpoint = providers.Factory(webhooks.GetWebhookEndpoint, uow=uow)
    update_endpoint = providers.Factory(webhooks.UpdateWebhookEndpoint, uow=uow, guard=guard)
    delete_endpoint = providers.Factory(webhooks.DeleteWebhookEndpoint, uow=uow)
    send_test_event = providers.Factory(webhooks.SendTestEvent, uow=uow, ids=ids, clock=clock)
    list_deliveries = providers.Factory(webhooks.ListWebhookDeliveries, uow=uow)
    retry_delivery = providers.Factory(webhooks.RetryWebhookDelivery, uow=uow, clock=clock)
