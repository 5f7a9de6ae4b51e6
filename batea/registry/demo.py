"""Fictional demo data for the registry: every organisation and person here is invented.

Loading is idempotent: ids are derived from stable names (UUID 5), existing rows are
updated in place and members are only added when missing.
"""

import random
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from batea.access.models import ROLE_LABELS, RoleAssignment
from batea.domain.access import OrganisationKind, RelationKind, Role
from batea.domain.geometry import check_geometry
from batea.registry.models import Commodity, Licence, Member, Organisation, Relation, Site

NAMESPACE = uuid.UUID("6d1f3c2e-6a55-4c1e-9a53-0b7c2f1e5a10")
DEMO_PASSWORD = "batea-demo"
GOLD_HS_CODES = ["7108.12", "2616.90"]


def demo_id(*parts: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, ":".join(parts))


ORGANISATIONS = [
    {
        "slug": "rio-claro",
        "name": "Cooperativa Minera Aurífera Río Claro",
        "kind": OrganisationKind.ASMO,
        "country": "CO",
        "region": "Chocó",
        "legal_form": Organisation.LegalForm.COOPERATIVE,
        "entry_years_ago": 3,
        "description": "Fictional alluvial gold cooperative of barequeros and small miners.",
    },
    {
        "slug": "sol-de-oro",
        "name": "Asociación de Mineros Artesanales Sol de Oro",
        "kind": OrganisationKind.ASMO,
        "country": "PE",
        "region": "Puno",
        "legal_form": Organisation.LegalForm.ASSOCIATION,
        "entry_years_ago": 1,
        "description": "Fictional underground gold miners' association in the high Andes.",
    },
    {
        "slug": "kyabalanga",
        "name": "Kyabalanga Artisanal Gold Miners' Association",
        "kind": OrganisationKind.ASMO,
        "country": "UG",
        "region": "Central Region",
        "legal_form": Organisation.LegalForm.ASSOCIATION,
        "entry_years_ago": 0,
        "description": "Fictional association of gold diggers, panners and processors.",
    },
    {
        "slug": "andes-lakes-support",
        "name": "Andes & Lakes ASM Support Programme",
        "kind": OrganisationKind.SUPPORT,
        "country": "CO",
        "region": "Bogotá",
        "legal_form": Organisation.LegalForm.NGO,
        "description": "Fictional NGO programme supporting ASMOs towards certification.",
    },
    {
        "slug": "aurora-refining",
        "name": "Aurora Responsible Refining",
        "kind": OrganisationKind.BUYER,
        "country": "CH",
        "region": "Ticino",
        "legal_form": Organisation.LegalForm.COMPANY,
        "description": "Fictional refiner buying from certified ASMOs.",
    },
    {
        "slug": "certandes",
        "name": "CertAndes Auditores",
        "kind": OrganisationKind.CERTIFICATION_BODY,
        "country": "PE",
        "region": "Lima",
        "legal_form": Organisation.LegalForm.COMPANY,
        "description": "Fictional certification body.",
    },
    {
        "slug": "demo-standards",
        "name": "Responsible Gold Standards Alliance (demo)",
        "kind": OrganisationKind.STANDARD_OWNER,
        "country": "CO",
        "region": "Medellín",
        "legal_form": Organisation.LegalForm.NGO,
        "description": "Fictional standard owner used to publish demo catalogues.",
    },
]

RELATIONS = [
    (RelationKind.SUPPORT, "andes-lakes-support", "rio-claro"),
    (RelationKind.SUPPORT, "andes-lakes-support", "sol-de-oro"),
    (RelationKind.SUPPORT, "andes-lakes-support", "kyabalanga"),
    (RelationKind.CERTIFICATION, "certandes", "rio-claro"),
    (RelationKind.CERTIFICATION, "certandes", "sol-de-oro"),
    (RelationKind.SUPPLY, "aurora-refining", "rio-claro"),
    (RelationKind.SUPPLY, "aurora-refining", "kyabalanga"),
]

USERS = [
    ("manager", "Marta", "Palacios", Role.ASMO_MANAGER, "rio-claro"),
    ("inspector", "Jhon", "Rentería", Role.ICS_INSPECTOR, "rio-claro"),
    ("manager.peru", "Rolando", "Quispe", Role.ASMO_MANAGER, "sol-de-oro"),
    ("peer", "Hilda", "Condori", Role.PEER_REVIEWER, "sol-de-oro"),
    ("manager.uganda", "Grace", "Namukasa", Role.ASMO_MANAGER, "kyabalanga"),
    ("auditor", "Lucía", "Benavides", Role.AUDITOR, "certandes"),
    ("certifier", "Óscar", "Valdivia", Role.CERTIFIER, "certandes"),
    ("standards", "Camille", "Durand", Role.STANDARD_OWNER, "demo-standards"),
    ("support", "Andrea", "Gómez", Role.SUPPORT_OFFICER, "andes-lakes-support"),
    ("buyer", "Luca", "Bernasconi", Role.BUYER, "aurora-refining"),
]


