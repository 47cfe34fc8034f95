"""The outcomes app's chart pages. They are mounted (namespace ``outcomes``) by
``ketapath.portal.outcome_urls``, next to the outcomes page, which reads portal data."""

from django.urls import path

from ketapath.outcomes import views

urlpatterns = [
    path("follow-ups/check/", views.sync, name="sync"),
    path("liver/", views.liver, name="liver"),
    path("review/", views.review, name="review"),
    path("reviews/<int:review_id>/", views.review_detail, name="review_detail"),
    path("reviews/<int:review_id>/amend/", views.review_amend, name="review_amend"),
]
