"""The /api/v1/ routes of API.md. Each app owns its viewsets; this module only lists them."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from inspections.api import (
    AssessmentView,
    CampaignBurdenView,
    CaseBurdenView,
    ImportDetailView,
    ImportListView,
    ImportTemplateView,
    OverrideView,
    SurveyView,
    UnionExportView,
)
from inspections.api_summaries import SummaryBoardView, SummaryViewSet
from inspections.api_visits import CaseVisitsView, EvidenceDownloadView
from notifications.api import MarkReadView, NotificationListView, UnreadCountView
from subsidies.api import SubsidyViewSet
from unions.api import FederationViewSet, UnionViewSet
from workflows.api import CampaignViewSet, CaseViewSet
from workflows.api_figures import CampaignFiguresView, CampaignFiguresXlsxView, LeaderHomeView
from workflows.api_guidance import GuidanceDoneView, GuidanceView

router = DefaultRouter(trailing_slash=True)
router.register("federations", FederationViewSet, basename="federation")
router.register("unions", UnionViewSet, basename="union")
router.register("campaigns", CampaignViewSet, basename="campaign")
router.register("cases", CaseViewSet, basename="case")
router.register("subsidies", SubsidyViewSet, basename="subsidy")
router.register("summaries", SummaryViewSet, basename="api-summary")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("cases/<int:pk>/survey/", SurveyView.as_view(), name="case-survey"),
    path("cases/<int:pk>/assessment/", AssessmentView.as_view(), name="case-assessment"),
    path("cases/<int:pk>/assessment/overrides/", OverrideView.as_view(), name="case-overrides"),
    path("cases/<int:pk>/burden/", CaseBurdenView.as_view(), name="case-burden"),
    path("campaigns/<int:pk>/burden/", CampaignBurdenView.as_view(), name="campaign-burden"),
    path("imports/", ImportListView.as_view(), name="api-import-list"),
    path("imports/<int:pk>/", ImportDetailView.as_view(), name="api-import-detail"),
    path("imports/template.xlsx", ImportTemplateView.as_view(), name="api-import-template"),
    path("unions/export.xlsx", UnionExportView.as_view(), name="api-union-export"),
    path("cases/<int:pk>/guidance/", GuidanceView.as_view(), name="case-guidance"),
    path("cases/<int:pk>/visits/", CaseVisitsView.as_view(), name="case-visits"),
    path("evidence/<int:pk>/", EvidenceDownloadView.as_view(), name="evidence-download"),
    path(
        "cases/<int:pk>/guidance/<int:action_id>/done/",
        GuidanceDoneView.as_view(),
        name="case-guidance-done",
    ),
    path(
        "campaigns/<int:pk>/summary-board/",
        SummaryBoardView.as_view(),
        name="campaign-summary-board",
    ),
    path("campaigns/<int:pk>/figures/", CampaignFiguresView.as_view(), name="campaign-figures"),
    path(
        "campaigns/<int:pk>/figures.xlsx",
        CampaignFiguresXlsxView.as_view(),
        name="campaign-figures-xlsx",
    ),
    path("leader/home/", LeaderHomeView.as_view(), name="leader-home"),
    path("notifications/", NotificationListView.as_view(), name="notification-list"),
    path("notifications/read/", MarkReadView.as_view(), name="notification-read"),
    path("notifications/unread/", UnreadCountView.as_view(), name="notification-unread"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
]
