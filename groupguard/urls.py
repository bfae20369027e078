from django.contrib import admin
from django.urls import include, path

from groupguard.api.api import api

admin.site.site_header = "groupguard administration"
admin.site.site_title = "groupguard"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("groupguard.web.urls")),
]

handler400 = "groupguard.web.views.errors.bad_request"
handler403 = "groupguard.web.views.errors.permission_denied"
handler404 = "groupguard.web.views.errors.page_not_found"
handler500 = "groupguard.web.views.errors.server_error"
