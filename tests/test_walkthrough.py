"""Walkthrough: every role's main journey, in a real browser, in English and in Spanish.

The whole demo (`batea demo`) is loaded once for this module and served by a live server of
its own. For each language and each role a person opens Batea on a phone, picks the
language in the selector (Spanish run), signs in with the role's demo login and clicks
through the role's main pages, doing the role's key action where the web has one. At every
step the page must answer without error, in the chosen language, without sideways
scrolling on the phone, and show what the person came for.

Every step is saved as a full-page phone screenshot (390×844), the key page of each role
also at desktop width (1280×800), into $BATEA_WALKTHROUGH_DIR (default build/walkthrough),
as <lang>/<role>-<nn>-<step>.png, with an index.html to look at them. See
docs/walkthrough.md.

Uses Debian's chromium (never a downloaded browser); skipped with the reason where it is
not installed.
"""

import html
import io
import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from tests.chromium import launch, needs_chromium
from tests.conftest import EXAMPLE_STANDARD, example_version_1_1

ROOT = Path(__file__).resolve().parent.parent
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = ["en", "es"]

pytestmark = [
    pytest.mark.browser,
    needs_chromium,
]


def album_dir() -> Path:
    return Path(os.environ.get("BATEA_WALKTHROUGH_DIR") or ROOT / "build" / "walkthrough")


def t(lang: str, message: str, **params) -> str:
    """The message as a person reading `lang` sees it."""
    with translation.override(lang):
        text = translation.gettext(message)
    return text % params if params else text


# --- The demo, served once for the module ------------------------------------------------


@dataclass
class Demo:
    url: str
    facts: dict
    labels: dict  # language -> {what: label}


def collect_facts() -> dict:
    """What the pages must show, read from the database the demo filled."""
    from django.contrib.auth import get_user_model

    from batea.certification.models import Certificate
    from batea.registry.models import Member, Organisation, Relation

    users = get_user_model().objects
    rio = Organisation.objects.get(slug="rio-claro")
    sol = Organisation.objects.get(slug="sol-de-oro")
    certificate = Certificate.objects.get(organisation=rio)
    inspected = (
        Member.objects.filter(organisation=rio, status="approved")
        .order_by("family_name", "given_name")
        .first()
    )
    return {
        "names": {u.username: u.get_full_name() for u in users.all()},
        "rio": rio.name,
        "rio_members": rio.members.count(),
        "sol": sol.name,
        "sol_members": sol.members.count(),
        "sol_site": sol.sites.order_by("name").first().name,
        "standard_owner": Organisation.objects.get(slug="demo-standards").name,
        "certificate": certificate.number,
        "inspected_member": inspected.full_name,
        "portfolio": Relation.objects.filter(
            kind="support", source__slug="andes-lakes-support"
        ).count(),
        "suppliers": Relation.objects.filter(kind="supply", source__slug="aurora-refining")
        .values("target")
        .distinct()
        .count(),
    }


def collect_labels(lang: str) -> dict:
    """Labels that come from the database or from Django, in the language."""
    from batea.access.models import ROLE_LABELS, RoleAssignment
    from batea.assessments.forms import version_label
    from batea.standards.models import StandardVersion

    with translation.override(lang):
        return {
            "roles": {str(role): str(label) for role, label in ROLE_LABELS.items()},
            "role_assignments": str(RoleAssignment._meta.verbose_name_plural),
            "role_assignment": str(RoleAssignment._meta.verbose_name),
            # How the new-assessment form names each version ("<code> <number>").
            "versions": {
                f"{version.standard.code} {version.version}": version_label(version)
                for version in StandardVersion.objects.select_related("standard")
            },
        }


@pytest.fixture
def transactional_db():
    """Here in place of pytest-django's, which would empty the database after each test:
    the demo stays loaded from test to test and is emptied once, when the module ends. The
    name still tells pytest-django to set up the test database and to run these tests with
    the other transactional ones."""


