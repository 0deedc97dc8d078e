"""Webhooks: Standard Webhooks signing, the address guard, the HTTP sender, the fan-out
of events to deliveries and the delivery job."""
