"""gunicorn settings for `make run` and production; each can be overridden by environment variables."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8080')}"
# Threaded workers: a slow client holds one thread, not a whole worker process.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 120))
graceful_timeout = 30
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 2000))  # recycle workers to bound memory growth
max_requests_jitter = 200
accesslog = "-"
# No query strings in the access log: they may carry DICOM keywords and values.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
