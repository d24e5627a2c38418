from django.contrib.auth import views as auth_views
from django.urls import path

from inspections import views_survey
from unions import views as union_views

from . import public, views, views_audit, views_case, views_dashboard, views_lists, views_reports

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.home, name="home"),
    # Cases
    path("cases/", views_lists.case_list, name="case-list"),
    path("cases/export/", views_lists.case_export, name="case-export"),
    path("cases/<int:pk>/", views_case.case_detail, name="case-detail"),
    path(
        "cases/<int:pk>/transitions/<slug:name>/",
        views_case.case_transition,
        name="case-transition",
    ),
    path("cases/<int:pk>/overrides/", views_case.case_override, name="case-override"),
    path("cases/<int:pk>/subsidy/", views_case.case_subsidy_create, name="case-subsidy"),
    path(
        "cases/<int:pk>/guidance/<int:action_id>/done/",
        views_case.guidance_done,
        name="case-guidance-done",
    ),
    path("cases/<int:pk>/survey/", views_survey.survey_form, name="case-survey"),
    path("cases/<int:pk>/report/", views_reports.case_report, name="case-report"),
    path("cases/<int:pk>/report.pdf", views_reports.case_report_pdf, name="case-report-pdf"),
    # Unions
    path("unions/", union_views.union_list, name="union-list"),
    path("unions/export/", union_views.union_export, name="union-export"),
    path("unions/<int:pk>/", union_views.union_detail, name="union-detail"),
    # Subsidies
    path("subsidies/", views_lists.subsidy_list, name="subsidy-list"),
    path("subsidies/export/", views_lists.subsidy_export, name="subsidy-export"),
    path(
        "subsidies/<int:pk>/transitions/<slug:name>/",
        views_case.subsidy_transition,
        name="subsidy-transition",
    ),
    # County summaries
    path("summaries/", views_lists.summary_list, name="summary-list"),
    path("summaries/export/", views_lists.summary_export, name="summary-export"),
    path("summaries/new/", views_reports.summary_start, name="summary-start"),
    path("summaries/<int:pk>/", views_reports.summary_detail, name="summary-detail"),
    path("summaries/<int:pk>/edit/", views_reports.summary_edit, name="summary-edit"),
    path(
        "summaries/<int:pk>/transitions/<slug:name>/",
        views_reports.summary_transition,
        name="summary-transition",
    ),
    path("summaries/<int:pk>/print/", views_reports.summary_print, name="summary-print"),
    path("summaries/<int:pk>/summary.pdf", views_reports.summary_pdf, name="summary-pdf"),
    # Dashboard and audit
    path("dashboard/", views_dashboard.dashboard, name="dashboard"),
    path("audit/", views_audit.audit_explorer, name="audit"),
    path("audit/export/", views_audit.audit_export, name="audit-export"),
    path(
        "audit/changes/<slug:model_name>/<int:history_id>/",
        views_audit.audit_change,
        name="audit-change",
    ),
    path("audit/as-of/", views_audit.audit_as_of, name="audit-as-of"),
    # Public, no login: the selected model unions (选树先进典型并进行宣传)
    path("models/", public.model_unions_page, name="public-models"),
    path("healthz/", views.healthz, name="healthz"),
]
