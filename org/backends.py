"""Authentication backend: the user is loaded with their membership and unit in one query, since
every page needs all three (language, role, unit scope)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class MembershipModelBackend(ModelBackend):
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("membership__unit").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
