from django.urls import path

from . import views

app_name = "leads"

urlpatterns = [
    path("quote/", views.quote_form, name="quote"),
    path("pros/<slug:contractor_slug>/quote/", views.quote_form, name="profile-quote"),
    path("quote/sent/<str:token>/", views.quote_sent, name="sent"),
    path("requests/<str:token>/", views.request_status, name="status"),
    path("requests/<str:token>/not-mine/", views.dispute, name="dispute"),
    path("requests/<str:token>/hired/", views.hired, name="hired"),
    path("requests/<str:token>/other-pros/", views.release, name="release"),
    path("reviews/<str:token>/", views.review, name="review"),
]