@dataclass(frozen=True)
class MemberProfile:
    """How members of a demo ASMO are drawn: size, roles with their share of women, names."""

    count: int
    roles: list[tuple[str, float, float]]  # role, share of members, share of women in role
    given_female: list[str]
    given_male: list[str]
    family: list[str]
    id_digits: int


PROFILES = {
    "rio-claro": MemberProfile(
        140,
        [
            ("panner", 0.45, 0.55),
            ("worker", 0.28, 0.10),
            ("owner", 0.08, 0.2),
            ("processor", 0.12, 0.25),
            ("selector", 0.03, 0.7),
            ("trader", 0.04, 0.3),
        ],
        [
            "María",
            "Luz Dary",
            "Yesenia",
            "Ana Milena",
            "Leidy",
            "Sandra",
            "Rosa",
            "Yuliana",
            "Nelly",
            "Deisy",
            "Eneida",
            "Marleny",
        ],
        [
            "José",
            "Luis Alberto",
            "Jhon Jairo",
            "Carlos",
            "Wilmar",
            "Fredy",
            "Andrés",
            "Éider",
            "Yeison",
            "Hernán",
            "Nixon",
            "Darío",
        ],
        [
            "Mosquera",
            "Palacios",
            "Rentería",
            "Córdoba",
            "Murillo",
            "Valencia",
            "Perea",
            "Asprilla",
            "Moreno",
            "Hinestroza",
            "Lozano",
            "Mena",
        ],
        10,
    ),
    "sol-de-oro": MemberProfile(
        110,
        [
            ("worker", 0.55, 0.05),
            ("selector", 0.15, 0.9),
            ("owner", 0.1, 0.1),
            ("processor", 0.15, 0.2),
            ("other", 0.05, 0.4),
        ],
        [
            "Juana",
            "Rosa",
            "Marleni",
            "Yaneth",
            "Hilda",
            "Celia",
            "Elizabeth",
            "Nilda",
            "Flor",
            "Maribel",
        ],
        [
            "Juan",
            "Percy",
            "Wilber",
            "Edwin",
            "Fredy",
            "Rolando",
            "Víctor",
            "Nilo",
            "Hugo",
            "Teodoro",
        ],
        [
            "Mamani",
            "Quispe",
            "Condori",
            "Huanca",
            "Apaza",
            "Choque",
            "Ccama",
            "Flores",
            "Ticona",
            "Cutipa",
            "Pari",
            "Chambi",
        ],
        8,
    ),
    "kyabalanga": MemberProfile(
        90,
        [
            ("worker", 0.4, 0.15),
            ("panner", 0.25, 0.6),
            ("processor", 0.2, 0.35),
            ("owner", 0.1, 0.1),
            ("trader", 0.05, 0.3),
        ],
        [
            "Sarah",
            "Grace",
            "Prossy",
            "Harriet",
            "Florence",
            "Joyce",
            "Scovia",
            "Annet",
            "Resty",
            "Juliet",
        ],
        [
            "Moses",
            "Joseph",
            "Ronald",
            "Godfrey",
            "Isaac",
            "Brian",
            "Charles",
            "Emmanuel",
            "Patrick",
            "Deo",
        ],
        [
            "Ssempijja",
            "Mukasa",
            "Kato",
            "Wasswa",
            "Okello",
            "Byaruhanga",
            "Tumusiime",
            "Kyomuhendo",
            "Mugisha",
            "Ssekandi",
            "Lubega",
            "Kiggundu",
        ],
        14,
    ),
}

STATUS_WEIGHTS = [
    ("approved", 75),
    ("applicant", 10),
    ("conditional", 8),
    ("suspended", 4),
    ("left", 3),
]


def _square(lon: float, lat: float, half_side: float) -> dict:
    ring = [
        [lon - half_side, lat - half_side],
        [lon + half_side, lat - half_side],
        [lon + half_side, lat + half_side],
        [lon - half_side, lat + half_side],
        [lon - half_side, lat - half_side],
    ]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def _point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