def in_test_database() -> bool:
    """Whether pytest-django has switched the connection to a test database."""
    from django.db import connection
    from django.db.backends.base.creation import TEST_DATABASE_PREFIX

    name = str(connection.settings_dict["NAME"])
    return name == connection.creation._get_test_db_name() or name.startswith(TEST_DATABASE_PREFIX)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """`batea demo` in the test database and a live server over it, for the whole module.

    The tests here do not use pytest-django's `live_server`, which would empty the database
    after each test; the database is emptied once at the end instead, as after any
    transactional test."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from pytest_django.live_server_helper import LiveServer

    with django_db_blocker.unblock():
        assert in_test_database(), "the walkthrough loads and empties only a test database"
        try:
            call_command("demo", stdout=io.StringIO())
            demo = Demo(
                url="",
                facts=collect_facts(),
                labels={lang: collect_labels(lang) for lang in LANGUAGES},
            )
            server = LiveServer("localhost")
            server._live_server_modified_settings.enable()
            demo.url = server.url
            try:
                yield demo
            finally:
                server._live_server_modified_settings.disable()
                server.stop()
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def browser(demo):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        yield browser
        browser.close()


# --- The album of screenshots ----------------------------------------------------------


@pytest.fixture(scope="module")
def album():
    """Screenshots taken in this module, listed in index.html when the module ends (with
    those of earlier runs still on disk)."""
    folder = album_dir()
    manifest_path = folder / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text())
    except (OSError, ValueError):
        manifest = {}
    yield manifest
    for lang in list(manifest):
        for role in list(manifest[lang]):
            manifest[lang][role] = [
                s for s in manifest[lang][role] if (folder / s["file"]).exists()
            ]
    folder.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    (folder / "index.html").write_text(index_html(manifest), encoding="utf-8")


def index_html(manifest: dict) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>Batea walkthrough</title><style>",
        "body{font-family:system-ui,sans-serif;margin:1rem;background:#fbf8f3}",
        "figure{display:inline-block;vertical-align:top;margin:0 1rem 1rem 0;width:200px}",
        "img{width:100%;height:433px;object-fit:cover;object-position:top;border:1px solid #ccc}",
        "figure.desktop{width:420px}figure.desktop img{height:263px}",
        "figcaption{font-size:.85rem}nav a{margin-right:1rem}</style></head><body>",
        "<h1>Batea walkthrough</h1><p>Each role's main journey, step by step, as a phone "
        "shows it (390×844), with the key page also at desktop width (1280×800). Each "
        "picture shows the top of the page: open it for the whole page. Made by "
        "<code>tests/test_walkthrough.py</code>.</p><nav>",
    ]
    for lang in LANGUAGES:
        if lang in manifest:
            for role in ROLES:
                if manifest[lang].get(role):
                    parts.append(f"<a href='#{lang}-{role}'>{lang} · {role}</a>")
    parts.append("</nav>")
    for lang in LANGUAGES:
        for role in ROLES:
            shots = manifest.get(lang, {}).get(role)
            if not shots:
                continue
            parts.append(f"<section id='{lang}-{role}'><h2>{role} · {lang}</h2>")
            for shot in shots:
                cls = " class='desktop'" if shot["desktop"] else ""
                src = html.escape(shot["file"])
                caption = html.escape(shot["caption"])
                parts.append(
                    f"<figure{cls}><a href='{src}'><img src='{src}' loading='lazy' alt=''></a>"
                    f"<figcaption>{caption}</figcaption></figure>"
                )
            parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


# --- Known bugs ---------------------------------------------------------------------
# Each is met on the way and the journey goes on as the person would. A run fails when one
# of them no longer happens, so that it is taken off these lists once fixed.

DATE_NOT_PREFILLED = (
    "the date of a new assessment is empty, so the browser refuses the form until the person "
    "picks one: the date input (type=date) of NewAssessmentForm gets the date written the "
    "Spanish way instead of YYYY-MM-DD (batea/assessments/forms.py, format='%Y-%m-%d')"
)
KNOWN_FLAWS: dict[tuple[str, str], set[str]] = {}
# English left on a page in another language: {language: {path: texts}}.
KNOWN_ENGLISH: dict[str, dict[str, set[str]]] = {}


# --- One person's walk ----------------------------------------------------------------

# Every text node and every text a person reads in an attribute, to find English left in a
# page in another language.
PAGE_TEXTS = """() => {
  // Language names are written in their own language; the map's credit is a name; Django's
  // admin writes the search icon's alt text in English in every language.
  const SKIP = 'script, style, noscript, #language-select, .leaflet-control-attribution, '
    + '#changelist-search img';
  const texts = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const parent = walker.currentNode.parentElement;
    if (!parent || parent.closest(SKIP)) continue;
    const text = walker.currentNode.textContent.replace(/\\s+/g, ' ').trim();
    if (text) texts.add(text);
  }
  for (const el of document.querySelectorAll('[placeholder], [aria-label], [title], [alt]')) {
    if (el.closest(SKIP)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt']) {
      const value = (el.getAttribute(name) || '').trim();
      if (value) texts.add(value);
    }
  }
  texts.add(document.title.split(' · ')[0].trim());
  return [...texts];
}"""

CHARTS_DRAWN = """() => [...document.querySelectorAll('.insights-chart')]
  .every(chart => chart.querySelector('.main-svg'))"""

WIDTH_IS = "(width) => window.innerWidth === width"


class Walk:
    """A person on a phone, in one language, walking one role's journey."""

    def __init__(self, browser, demo: Demo, album: dict, lang: str, role: str):
        self.demo = demo
        self.lang = lang
        self.role = role
        self.labels = demo.labels[lang]
        self.facts = demo.facts
        # The browser asks for English; a Spanish reader picks Spanish in the selector.
        self.context = browser.new_context(viewport=PHONE, locale="en-GB")
        self.context.set_default_timeout(15_000)
        self.problems: list[str] = []
        self.english: dict[str, set[str]] = {}  # path of a page -> English texts on it
        self.flaws: set[str] = set()
        self.page = self.watch(self.context.new_page())
        self.number = 0
        self.folder = album_dir() / lang
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob(f"{role}-*.png"):
            old.unlink()
        self.shots = album.setdefault(lang, {})[role] = []

    def t(self, message: str, **params) -> str:
        return t(self.lang, message, **params)

    def watch(self, page):
        base = self.demo.url

        def on_response(response):
            if response.status >= 400 and response.url.startswith(base):
                self.problems.append(f"{response.status} {response.url}")

        page.on("response", on_response)
        page.on("pageerror", lambda error: self.problems.append(f"JavaScript error: {error}"))
        return page

    # Moving around, as a person does.

    def sign_in(self, username: str, shoot: bool = False) -> None:
        """Open Batea, pick the language (Spanish run) and sign in; the sign-in page is the
        same for every role, so it is kept as a picture once (`shoot`)."""
        page = self.page
        self.arrive(lambda: page.goto(f"{self.demo.url}/"))
        assert "/accounts/login/" in page.url, "an anonymous visitor is sent to sign in"
        if self.lang != "en":
            self.arrive(lambda: page.select_option("#language-select", self.lang))
        assert self.heading() == self.t("Sign in")
        if shoot:
            self.see("sign-in")
        else:
            self.check()
        page.fill("#id_username", username)
        page.fill("#id_password", "batea-demo")
        self.arrive(lambda: page.locator("main button[type=submit]").click())
        assert page.url == f"{self.demo.url}/", "signing in leads to the home page"

    def arrive(self, action) -> None:
        """Do what leads to another page and wait until it has loaded."""
        with self.page.expect_navigation() as navigation:
            action()
        response = navigation.value
        assert response is not None and response.ok, (
            f"{response and response.status} {self.page.url}"
        )

    def link(self, name: str, within: str = "main", nth: int = 0):
        return self.page.locator(within).get_by_role("link", name=name, exact=True).nth(nth)

    def follow(self, name: str, within: str = "main", nth: int = 0) -> None:
        self.arrive(lambda: self.link(name, within, nth).click())

    def nav(self, message: str) -> None:
        """A link of the main menu in the header."""
        self.follow(self.t(message), within="header nav")

    # What the person sees.

    def heading(self) -> str:
        return " ".join(self.page.locator("h1").first.inner_text().split())

    def text(self, selector: str = "main") -> str:
        return " ".join(self.page.locator(selector).first.inner_text().split())

    def english_left(self, page) -> set[str]:
        """Texts of the page that the catalogue would have translated but that came in
        English: a message not marked for translation in place, or translated too early."""
        left = set()
        usernames = set(self.facts["names"])  # data, such as the login `standards`
        for text in page.evaluate(PAGE_TEXTS):
            for candidate in {text, text.rstrip(" :›→.…")}:
                if candidate not in usernames and t(self.lang, candidate) != candidate:
                    left.add(candidate)
        return left

    def check(self) -> None:
        """The page answered, in the person's language, and fits the phone's width."""
        page = self.page
        assert page.locator("html").get_attribute("lang") == self.lang
        assert not self.problems, f"{page.url}: {self.problems}"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{page.url} scrolls sideways on a phone ({width} px)"
        if self.lang != "en":
            path = urlsplit(page.url).path
            self.english.setdefault(path, set()).update(self.english_left(page))

    def ready(self, page, wait_for: str | None) -> None:
        if wait_for == "charts":
            page.wait_for_function(CHARTS_DRAWN)
        elif wait_for:
            page.locator(wait_for).first.wait_for()

    def see(self, step: str, wait_for: str | None = None, desktop: bool = False) -> None:
        """Check the page as it is now and keep a full-page screenshot of it."""
        self.ready(self.page, wait_for)
        self.check()
        self.number += 1
        name = f"{self.role}-{self.number:02d}-{step}"
        caption = f"{self.number:02d} {step} — {self.heading()}"
        self.page.screenshot(path=self.folder / f"{name}.png", full_page=True)
        self.shots.append({"file": f"{self.lang}/{name}.png", "caption": caption, "desktop": False})
        if desktop:
            self.wide(self.folder / f"{name}-desktop.png")
            self.shots.append(
                {
                    "file": f"{self.lang}/{name}-desktop.png",
                    "caption": f"{caption} (desktop)",
                    "desktop": True,
                }
            )

    def wide(self, path: Path) -> None:
        """The same page on a wide screen: the window is made wide, then narrow again."""
        self.page.set_viewport_size(DESKTOP)
        self.page.wait_for_function(WIDTH_IS, arg=DESKTOP["width"])
        self.page.screenshot(path=path, full_page=True)
        self.page.set_viewport_size(PHONE)
        self.page.wait_for_function(WIDTH_IS, arg=PHONE["width"])

    def flaw(self, description: str) -> None:
        """A bug met on the way, listed in KNOWN_FLAWS or failing the run."""
        self.flaws.add(description)

    def finish(self) -> None:
        """Every page of the journey was in the person's language, and no bug was met but
        the known ones."""
        known = KNOWN_ENGLISH.get(self.lang, {})
        unexpected = {
            path: sorted(texts - known.get(path, set()))
            for path, texts in self.english.items()
            if texts - known.get(path, set())
        }
        assert unexpected == {}, f"English left in {self.lang}: {json.dumps(unexpected, indent=1)}"
        fixed = {
            path: sorted(texts - self.english[path])
            for path, texts in known.items()
            if path in self.english and texts - self.english[path]
        }
        assert fixed == {}, f"fixed, take off KNOWN_ENGLISH: {fixed}"
        assert self.flaws == KNOWN_FLAWS.get((self.lang, self.role), set())

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def walk(transactional_db, browser, demo, album):
    walks = []

    def start(lang: str, role: str) -> Walk:
        walks.append(Walk(browser, demo, album, lang, role))
        return walks[-1]

    yield start
    for w in walks:
        w.close()


