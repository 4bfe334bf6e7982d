"""A second authentication backend, as many Django projects add one: login
by email address. The API vouches only for ModelBackend's logins; a session
logged in by this backend is anonymous to the API, and left alone by it."""
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User


class EmailBackend(ModelBackend):
    def authenticate(self, request, email=None, password=None, **kwargs):
        if email is None or password is None:
            return None
        user = User.objects.filter(email__iexact=email).order_by("pk").first()
        if user and user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None
