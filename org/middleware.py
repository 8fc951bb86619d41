from django.utils import translation

from .selectors import user_membership


class MembershipMiddleware:
    """Applies the logged-in user's chosen language (stored on their membership), so the choice
    follows the user to any browser or tablet."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = user_membership(request.user)
        if membership is not None and membership.language:
            translation.activate(membership.language)
            request.LANGUAGE_CODE = membership.language
        return self.get_response(request)
