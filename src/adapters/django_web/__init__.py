"""The Django/DRF web adapter: settings, URLs, views, error mapping, the shop command."""
