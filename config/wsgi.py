import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

from common.unread_body import DrainUnreadBody

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = DrainUnreadBody(get_wsgi_application())
# Import every view (and with them pydicom, numpy, Pillow) now, not on a worker's first request:
# gunicorn preloads this module (gunicorn.conf.py), so each worker it forks starts warm.
get_resolver().url_patterns
