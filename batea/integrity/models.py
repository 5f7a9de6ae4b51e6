"""Chain heads, and the fields every chained record carries.

A chained record (a certification decision, a custody event, a premium receipt or a
disbursement) stores its position in its chain, the hash of the record before it and its
own hash over that and its content (`chain_fields`). Each chain belongs to one tenant —
an organisation's custody events, a fund's ledger, a certificate's decisions — so writers
of different organisations never wait for each other. The head of a chain (its length and
last hash) is one row, locked while a record is added: of two writers, one waits.
"""

import uuid
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from batea.domain.integrity import GENESIS


class ChainHead(models.Model):
    """The end of one chain: how many records it has and the hash of the last."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    chain = models.CharField(_("chain"), max_length=80, unique=True)
    seq = models.PositiveBigIntegerField(_("records"), default=0)
    last_hash = models.CharField(_("last hash"), max_length=64, default=GENESIS)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["chain"]
        verbose_name = _("chain head")
        verbose_name_plural = _("chain heads")

    def __str__(self) -> str:
        return f"{self.chain} #{self.seq}"


def chain_name(prefix: str, key: object) -> str:
    """The name of a chain: its kind and the tenant it belongs to, e.g. custody:<org id>."""
    return f"{prefix}:{key}"


class Chained(models.Model):
    """A record sealed into a hash chain when it is created (`batea.integrity.chains.seal`).

    Concrete models say which chain they belong to (`chain_prefix` and the field naming
    the tenant, `chain_key`) and which fields the hash covers (`chain_fields`, attnames),
    and add `chain_constraints(...)` to their Meta constraints.
    """

    chain_seq = models.PositiveBigIntegerField(_("position in its chain"), editable=False)
    chain_prev = models.CharField(max_length=64, editable=False)
    chain_hash = models.CharField(max_length=64, editable=False)

    chain_prefix: ClassVar[str]
    chain_key: ClassVar[str]
    chain_fields: ClassVar[tuple[str, ...]]

    class Meta:
        abstract = True

    def chain_name(self) -> str:
        return chain_name(self.chain_prefix, getattr(self, self.chain_key))


def chain_constraints(name: str, key: str) -> list:
    """One record per place in a chain, and no record left unsealed."""
    return [
        models.UniqueConstraint(fields=[key, "chain_seq"], name=f"{name}_one_per_chain_place"),
        models.CheckConstraint(
            condition=Q(chain_seq__gte=1) & ~Q(chain_prev="") & ~Q(chain_hash=""),
            name=f"{name}_sealed",
        ),
    ]
