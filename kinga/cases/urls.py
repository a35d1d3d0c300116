"""The case pages: one URL and one view per form or step, each with its own name.

The paths keep their shape (`<case>/add/<form>/`, `<case>/act/<step>/`); a form or step
that does not exist falls through to `case_step_unknown`, the case's own audited 404.
"""

from __future__ import annotations

from django.urls import path

from kinga.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("my-work/", views.my_work, name="my_work"),
    path("new/", views.case_new, name="new"),
    path("<int:case_id>/", views.case_detail, name="detail"),
    path("<int:case_id>/print/", views.case_print, name="print"),
    # forms that add a record
    path("<int:case_id>/add/team/", views.team_add, name="team_add"),
    path("<int:case_id>/add/child/", views.child_edit, name="child_edit"),
    path("<int:case_id>/add/consent/", views.consent_record, name="consent_record"),
    path("<int:case_id>/add/override/", views.consent_override, name="consent_override"),
    path("<int:case_id>/add/assessment/", views.assessment_record, name="assessment_record"),
    path("<int:case_id>/add/plan_item/", views.plan_item_add, name="plan_item_add"),
    path(
        "<int:case_id>/plan_item/<int:item_id>/edit/",
        views.plan_item_edit,
        name="plan_item_edit",
    ),
    path("<int:case_id>/add/note/", views.note_add, name="note_add"),
    path("<int:case_id>/add/interview_plan/", views.interview_plan, name="interview_plan"),
    path("<int:case_id>/add/interview/", views.interview_record, name="interview_record"),
    path("<int:case_id>/add/session/", views.session_record, name="session_record"),
    path("<int:case_id>/add/wellbeing/", views.wellbeing_record, name="wellbeing_record"),
    path("<int:case_id>/add/safety/", views.safety_event_record, name="safety_event_record"),
    path(
        "<int:case_id>/add/reintegration/",
        views.reintegration_record,
        name="reintegration_record",
    ),
    path("<int:case_id>/add/follow_up/", views.follow_up_record, name="follow_up_record"),
    path("<int:case_id>/add/task/", views.task_create, name="task_create"),
    path("<int:case_id>/add/promise/", views.promise_make, name="promise_make"),
    path("<int:case_id>/add/closure/", views.closure_request, name="closure_request"),
    path("<int:case_id>/add/transfer/", views.transfer_request, name="transfer_request"),
    path("<int:case_id>/add/reopen/", views.case_reopen, name="reopen"),
    path("<int:case_id>/add/risk/", views.risk_set, name="risk_set"),
    # steps that move the case along (POST)
    path("<int:case_id>/act/plan_submit/", views.plan_submit, name="plan_submit"),
    path("<int:case_id>/act/plan_approve/", views.plan_approve, name="plan_approve"),
    path("<int:case_id>/act/plan_return/", views.plan_return, name="plan_return"),
    path("<int:case_id>/act/closure_approve/", views.closure_approve, name="closure_approve"),
    path("<int:case_id>/act/closure_return/", views.closure_return, name="closure_return"),
    path("<int:case_id>/act/transfer_accept/", views.transfer_accept, name="transfer_accept"),
    path("<int:case_id>/act/transfer_decline/", views.transfer_decline, name="transfer_decline"),
    path("<int:case_id>/act/task_done/", views.task_done, name="task_done"),
    path("<int:case_id>/act/promise_keep/", views.promise_keep, name="promise_keep"),
    path("<int:case_id>/act/promise_explain/", views.promise_explain, name="promise_explain"),
    path("<int:case_id>/act/consent_withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("<int:case_id>/act/team_remove/", views.team_remove, name="team_remove"),
    path("<int:case_id>/act/follow_up_start/", views.follow_up_start, name="follow_up_start"),
    path("<int:case_id>/act/interview_cancel/", views.interview_cancel, name="interview_cancel"),
    # anything else under a case: the case's audited 404
    path("<int:case_id>/add/<slug:step>/", views.case_step_unknown, name="add_unknown"),
    path("<int:case_id>/act/<slug:step>/", views.case_step_unknown, name="act_unknown"),
]
