from django.urls import path

from ketapath.infusions import views

app_name = "infusions"
urlpatterns = [
    path("", views.patient_session_list, name="patient"),
    path("open/<int:planned_id>/", views.open_session, name="open"),
    path("<int:session_id>/", views.flowsheet_page, name="flowsheet"),
    path("<int:session_id>/live/", views.live, name="live"),
    # An observation round (vital signs and the scales due with them) in one save.
    path("<int:session_id>/round/", views.round_entry, name="round"),
    # An entry form kept one click away, drawn when opened.
    path("<int:session_id>/forms/<str:name>/", views.entry_form, name="entry_form"),
    # Every kind of entry is charted and corrected by one view (the registry in kinds.py).
    path("<int:session_id>/entries/<str:kind>/", views.entry, name="entry"),
    path("<int:session_id>/correct/<str:kind>/<int:entry_id>/", views.entry, name="correct"),
    # The first kinds' own addresses, kept so bookmarks and pages that name them still work.
    path("<int:session_id>/pre-checks/", views.entry, {"kind": "precheck"}, name="precheck"),
    path("<int:session_id>/vitals/", views.entry, {"kind": "vitals"}, name="vitals"),
    path("<int:session_id>/events/", views.entry, {"kind": "event"}, name="event"),
    path("<int:session_id>/scores/<str:scale>/", views.entry, {"kind": "score"}, name="score"),
    path("<int:session_id>/side-effects/", views.entry, {"kind": "side-effect"}, name="side_effect"),
    path("<int:session_id>/medications/", views.entry, {"kind": "medication"}, name="medication"),
    path("<int:session_id>/decision/", views.entry, {"kind": "decision"}, name="decision"),
    path("<int:session_id>/discharge/", views.entry, {"kind": "discharge"}, name="discharge"),
    path("<int:session_id>/alerts/<int:alert_id>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<int:session_id>/not-given/", views.not_given, name="not_given"),
    path("<int:session_id>/sign/", views.sign, name="sign"),
    path("<int:session_id>/cosign/", views.cosign, name="cosign"),
    path("<int:session_id>/addenda/", views.addendum, name="addendum"),
]
