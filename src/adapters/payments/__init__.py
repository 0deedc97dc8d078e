"""Payment-provider adapters behind the PaymentGateway port."""
