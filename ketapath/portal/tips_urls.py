from django.urls import path

from ketapath.portal import tips_views

app_name = "clinic_tips"
urlpatterns = [
    path("", tips_views.tip_list, name="list"),
    path("customise/", tips_views.customise_tips, name="customise"),
    path("<int:tip_id>/", tips_views.tip_edit, name="edit"),
]