# --- The journeys ---------------------------------------------------------------------


def arrive_home(w: Walk, username: str, role: str, shoot_sign_in: bool = False) -> None:
    """Sign in; the home page greets the person by name and names their role."""
    w.sign_in(username, shoot=shoot_sign_in)
    assert w.heading() == w.t("Welcome, %(name)s", name=w.facts["names"][username])
    assert w.labels["roles"][role] in w.text(".role-cards")
    w.see("home")


def manager(w: Walk) -> None:
    """The manager of Río Claro: the organisation, its members, one member, the pathway and
    its next steps."""
    facts = w.facts
    arrive_home(w, "manager", "asmo_manager", shoot_sign_in=True)
    assert str(facts["rio_members"]) in w.text(".tiles")

    w.follow(facts["rio"], within=".role-cards")
    assert w.heading() == facts["rio"]
    assert w.text("#members-title") == f"{w.t('Members')} {facts['rio_members']}"
    assert facts["certificate"] in w.text("#certificates-title + ul")
    w.see("organisation", wait_for="#site-map .leaflet-interactive")

    w.follow(w.t("Member list"))
    assert w.heading() == f"{w.t('Members')} {facts['rio_members']}"
    first = w.page.locator("main table tbody a").first
    name = first.inner_text()
    w.see("members")

    w.arrive(first.click)
    assert w.heading().startswith(name)
    assert w.t("Approval committee decisions") in w.text()
    w.see("member")

    w.follow(facts["rio"], within=".breadcrumbs")
    w.follow(w.t("Pathway"))
    assert w.heading() == w.t("Pathway")
    assert w.t("Next steps and deadlines") in w.text()
    assert w.page.locator(".timeline li").count() >= 1
    w.see("pathway", desktop=True)


