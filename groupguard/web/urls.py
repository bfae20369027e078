from django.contrib.auth import views as auth_views
from django.urls import path

from groupguard.web.views import (
    account,
    agreements,
    audit,
    dashboard,
    groups,
    members,
    sessions,
    signing,
    staff,
)

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
    path("groups/<uuid:group_id>/agreement/", agreements.agreement, name="agreement"),
    path(
        "groups/<uuid:group_id>/agreement/draft/",
        agreements.agreement_draft,
        name="agreement_draft",
    ),
    path(
        "groups/<uuid:group_id>/agreement/clauses/",
        agreements.agreement_custom_clause,
        name="agreement_custom_clause",
    ),
    path(
        "groups/<uuid:group_id>/agreement/versions/<int:number>/",
        agreements.agreement_version,
        name="agreement_version",
    ),
    path(
        "groups/<uuid:group_id>/agreement/members/<uuid:member_id>/link/",
        agreements.agreement_link,
        name="agreement_link",
    ),
    path(
        "groups/<uuid:group_id>/agreement/links/<uuid:link_id>/revoke/",
        agreements.agreement_link_revoke,
        name="agreement_link_revoke",
    ),
    path(
        "groups/<uuid:group_id>/agreement/members/<uuid:member_id>/signature/",
        agreements.agreement_signature,
        name="agreement_signature",
    ),
    path(
        "groups/<uuid:group_id>/agreement/members/<uuid:member_id>/withdraw/",
        agreements.agreement_withdraw,
        name="agreement_withdraw",
    ),
    path(
        "groups/<uuid:group_id>/agreement/revisit/",
        agreements.agreement_revisit,
        name="agreement_revisit",
    ),
    path(
        "groups/<uuid:group_id>/agreement/signatures/<uuid:signature_id>/copy.pdf",
        agreements.agreement_copy,
        name="agreement_copy",
    ),
    path("sign/<str:token>/", signing.sign_start, name="sign_start"),
    path("sign/<str:token>/read/", signing.sign_read, name="sign_read"),
    path("sign/<str:token>/sign/", signing.sign_finish, name="sign_finish"),
    path("sessions/<uuid:session_id>/", sessions.session_detail, name="session_detail"),
    path("sessions/<uuid:session_id>/status/", sessions.session_status, name="session_status"),
    path(
        "sessions/<uuid:session_id>/attendance/<uuid:member_id>/",
        sessions.attendance_set,
        name="attendance_set",
    ),
    path(
        "sessions/<uuid:session_id>/attendance/<uuid:member_id>/override/",
        sessions.attendance_override,
        name="attendance_override",
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
