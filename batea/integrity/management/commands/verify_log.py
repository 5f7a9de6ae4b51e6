"""`batea verify-log [--chain WHAT] [--heads]` — recompute the hash chains of certification
decisions, custody events and the premium ledger, and name the first record that was
altered, inserted or deleted in each chain (exit 1)."""

import uuid

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from batea.domain.integrity import ALTERED, DELETED, INSERTED, digest_of_heads
from batea.integrity import chains
from batea.registry.models import Organisation, explain

WHAT_WENT_WRONG = {
    ALTERED: lambda: _("altered"),
    INSERTED: lambda: _("inserted"),
    DELETED: lambda: _("deleted"),
}


def scope(value: str | None) -> tuple[list[str] | None, object, str | None]:
    """--chain as (kinds, organisation id, chain key): a kind, a chain name
    (kind:<id>, e.g. custody:<organisation id>) or an organisation (slug or id)."""
    if not value:
        return None, None, None
    names = {kind.name: kind for kind in chains.KINDS}
    if value in names:
        return [value], None, None
    prefix, colon, key = value.partition(":")
    by_prefix = {kind.prefix: kind for kind in chains.KINDS}
    if colon:
        if prefix not in by_prefix or not _is_uuid(key):
            raise CommandError(
                _("Unknown chain %(chain)s: a chain is named like custody:<organisation id>.")
                % {"chain": value}
            )
        return [by_prefix[prefix].name], None, str(uuid.UUID(key))
    organisation = Organisation.objects.filter(slug=value).first()
    if organisation is None and _is_uuid(value):
        organisation = Organisation.objects.filter(pk=value).first()
    if organisation is None:
        raise CommandError(
            _(
                "Unknown --chain %(value)s: give decisions, custody or premium, an "
                "organisation (slug or id) or a chain name."
            )
            % {"value": value}
        )
    return None, organisation.pk, None


def read_anchors(path: str) -> list[tuple[str, int, str]]:
    """Heads as printed by --heads: "chain records last-hash" lines (others are skipped)."""
    try:
        with open(path, encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(path)s: %(error)s") % {"path": path, "error": error.strerror}
        ) from error
    anchors = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3 and ":" in parts[0] and parts[1].isdigit() and len(parts[2]) == 64:
            anchors.append((parts[0], int(parts[1]), parts[2]))
    if not anchors:
        raise CommandError(
            _("%(path)s holds no chain heads: give a file written by --heads.") % {"path": path}
        )
    return anchors


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


class Command(BaseCommand):
    help = (
        "Recompute the hash chains of certification decisions, custody events and the "
        "premium ledger; name the first record altered, inserted or deleted in each "
        "chain and exit 1."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--chain",
            help=(
                "Only these chains: decisions, custody or premium; an organisation (slug or "
                "id); or one chain by name, e.g. custody:<organisation id>"
            ),
        )
        parser.add_argument(
            "--heads",
            action="store_true",
            help="Print the chain heads and one digest over them, to keep somewhere else",
        )
        parser.add_argument(
            "--against",
            metavar="FILE",
            help="Also check that every chain still holds the heads printed earlier by --heads",
        )

    def handle(self, *args, **options):
        kinds, organisation, key = scope(options["chain"])
        if options["heads"]:
            self._heads(chains.heads(kinds, organisation, key))
            return
        anchors = read_anchors(options["against"]) if options["against"] else []
        results = chains.verify_all(kinds, organisation, key)
        for kind in chains.KINDS:
            mine = [r for r in results if r.kind == kind.name]
            if kinds is None or kind.name in kinds:
                self._summary(kind.name, mine)
        broken = {r.chain for r in results if not r.verdict.ok}
        for result in results:
            if not result.verdict.ok:
                self._break(result)
        broken |= set(self._rewritten(anchors))
        if broken:
            raise CommandError(
                ngettext(
                    "%(n)s chain is broken: its history was changed.",
                    "%(n)s chains are broken: their history was changed.",
                    len(broken),
                )
                % {"n": len(broken)}
            )

    def _summary(self, name: str, results: list) -> None:
        records = sum(r.verdict.count for r in results)
        broken = sum(1 for r in results if not r.verdict.ok)
        chain_count = ngettext("%(n)s chain", "%(n)s chains", len(results))
        record_count = ngettext("%(n)s record", "%(n)s records", records)
        counts = _("%(chains)s, %(records)s") % {
            "chains": chain_count % {"n": f"{len(results):,}"},
            "records": record_count % {"n": f"{records:,}"},
        }
        verdict = _("OK") if not broken else _("%(n)s broken") % {"n": broken}
        self.stdout.write(f"{name}: {counts}: {verdict}")

    def _break(self, result) -> None:
        found = result.verdict.broken
        what = WHAT_WENT_WRONG[found.kind]()
        record = found.label or _("(none after it)")
        self.stdout.write(
            _("%(chain)s (%(whose)s), record %(seq)s: %(record)s %(what)s — %(why)s")
            % {
                "chain": result.chain,
                "whose": chains.tenant_of(result.chain),
                "seq": found.seq,
                "record": record,
                "what": what,
                "why": explain(found.problem),
            }
        )

    def _rewritten(self, anchors: list[tuple[str, int, str]]) -> list[str]:
        """Anchored heads the chains no longer hold: history rewritten since."""
        rewritten = []
        for name, seq, last_hash in anchors:
            if seq and chains.anchored(name, seq) != last_hash:
                rewritten.append(name)
                self.stdout.write(
                    _(
                        "%(chain)s (%(whose)s), record %(seq)s: not the record anchored "
                        "(%(hash)s) — the chain was rewritten or cut since."
                    )
                    % {
                        "chain": name,
                        "whose": chains.tenant_of(name),
                        "seq": seq,
                        "hash": last_hash[:12],
                    }
                )
        if anchors and not rewritten:
            self.stdout.write(
                ngettext(
                    "%(n)s anchored head: still in its chain.",
                    "%(n)s anchored heads: all still in their chains.",
                    len(anchors),
                )
                % {"n": len(anchors)}
            )
        return rewritten

    def _heads(self, heads: list[tuple[str, int, str]]) -> None:
        for name, seq, last_hash in heads:
            self.stdout.write(f"{name} {seq} {last_hash}")
        self.stdout.write(
            _("digest of %(n)s heads: %(digest)s")
            % {"n": len(heads), "digest": digest_of_heads(heads)}
        )
