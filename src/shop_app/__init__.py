"""The shop's application layer: use cases, the ports they need, and their container."""
