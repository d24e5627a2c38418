from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("api/v1/", include("config.api")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("inspections.urls")),
    path("", include("workflows.urls")),
]