SITES = {
    "rio-claro": [
        (
            "RC-01",
            "Playa El Guamo",
            "mine",
            _square(-76.6712, 5.1634, 0.0015),
            "alluvial",
            "gravity",
            False,
            38,
            21,
        ),
        (
            "RC-02",
            "Quebrada La Sierpe",
            "mine",
            _point(-76.6421, 5.1902),
            "alluvial",
            "gravity",
            False,
            26,
            15,
        ),
        (
            "RC-03",
            "Frente San Pablo",
            "mine",
            _point(-76.7035, 5.1398),
            "dredging",
            "amalgamation",
            True,
            18,
            2,
        ),
        (
            "RC-P1",
            "Planta de beneficio Río Claro",
            "processing",
            _point(-76.6604, 5.1711),
            "none",
            "gravity",
            False,
            12,
            4,
        ),
    ],
    "sol-de-oro": [
        (
            "SO-01",
            "Bocamina Santa Rosa",
            "mine",
            _point(-69.5312, -14.6821),
            "underground",
            "none",
            False,
            45,
            6,
        ),
        (
            "SO-02",
            "Bocamina Tres Cruces",
            "mine",
            _point(-69.5187, -14.6913),
            "underground",
            "none",
            False,
            33,
            4,
        ),
        (
            "SO-P1",
            "Quimbalete comunal",
            "processing",
            _point(-69.5256, -14.6779),
            "none",
            "amalgamation",
            True,
            16,
            9,
        ),
    ],
    "kyabalanga": [
        (
            "KY-01",
            "Kyabalanga pit 1",
            "mine",
            _square(31.4237, 0.5612, 0.001),
            "open_pit",
            "gravity",
            False,
            40,
            12,
        ),
        (
            "KY-02",
            "Nakasozi stream",
            "mine",
            _point(31.4385, 0.5733),
            "alluvial",
            "gravity",
            False,
            22,
            14,
        ),
        (
            "KY-P1",
            "Kyabalanga processing yard",
            "mine_and_processing",
            _point(31.4301, 0.5688),
            "open_pit",
            "amalgamation",
            True,
            28,
            11,
        ),
    ],
}


def _licences(today: date) -> dict[str, list[tuple]]:
    return {
        "rio-claro": [
            (
                "mining_title",
                "TC-HJK-0815",
                "Agencia Nacional de Minería (demo)",
                "granted",
                today - timedelta(days=6 * 365),
                today + timedelta(days=4 * 365),
            ),
            (
                "environmental",
                "LA-CHO-2021-044",
                "Autoridad ambiental regional (demo)",
                "granted",
                today - timedelta(days=4 * 365),
                today + timedelta(days=60),
            ),
            (
                "registration",
                "RUCOM-CO-77120",
                "Registro de comercializadores (demo)",
                "granted",
                today - timedelta(days=2 * 365),
                None,
            ),
        ],
        "sol-de-oro": [
            (
                "registration",
                "REINFO-PE-20931",
                "Registro de formalización (demo)",
                "granted",
                today - timedelta(days=3 * 365),
                today + timedelta(days=365),
            ),
            ("mining_title", "CM-PU-2024-118", "Gobierno regional (demo)", "applied", None, None),
        ],
        "kyabalanga": [
            (
                "mining_title",
                "LL-2019-0342",
                "Directorate of mines (demo)",
                "granted",
                today - timedelta(days=5 * 365),
                today - timedelta(days=40),
            ),
            ("mining_title", "LL-2025-0107", "Directorate of mines (demo)", "applied", None, None),
        ],
    }


def load(stdout=None) -> dict[str, int]:
    """Create or refresh the demo registry; returns counts of what exists afterwards."""
    today = timezone.localdate()
    with transaction.atomic():
        organisations = _load_organisations(today)
        _load_relations(organisations, today)
        sites = _load_sites(organisations)
        _load_licences(organisations, sites, today)
        _load_members(organisations, sites, today)
        _load_users(organisations)
    return {
        "organisations": Organisation.objects.filter(slug__in=organisations).count(),
        "members": Member.objects.filter(organisation__slug__in=PROFILES).count(),
        "sites": Site.objects.filter(organisation__slug__in=SITES).count(),
    }


def _load_organisations(today: date) -> dict[str, Organisation]:
    result = {}
    for spec in ORGANISATIONS:
        spec = dict(spec)
        years = spec.pop("entry_years_ago", None)
        if years is not None:
            spec["entry_date"] = today.replace(month=1, day=15) - timedelta(days=365 * years)
        org, _ = Organisation.objects.update_or_create(
            id=demo_id("org", spec["slug"]), defaults=spec
        )
        result[org.slug] = org
    return result


def _load_relations(organisations, today: date) -> None:
    for kind, source, target in RELATIONS:
        Relation.objects.update_or_create(
            kind=kind,
            source=organisations[source],
            target=organisations[target],
            defaults={
                "id": demo_id("relation", kind, source, target),
                "started_on": today - timedelta(days=400),
            },
        )


