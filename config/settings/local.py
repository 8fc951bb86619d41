from .base import *  # noqa: F401,F403
from .base import STORAGES, env

DEBUG = env.bool("DEBUG", default=True)
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
# Serve static files straight from the app folders (no collectstatic needed outside production).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Mail goes to the local mailbox (/mailbox/, staff only) unless EMAIL_BACKEND says otherwise.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="notifications.mailbox.MailboxBackend")
LOCAL_MAILBOX = env.bool("LOCAL_MAILBOX", default=True)
