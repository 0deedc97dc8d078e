"""The shop's domain: entities and value objects in plain Python (stdlib and attrs only)."""
