"""/api/: the REST API v1, its schema and docs (docs/api.md)."""

from django.urls import include, path
from drf_spectacular.utils import extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import DefaultRouter

from config.api import TokenThrottle
from okrs.api import CheckInViewSet, CycleViewSet, KeyResultViewSet, ObjectiveViewSet
from portfolio.api import PortfolioViewSet, ProductViewSet
from roadmap.api import AlignmentViewSet, DependencyViewSet, RoadmapItemViewSet

TOKEN_SERIALIZER = inline_serializer(
    name="AuthToken",
    fields={"token": serializers.CharField(help_text="Send it as `Authorization: Token <key>`.")},
)


class ObtainToken(ObtainAuthToken):
    """`POST /api/v1/auth/token/` with username and password → the person's API token.

    Throttled per client IP (scope `auth-token`, 10/min by default): a wrong password
    costs an attempt like a right one.
    """

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = (TokenThrottle,)
    throttle_scope = "auth-token"
    renderer_classes = (JSONRenderer,)

    @extend_schema(
        operation_id="auth_token_create",
        tags=["auth"],
        auth=[],
        request=AuthTokenSerializer,
        responses={200: TOKEN_SERIALIZER},
        description=(
            "Exchange a username and password for the person's API token (created on first "
            "use). Throttled: 10 attempts a minute per IP, then 429."
        ),
    )
    def post(self, request, *args, **kwargs):
        return super().post(request, *args, **kwargs)


router = DefaultRouter()
router.register("portfolios", PortfolioViewSet, basename="api-portfolio")
router.register("products", ProductViewSet, basename="api-product")
router.register("cycles", CycleViewSet, basename="api-cycle")
router.register("objectives", ObjectiveViewSet, basename="api-objective")
router.register("key-results", KeyResultViewSet, basename="api-key-result")
router.register("check-ins", CheckInViewSet, basename="api-check-in")
router.register("roadmap-items", RoadmapItemViewSet, basename="api-roadmap-item")
router.register("alignments", AlignmentViewSet, basename="api-alignment")
router.register("dependencies", DependencyViewSet, basename="api-dependency")

urlpatterns = [
    path("v1/auth/token/", ObtainToken.as_view(), name="api-token"),
    path("v1/", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api/swagger_ui.html"
        ),
        name="api-docs",
    ),
]
