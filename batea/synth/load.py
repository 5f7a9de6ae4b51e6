"""Generate and store a synthetic federation (`batea synth`).

The stages run in foreign-key order, each table written in chunks, one transaction per
chunk: organisations and their relations, sites and licences; members; assessments and
answers; custody chains (lots, events, uses, links, origins, sales). Custody events are
sealed into their hash chains (`batea.integrity.chains.seal_rows`) just before they are
written. Then the logins, a certificate for the biggest ASMO, and ANALYZE on PostgreSQL.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from django.db import connection, transaction

from batea.synth import remove
from batea.synth.assessments import Assessments, Requirements, import_standard
from batea.synth.custody import Chains
from batea.synth.plan import (
    SLUG_PREFIX,
    Ids,
    Picker,
    Request,
    asmo_sizes,
    chains_and_rest,
    sites_for,
)
from batea.synth.registry import Registry, flagship
from batea.synth.sink import Sink

MEMBER_CHUNK = 20_000
CHAIN_CHUNK = 2_000  # chains per transaction: 76,000 events
DEFAULT_PASSWORD = "synth-password"
USERS = {
    "synth-manager": "asmo_manager",  # of the biggest ASMO
    "synth-inspector": "ics_inspector",  # of the biggest ASMO; assessor of every assessment
    "synth-federation": "support_officer",  # of the federation
    "synth-buyer": "buyer",  # of the first refinery
    "synth-clerk": None,  # no role; recorded every custody event
}


class SynthError(Exception):
    """The database cannot take the synthetic federation as asked."""


@dataclass
class Outcome:
    """What was written: rows per table, seconds per stage, where to look."""

    counts: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    biggest: str = ""
    bars: list[str] = field(default_factory=list)
    certificate: str = ""
    sealed: bool = False


def seal(model, rows: list[dict[str, Any]]) -> bool:
    """Fill the hash-chain fields of `rows` if this Batea keeps chains for `model`."""
    try:
        from batea.integrity.chains import seal_rows
    except ImportError:
        return False
    if not any(f.attname == "chain_hash" for f in model._meta.concrete_fields):
        return False
    seal_rows(model, rows)
    return True


class Synthesiser:
    """Runs the stages of one synthetic federation against the default database."""

    def __init__(self, request: Request, progress: bool = True, log: Callable = print) -> None:
        if request.members < 1 or request.events < 0:
            raise SynthError("members must be at least 1 and events not negative")
        self.request = request
        self.ids = Ids(request.seed)
        self.log = log
        sizes = asmo_sizes(request.members, random.Random(f"synth-sizes-{request.seed}"))
        self.registry = Registry(request, self.ids, sizes)
        self.progress = progress
        self.outcome = Outcome()

    def run(self, replace: bool = False, password: str = DEFAULT_PASSWORD) -> Outcome:
        existing = remove.synthetic_organisations()
        if existing and not replace:
            raise SynthError(
                f"{existing} synthetic organisations ({SLUG_PREFIX}…) are already here; "
                "use --replace to remove them first"
            )
        if existing:
            self._stage("remove", remove.remove_all)
        version = import_standard()
        sink = Sink(self._totals(version), progress=self.progress)
        try:
            self._stage("registry", lambda: self._registry(sink))
            self._stage("logins", lambda: self._logins(password))
            self._stage("members", lambda: self._members(sink))
            self._stage("assessments", lambda: self._assessments(sink, version))
            self._stage("custody", lambda: self._custody(sink))
        finally:
            sink.close()
        self._stage("certificate", lambda: self._certificate(version))
        if connection.vendor == "postgresql":
            self._stage("analyze", lambda: analyze(sink))
        self.outcome.counts = dict(sink.counts)
        return self.outcome

    def _stage(self, name: str, call: Callable[[], object]) -> None:
        start = time.perf_counter()
        call()
        self.outcome.seconds[name] = round(time.perf_counter() - start, 1)

    def _totals(self, version) -> dict[str, int]:
        """Expected rows per table, for the progress bars."""
        from batea.assessments.models import Answer, Assessment
        from batea.custody.models import CustodyEvent
        from batea.registry.models import Member

        reqs = Requirements(version)
        asmos = self.registry.asmos
        sites = sum(sites_for(a.size) for a in asmos)
        members = self.request.members
        answers = (
            len(asmos) * len(reqs.of("organisation"))
            + sites * len(reqs.of("site"))
            + members * len(reqs.of("member"))
        )
        return {
            Member._meta.db_table: members,
            Assessment._meta.db_table: len(asmos) + sites + members,
            Answer._meta.db_table: answers,
            CustodyEvent._meta.db_table: self.request.events,
        }

    def _registry(self, sink: Sink) -> None:
        from batea.registry.models import Licence, Organisation, Relation, Site

        with transaction.atomic():
            sink.write(Organisation, self.registry.organisations())
            sink.write(Relation, self.registry.relations())
            sites, minerals, licences = self.registry.sites_and_licences()
            sink.write(Site, sites)
            sink.write(Site.commodities.through, minerals)
            sink.write(Licence, licences)
        self.outcome.biggest = flagship(self.registry.asmos).slug

    def _members(self, sink: Sink) -> None:
        from batea.registry.models import Member

        chunk: list[dict] = []
        for asmo in self.registry.asmos:
            for row in self.registry.members(asmo):
                chunk.append(row)
                if len(chunk) >= MEMBER_CHUNK:
                    with transaction.atomic():
                        sink.write(Member, chunk)
                    chunk = []
        with transaction.atomic():
            sink.write(Member, chunk)

    def _assessments(self, sink: Sink, version) -> None:
        from batea.assessments.models import Answer, Assessment

        generator = Assessments(self.request, self.ids, version, Requirements(version))
        for asmo in self.registry.asmos:
            for assessments, answers in generator.of_asmo(asmo):
                with transaction.atomic():
                    sink.write(Assessment, assessments)
                    sink.write(Answer, answers)

    def _custody(self, sink: Sink) -> None:
        registry = self.registry
        chains = Chains(self.request, self.ids, Picker(registry.asmos), registry.buyers)
        whole, rest = chains_and_rest(self.request.events)
        for number in range(whole):
            chains.chain(number, whole, registry.collector_of)
            if (number + 1) % CHAIN_CHUNK == 0:
                self._flush(sink, chains.take())
        for number in range(rest):
            chains.single(number)
        self._flush(sink, chains.take())
        self.outcome.bars = chains.bars[:100]

    def _flush(self, sink: Sink, rows: dict[str, list[dict]]) -> None:
        from batea.custody.models import CustodyEvent, Lot, LotLink, LotOrigin, LotUse, Sale

        with transaction.atomic():
            self.outcome.sealed = seal(CustodyEvent, rows["events"]) or self.outcome.sealed
            sink.write(Lot, rows["lots"])
            sink.write(CustodyEvent, rows["events"])
            sink.write(LotUse, rows["uses"])
            sink.write(LotLink, rows["links"])
            sink.write(LotOrigin, rows["origins"])
            sink.write(Sale, rows["sales"])

    @transaction.atomic
    def _logins(self, password: str) -> None:
        """The synthetic logins, all with `password`; the inspector and clerk are recorded
        on the assessments and custody events."""
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        from batea.access.models import RoleAssignment

        registry = self.registry
        biggest = flagship(registry.asmos).id
        where = {
            "synth-manager": biggest,
            "synth-inspector": biggest,
            "synth-federation": registry.federation["id"],
            "synth-buyer": registry.buyers["refinery"][0]["id"],
        }
        hashed = make_password(password)
        user_model = get_user_model()
        users = {}
        for username, role in USERS.items():
            users[username] = user = user_model.objects.create(username=username, password=hashed)
            if role:
                RoleAssignment.objects.create(user=user, organisation_id=where[username], role=role)
        self.request = replace(
            self.request, inspector_id=users["synth-inspector"].pk, clerk_id=users["synth-clerk"].pk
        )

    @transaction.atomic
    def _certificate(self, version) -> None:
        """A valid certificate of the biggest ASMO, covering its sites."""
        from batea.certification.models import CODE_ALPHABET, Certificate

        biggest = flagship(self.registry.asmos)
        rng = random.Random(f"synth-certificate-{self.request.seed}")
        today = self.request.today
        certificate = Certificate.objects.create(
            number=f"SYN-{self.request.seed}-0001",
            public_code="".join(rng.choice(CODE_ALPHABET) for _ in range(10)),
            organisation_id=biggest.id,
            version=version,
            members_covered=biggest.size,
            minerals="gold",
            valid_from=today - timedelta(days=200),
            valid_until=today + timedelta(days=3 * 365 - 200),
        )
        certificate.sites.set(biggest.sites)
        self.outcome.certificate = str(certificate.pk)


def analyze(sink: Sink) -> None:
    """Refresh the planner's statistics of every table written (PostgreSQL)."""
    with connection.cursor() as cursor:
        for table in sorted({t.model._meta.db_table for t in sink.tables.values()}):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
