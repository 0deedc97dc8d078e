"""One class per user action. Each opens its own unit of work and returns a read model or id."""