def inspector(w: Walk) -> None:
    """The ICS inspector of Río Claro starts an internal inspection of a member and answers
    the first requirement."""
    facts = w.facts
    arrive_home(w, "inspector", "ics_inspector")

    w.follow(facts["rio"], within=".role-cards")
    w.follow(w.t("Assessments"))
    assert w.heading() == w.t("Assessments")
    start_assessment(
        w, "ICS inspection", "fairmined-style-progressive 1.1", member=facts["inspected_member"]
    )
    answer_first_requirement(w, facts["inspected_member"])


def start_assessment(w: Walk, kind: str, version: str, member=None, site=None) -> None:
    """Open "Start an assessment" on the assessments page, fill it in and start."""
    page = w.page
    page.locator("main summary", has_text=w.t("Start an assessment")).click()
    page.select_option("#id_kind", label=w.t(kind))
    page.select_option("#id_version", label=w.labels["versions"][version])
    if member:
        page.select_option("#id_member", label=member)
    if site:
        page.select_option("#id_site", label=site)
    w.see("new-assessment")
    date = page.locator("#id_assessed_on")
    if date.input_value() != timezone.localdate().isoformat():
        w.flaw(DATE_NOT_PREFILLED)
        date.fill(timezone.localdate().isoformat())
    w.arrive(lambda: page.locator("main form").get_by_role("button", name=w.t("Start")).click())
    assert w.heading().startswith(f"{w.t(kind)}:")


