"""Persistence adapters: Django ORM (models, repositories, unit of work) and in-memory."""
