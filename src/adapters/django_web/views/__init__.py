"""Thin DRF views: one per use case, validate -> call -> present."""
