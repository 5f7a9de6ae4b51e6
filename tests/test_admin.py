"""Platform staff manage the registry, users and roles in the Django admin."""

import pytest
from django.contrib import admin

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_page_opens_for_staff(world, client_for, model):
    client = client_for(world.superuser)
    info = (model._meta.app_label, model._meta.model_name)
    assert client.get("/admin/{}/{}/".format(*info)).status_code == 200
    assert client.get("/admin/{}/{}/add/".format(*info)).status_code in (200, 403)


def test_the_admin_refuses_a_role_that_does_not_fit_the_organisation(world, client_for):
    from batea.access.models import RoleAssignment

    response = client_for(world.superuser).post(
        "/admin/access/roleassignment/add/",
        {"user": world.outsider.pk, "organisation": world.buyer.pk, "role": "asmo_manager"},
    )
    assert response.status_code == 200
    assert "cannot be held" in response.content.decode()
    assert not RoleAssignment.objects.filter(user=world.outsider).exists()
