"""Pages of the inspections app (the Excel roster and exports)."""

from django.urls import path

from . import views

app_name = "inspections"

urlpatterns = [
    path("imports/", views.import_list, name="import-list"),
    path("imports/<int:pk>/", views.import_detail, name="import-detail"),
    path("imports/template.xlsx", views.import_template, name="import-template"),
    path("unions/export.xlsx", views.union_export, name="union-export"),
]
