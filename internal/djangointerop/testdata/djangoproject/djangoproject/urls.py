from django.urls import path

from . import views

urlpatterns = [
    path("whoami", views.whoami),
    path("login", views.login),
    path("logout", views.logout),
    path("password", views.password),
    path("session", views.session),
    path("cart", views.cart),
    path("users", views.users),
]
