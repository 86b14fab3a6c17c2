"""The signed-in person's own pages."""

from django.urls import path

from teams import views

urlpatterns = [
    path("profile/", views.profile, name="profile"),
]
