"""Adapters: Django web, persistence and payment providers around the core."""
