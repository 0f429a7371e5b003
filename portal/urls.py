from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.login_page, name="login"),
    path("logout/", views.logout_page, name="logout"),
    path("profile/", views.profile, name="profile"),
    path("keys/", views.keys, name="keys"),
    path("keys/<int:key_id>/revoke/", views.key_revoke, name="key-revoke"),
    path("usage/", views.usage, name="usage"),
    path("try/", views.try_it, name="try-it"),
    path("jobs/", views.jobs, name="jobs"),
    path("jobs/<uuid:job_id>/archive/", views.job_archive, name="job-archive"),
]
