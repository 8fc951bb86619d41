from .base import *  # noqa: F401,F403
from .base import STORAGES, VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = str(VAR_DIR / "test-media")
# Tasks run in-process in unit tests; the broker itself is exercised by tests/test_celery.py.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
AXES_ENABLED = True
# Tests assert on the English source messages; Chinese rendering is tested explicitly (override/cookie).
LANGUAGE_CODE = "en"
# Serve static files straight from the app folders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
KPI_TALLIES_IMMEDIATE = True  # kpis.tallies: a test transaction never commits, so recount inside it
