"""Load test of Batea's main pages and API as signed-in users (locust, headless).

Run by `make load` against a server on a database `batea synth` filled; by hand:

    python bench/load/targets.py > /tmp/batea-load-targets.json
    LOAD_TARGETS=/tmp/batea-load-targets.json locust -f bench/load/locustfile.py \
        --headless -u 20 -r 5 -t 3m -H http://127.0.0.1:8000 --csv /tmp/batea-load

Three kinds of user, all synthetic logins (password LOAD_PASSWORD, default synth-password):
the manager of the biggest ASMO (member list pages, search, member, pathway, assessments,
certificate, API), the federation's support officer (portfolio, ASMO pages) and a refinery's
buyer (lots, lot trace page and API, sales). Every request is named by its route, so the
figures come per endpoint. This file is not a benchmark module (`python -m bench` does not
run it) and pytest does not collect it.
"""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from urllib.parse import urlencode

from locust import FastHttpUser, between, task

TARGETS = json.loads(
    Path(os.environ.get("LOAD_TARGETS", "/tmp/batea-load-targets.json")).read_text()
)
PASSWORD = os.environ.get("LOAD_PASSWORD", "synth-password")
# Endpoint names to leave out (comma-separated), to measure the rest without the slow ones.
SKIP = {name for name in os.environ.get("LOAD_SKIP", "").split(",") if name}


class SignedIn(FastHttpUser):
    """A user who signs in first (CSRF token from the login page, then the form).

    FastHttpUser (geventhttpclient) spends several times less CPU per request than the
    requests-based HttpUser: locust shares the machine with the server it measures.
    """

    abstract = True
    username = ""
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        self.client.get("/accounts/login/", name="login page")
        token = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        form = {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        response = self.client.post(
            "/accounts/login/",
            urlencode(form),
            headers={
                "Referer": f"{self.host}/accounts/login/",
                "Content-Type": "application/x-www-form-urlencoded",
            },
            name="login",
            allow_redirects=False,
        )
        if response.status_code != 302:
            raise RuntimeError(f"{self.username} could not sign in ({response.status_code})")

    def get(self, url: str, name: str) -> None:
        if name not in SKIP:
            self.client.get(url, name=name)


class Manager(SignedIn):
    """The manager of the biggest synthetic ASMO."""

    username = "synth-manager"
    weight = 3

    def setup_org(self) -> tuple[str, str]:
        return TARGETS["asmo"]["slug"], TARGETS["asmo"]["id"]

    @task(4)
    def member_list(self) -> None:
        slug, _ = self.setup_org()
        self.get(f"/orgs/{slug}/members/", "/orgs/[asmo]/members/")

    @task(2)
    def member_list_page(self) -> None:
        slug, _ = self.setup_org()
        page = random.randint(2, TARGETS["pages"])
        self.get(f"/orgs/{slug}/members/?page={page}", "/orgs/[asmo]/members/?page=N")

    @task(2)
    def member_search(self) -> None:
        slug, _ = self.setup_org()
        name = random.choice(TARGETS["family_names"])
        self.get(f"/orgs/{slug}/members/?q={name}", "/orgs/[asmo]/members/?q=name")

    @task(2)
    def member(self) -> None:
        self.get(f"/members/{random.choice(TARGETS['members'])}/", "/members/[id]/")

    @task(2)
    def organisation(self) -> None:
        slug, _ = self.setup_org()
        self.get(f"/orgs/{slug}/", "/orgs/[asmo]/")

    @task(1)
    def pathway(self) -> None:
        slug, _ = self.setup_org()
        self.get(f"/orgs/{slug}/pathway/", "/orgs/[asmo]/pathway/")

    @task(1)
    def assessments(self) -> None:
        slug, _ = self.setup_org()
        self.get(f"/orgs/{slug}/assessments/", "/orgs/[asmo]/assessments/")

    @task(1)
    def certificate(self) -> None:
        self.get(f"/certificates/{TARGETS['certificate']}/", "/certificates/[id]/")

    @task(3)
    def api_members(self) -> None:
        _, pk = self.setup_org()
        page = random.randint(1, TARGETS["pages"])
        self.get(f"/api/members/?organisation={pk}&page={page}", "/api/members/?page=N")

    @task(1)
    def home(self) -> None:
        self.get("/", "/")


class Federation(SignedIn):
    """The federation's support officer, following its ASMOs."""

    username = "synth-federation"
    weight = 1

    @task(2)
    def portfolio(self) -> None:
        self.get("/portfolio/", "/portfolio/")

    @task(3)
    def asmo(self) -> None:
        self.get(f"/orgs/{random.choice(TARGETS['asmos'])}/", "/orgs/[any asmo]/")

    @task(2)
    def asmo_members(self) -> None:
        slug = random.choice(TARGETS["asmos"])
        self.get(f"/orgs/{slug}/members/", "/orgs/[any asmo]/members/")

    @task(1)
    def api_organisations(self) -> None:
        self.get("/api/organisations/", "/api/organisations/")


class Buyer(SignedIn):
    """A buyer at the first synthetic refinery, tracing what it sold."""

    username = "synth-buyer"
    weight = 2

    @task(2)
    def lots(self) -> None:
        self.get("/lots/", "/lots/")

    @task(3)
    def lot(self) -> None:
        self.get(f"/lots/{random.choice(TARGETS['bars'])}/", "/lots/[code]/")

    @task(2)
    def api_trace(self) -> None:
        self.get(f"/api/lots/{random.choice(TARGETS['bar_ids'])}/trace/", "/api/lots/[id]/trace/")

    @task(1)
    def api_lots(self) -> None:
        self.get("/api/lots/", "/api/lots/")

    @task(1)
    def api_sales(self) -> None:
        self.get("/api/sales/", "/api/sales/")
