from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

from adapters.django_web import server_errors

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "adapters.django_web.settings")
application = get_wsgi_application()
server_errors.install()  # under gunicorn: its own refusals (414, 431, 400) in JSON too
