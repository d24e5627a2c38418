from django.contrib import admin
from django.urls import include, path

from unions.views_language import set_language

urlpatterns = [
    path("api/v1/", include("config.api")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("", include("inspections.urls")),
    path("", include("workflows.urls")),
]
