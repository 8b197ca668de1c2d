"""The project's URLs plus the bench's two baseline views (bench.settings only)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("bench/insert/", views.bare_insert, name="bench-insert"),
    path("bench/insert-task/", views.bare_insert_task, name="bench-insert-task"),
    path("", include("config.urls")),
]

handler404 = "marketplace.views.not_found"
handler500 = "marketplace.views.server_error"