def answer_first_requirement(w: Walk, about: str) -> None:
    """The first requirement of the new assessment, answered and saved."""
    page = w.page
    assert about in w.text("main > p.muted")
    total = page.locator(".overview li").count()
    assert w.t("Requirement %(number)s of %(total)s", number=1, total=total) in w.text(".question")
    assert w.t("%(answered)s of %(total)s answered", answered=0, total=total) in w.text()
    w.see("first-requirement", desktop=True)

    if page.locator("input[name=score]").count():  # a development requirement, scored 1 to 5
        page.get_by_role("radio", name="4", exact=True).check()
    else:
        page.get_by_role("radio", name=w.t("Compliant"), exact=True).check()
    page.fill("textarea[name=notes]", "Walkthrough: seen on site.")
    w.arrive(lambda: page.get_by_role("button", name=w.t("Save and continue")).click())
    assert w.t("%(answered)s of %(total)s answered", answered=1, total=total) in w.text()
    assert w.t("Requirement %(number)s of %(total)s", number=2, total=total) in w.text(".question")
    w.see("answered")


def peer(w: Walk) -> None:
    """The peer reviewer at Sol de Oro records a peer review of a site."""
    facts = w.facts
    arrive_home(w, "peer", "peer_reviewer")

    w.follow(facts["sol"], within=".role-cards")
    assert w.heading() == facts["sol"]
    assert w.text("#members-title") == f"{w.t('Members')} {facts['sol_members']}"
    w.see("organisation", wait_for="#site-map .leaflet-interactive")

    w.follow(w.t("Assessments"))
    start_assessment(w, "Peer review", "craft-style-market-entry 1.1", site=facts["sol_site"])
    answer_first_requirement(w, facts["sol_site"])


