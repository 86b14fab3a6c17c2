from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.health import healthz

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include("config.api_router")),
    path("", include("teams.urls")),
    path("", include("portfolio.urls")),
    path("", include("okrs.urls")),
    path("", include("roadmap.urls")),
]

handler500 = "config.errors.server_error"
