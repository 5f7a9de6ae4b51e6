from django.urls import path

from batea.groups import views

urlpatterns = [
    path(
        "members/<uuid:member_id>/decide/", views.MemberDecisionView.as_view(), name="member-decide"
    ),
]