def auditor(w: Walk) -> None:
    """The auditor of CertAndes looks at Sol de Oro's internal control system (coverage,
    risk and reliability, from which the audit sample is drawn) and opens an external
    audit."""
    facts = w.facts
    arrive_home(w, "auditor", "auditor")

    w.follow(w.t("Organisations under certification"))
    assert w.heading() == w.t("Organisations")
    assert facts["sol"] in w.text("table") and facts["rio"] in w.text("table")
    w.see("organisations")

    w.follow(facts["sol"])
    w.follow(w.t("Pathway"))
    assert w.heading() == w.t("Pathway")
    w.see("pathway")

    w.follow(w.t("Internal Control System"))
    assert w.heading() == w.t("Internal Control System")
    assert w.t("ICS reliability") in w.text()
    assert w.t("Due for inspection") in w.text()
    w.see("internal-control", desktop=True)

    w.follow(w.t("Pathway"), within=".breadcrumbs")
    w.follow(w.t("Assessments"))
    start_assessment(w, "External audit", "craft-style-market-entry 1.1")
    assert facts["sol"] in w.text("main > p.muted")
    w.see("audit")


def certifier(w: Walk) -> None:
    """The certifier of CertAndes reads Río Claro's certificate and its decisions, then opens
    the certification decision for Sol de Oro."""
    facts = w.facts
    arrive_home(w, "certifier", "certifier")

    w.follow(w.t("Organisations under certification"))
    w.follow(facts["rio"])
    assert w.heading() == facts["rio"]
    w.see("organisation", wait_for="#site-map .leaflet-interactive")

    w.follow(facts["certificate"])
    assert w.heading() == f"{w.t('Certificate')} {facts['certificate']} {w.t('Valid')}"
    assert w.t("Decisions") in w.text()
    assert w.page.get_by_role("button", name=w.t("Record the decision")).is_visible()
    w.see("certificate", desktop=True)

    w.nav("Organisations")
    w.follow(facts["sol"])
    w.follow(w.t("Certification decision"))
    assert w.heading() == w.t("Certification decision")
    assert w.page.get_by_label(w.t("Standard")).locator("option").count() >= 1
    assert w.page.get_by_role("button", name=w.t("Certify")).is_visible()
    w.see("decision")


def standards(w: Walk) -> None:
    """The standard owner reads a standard's version, imports two versions of a standard and
    compares them."""
    page = w.page
    arrive_home(w, "standards", "standard_owner")

    w.follow(w.t("Your standards and their versions"))
    assert w.heading() == w.t("Standards")
    w.see("standards")

    fairmined = page.locator("main section.card", has_text="fairmined-style-progressive")
    w.arrive(
        lambda: fairmined.get_by_role(
            "link", name=w.t("Version %(version)s", version="1.1")
        ).click()
    )
    assert w.t("Requirements") in w.text("#requirements-title")
    w.see("version")

    w.follow(w.t("Standards"), within=".breadcrumbs")
    w.follow(w.t("Import a new version"))
    assert w.heading() == w.t("Import a standard version")
    for name, content in (
        ("example-standard-1.0.yaml", EXAMPLE_STANDARD.read_bytes()),
        ("example-standard-1.1.yaml", example_version_1_1()),
    ):
        if not page.url.endswith("/standards/import/"):
            w.follow(w.t("Import a new version"))
        page.set_input_files(
            "input[type=file]", {"name": name, "mimeType": "text/yaml", "buffer": content}
        )
        page.select_option("main select", label=w.facts["standard_owner"])
        if name.endswith("1.0.yaml"):
            w.see("import")
        w.arrive(lambda: page.get_by_role("button", name=w.t("Check and import")).click())
        assert w.heading() == w.t("Standards")
        assert page.locator(".messages").count() == 1  # imported, or already there
    example = page.locator("main section.card", has_text="example-mini-standard")
    assert example.get_by_role("link").count() == 3  # two versions and the comparison
    w.see("imported", desktop=True)

    w.arrive(lambda: example.get_by_role("link", name=w.t("Compare versions")).click())
    assert w.heading().startswith(w.t("Compare versions"))
    assert "EX-ENV-03" in w.text() and "EX-ENV-01" in w.text()
    w.see("compare")


