from django.conf import settings


def local_mailbox(request):
    """Whether the local mailbox is on (the user menu links to it then); no query."""
    return {"local_mailbox": settings.LOCAL_MAILBOX}
