from django.contrib.auth import views as auth_views
from django.urls import path

from groupguard.web.views import account, audit, dashboard, groups, members, sessions, staff

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("healthz", dashboard.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("groups/new/", groups.group_create, name="group_create"),
    path("groups/<uuid:group_id>/", groups.group_detail, name="group_detail"),
    path("groups/<uuid:group_id>/edit/", groups.group_edit, name="group_edit"),
    path("groups/<uuid:group_id>/enroll/", groups.group_enroll, name="group_enroll"),
    path(
        "groups/<uuid:group_id>/sessions/",
        groups.group_schedule_session,
        name="group_schedule_session",
    ),
    path(
        "groups/<uuid:group_id>/enrollments/<uuid:enrollment_id>/end/",
        groups.enrollment_end,
        name="enrollment_end",
    ),
    path("sessions/<uuid:session_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<uuid:session_id>/status/", sessions.session_status, name="session_status"),
    path(
        "sessions/<uuid:session_id>/attendance/<uuid:member_id>/",
        sessions.attendance_set,
        name="attendance_set",
    ),
    path("members/", members.member_list, name="member_list"),
    path("members/new/", members.member_create, name="member_create"),
    path("members/<uuid:member_id>/", members.member_detail, name="member_detail"),
    path("members/<uuid:member_id>/edit/", members.member_edit, name="member_edit"),
    path("members/<uuid:member_id>/roles/", members.role_create, name="role_create"),
    path("members/<uuid:member_id>/roles/<uuid:role_id>/end/", members.role_end, name="role_end"),
    path("practice/", staff.practice_settings, name="practice_settings"),
    path("practice/staff/new/", staff.staff_create, name="staff_create"),
    path("practice/staff/<int:user_id>/licence/", staff.staff_profile, name="staff_profile"),
    path("practice/staff/<int:user_id>/active/", staff.staff_active, name="staff_active"),
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("account/tokens/", account.tokens, name="tokens"),
    path("account/tokens/<int:token_id>/revoke/", account.token_revoke, name="token_revoke"),
]
