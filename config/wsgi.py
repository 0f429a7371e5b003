import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from common.unread_body import DrainUnreadBody

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = DrainUnreadBody(get_wsgi_application())
# Import every view (and with them pydicom, numpy, Pillow) now, not on a worker's first request:
# gunicorn preloads this module (gunicorn.conf.py), so each worker it forks starts warm.
get_resolver().url_patterns
# ... and the job queue's client (its transport's modules: kombu's, redis-py's), used on a worker's
# first job submission (~0.1 s): imported here, connected by each worker when it first sends.
from config.celery import app as celery_app  # noqa: E402

celery_app.connection_for_write().transport  # noqa: B018 (imports the transport; opens no connection)
