from .selectors import user_membership


def membership(request):
    return {"membership": user_membership(request.user) if hasattr(request, "user") else None}