def _load_sites(organisations) -> dict[str, list[Site]]:
    gold = list(Commodity.objects.filter(hs_code__in=GOLD_HS_CODES))
    result: dict[str, list[Site]] = {}
    for slug, specs in SITES.items():
        org = organisations[slug]
        result[slug] = []
        for code, name, kind, geometry, mining, processing, mercury, workforce, women in specs:
            report = check_geometry(geometry, country=org.country)
            assert report.ok, (code, report.errors)  # demo data must itself be valid
            site, _ = Site.objects.update_or_create(
                id=demo_id("site", slug, code),
                defaults={
                    "organisation": org,
                    "site_code": code,
                    "name": name,
                    "kind": kind,
                    "mining_method": mining,
                    "processing_method": processing,
                    "uses_mercury": mercury,
                    "uses_cyanide": False,
                    "workforce": workforce,
                    "women_in_workforce": women,
                    "geometry": report.geometry,
                    "longitude": report.centroid[0],
                    "latitude": report.centroid[1],
                    "area_ha": report.area_ha if report.area_ha is not None else 2,
                },
            )
            site.commodities.set(gold)
            result[slug].append(site)
    return result


def _load_licences(organisations, sites, today: date) -> None:
    for slug, specs in _licences(today).items():
        for kind, number, issuer, status, valid_from, valid_until in specs:
            Licence.objects.update_or_create(
                id=demo_id("licence", slug, number),
                defaults={
                    "organisation": organisations[slug],
                    "kind": kind,
                    "number": number,
                    "issuer": issuer,
                    "status": status,
                    "valid_from": valid_from,
                    "valid_until": valid_until,
                    "site": sites[slug][0] if kind == "mining_title" else None,
                },
            )


def _load_members(organisations, sites, today: date) -> None:
    for slug, profile in PROFILES.items():
        org = organisations[slug]
        existing = set(Member.objects.filter(organisation=org).values_list("id", flat=True))
        rng = random.Random(f"batea-demo-{slug}")
        new_members = []
        for number in range(1, profile.count + 1):
            member = _draw_member(rng, org, profile, number, sites[slug], today)
            if member.id not in existing:
                new_members.append(member)
        Member.objects.bulk_create(new_members, batch_size=500)


def _draw_member(rng, org, profile: MemberProfile, number: int, sites, today: date) -> Member:
    roles, weights, women = zip(*profile.roles, strict=True)
    index = rng.choices(range(len(roles)), weights=weights)[0]
    female = rng.random() < women[index]
    given = rng.choice(profile.given_female if female else profile.given_male)
    statuses, status_weights = zip(*STATUS_WEIGHTS, strict=True)
    birth_year = rng.randint(today.year - 64, today.year - 18)
    # Joined at 18 or later, at most 12 years ago.
    years_as_adult = today.year - (birth_year + 18)
    max_days = max(30, min(12 * 365, years_as_adult * 365))
    member = Member(
        id=demo_id("member", org.slug, str(number)),
        organisation=org,
        member_number=f"{org.slug[:2].upper()}-{number:04d}",
        given_name=given,
        family_name=" ".join(rng.sample(profile.family, 2 if org.country != "UG" else 1)),
        gender="female" if female else "male",
        birth_year=birth_year,
        role=roles[index],
        join_date=today - timedelta(days=rng.randint(30, max_days)),
        status=rng.choices(statuses, weights=status_weights)[0],
        primary_site=rng.choice(sites),
    )
    if rng.random() < 0.7:
        member.set_national_id(
            str(rng.randint(10 ** (profile.id_digits - 1), 10**profile.id_digits - 1))
        )
    return member


def _load_users(organisations) -> None:
    user_model = get_user_model()
    for username, first, last, role, slug in USERS:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": first, "last_name": last}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        RoleAssignment.objects.get_or_create(user=user, organisation=organisations[slug], role=role)
    admin, created = user_model.objects.get_or_create(
        username="admin",
        defaults={
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Platform",
            "last_name": "Staff",
        },
    )
    if created:
        admin.set_password(DEMO_PASSWORD)
        admin.save()


def logins() -> list[tuple[str, str, str]]:
    """(username, role, organisation) of every demo login, for printing."""
    names = {spec["slug"]: spec["name"] for spec in ORGANISATIONS}
    rows = [(u, str(ROLE_LABELS[role]), names[slug]) for u, _f, _l, role, slug in USERS]
    rows.append(("admin", "Platform staff", "Django admin at /admin/"))
    return rows