def support(w: Walk) -> None:
    """The support officer reads the portfolio and its inclusion insights."""
    facts = w.facts
    arrive_home(w, "support", "support_officer")

    w.follow(w.t("Your portfolio of organisations"))
    assert w.heading() == w.t("Support portfolio")
    assert w.page.locator("main table tbody tr").count() == facts["portfolio"]
    w.see("portfolio", desktop=True)

    w.nav("Insights")
    assert w.heading() == w.t("Inclusion insights")
    w.see("insights")

    w.follow(w.t("Insights over the organisations your organisation supports"))
    assert w.heading() == f"{w.t('Inclusion insights')}: {w.t('Your support portfolio')}"
    assert w.t("Members by gender") in w.text()
    w.see("portfolio-insights", wait_for="charts")


def buyer(w: Walk) -> None:
    """The buyer reads its suppliers, traces a lot from Río Claro back to the sites it was
    mined at and checks Río Claro's certificate."""
    facts = w.facts
    page = w.page
    arrive_home(w, "buyer", "buyer")

    w.nav("Suppliers")
    assert w.heading() == f"{w.t('Suppliers')} {facts['suppliers']}"
    rio = page.locator("main section.card", has_text=facts["rio"])
    assert facts["certificate"] in rio.inner_text()
    w.see("suppliers")

    w.arrive(lambda: rio.get_by_role("link", name=w.t("Lots mined by this supplier")).click())
    assert w.heading().startswith(w.t("Lots"))
    lot = page.locator("main table tbody a").first
    code = lot.inner_text()
    w.see("lots")

    w.arrive(lot.click)
    assert w.heading().startswith(w.t("Lot %(code)s", code=code))
    origins = page.locator("#origins-title").locator("xpath=..")
    assert facts["rio"] in origins.inner_text()
    w.see("lot-trace", wait_for="#site-map .leaflet-interactive", desktop=True)

    w.nav("Suppliers")
    w.follow(facts["certificate"])
    assert w.heading() == f"{w.t('Certificate')} {facts['certificate']} {w.t('Valid')}"
    w.see("certificate")

    w.follow(w.t("Public verification page"))
    assert w.heading() == w.t("Verify a certificate")
    assert facts["certificate"] in w.text()
    w.see("verify")


def admin(w: Walk) -> None:
    """Platform staff reach the Django admin from the menu and open the role assignments."""
    w.sign_in("admin")
    assert w.heading() == w.t("Welcome, %(name)s", name=w.facts["names"]["admin"])
    w.see("home")

    w.nav("Admin")
    assert w.page.locator("#content h1").inner_text() == w.t("Site administration")
    w.see("admin", desktop=True)

    w.follow(w.labels["role_assignments"].capitalize(), within="#content")
    assert (
        w.page.locator("#content h1").inner_text()
        == w.t("Select %s to change") % w.labels["role_assignment"]
    )
    w.see("role-assignments")


JOURNEYS = {
    "manager": manager,
    "inspector": inspector,
    "peer": peer,
    "auditor": auditor,
    "certifier": certifier,
    "standards": standards,
    "support": support,
    "buyer": buyer,
    "admin": admin,
}
ROLES = list(JOURNEYS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_role_walks_its_main_journey(walk, lang, role):
    """Signed in with the role's demo login, a person reaches every page of the journey by
    clicking, each page answers in their language, fits the phone and shows what they came
    for; the role's key action goes through."""
    person = walk(lang, role)
    JOURNEYS[role](person)
    person.finish()
