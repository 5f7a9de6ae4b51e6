"""Formalisation status of an organisation, derived from its licences and permits."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from batea.domain.messages import Problem, gettext_noop

EXPIRY_WARNING_DAYS = 90


class LicenceKind(StrEnum):
    MINING_TITLE = "mining_title"
    EXPLORATION = "exploration"
    ENVIRONMENTAL = "environmental"
    PROCESSING = "processing"
    TRADING = "trading"
    EXPORT = "export"
    REGISTRATION = "registration"
    OTHER = "other"


class LicenceStatus(StrEnum):
    APPLIED = "applied"
    GRANTED = "granted"
    SUSPENDED = "suspended"
    REVOKED = "revoked"


class LicenceState(StrEnum):
    """What a licence means on a given day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    PENDING = "pending"
    INACTIVE = "inactive"


class FormalisationStatus(StrEnum):
    FORMAL = "formal"
    PARTIAL = "partial"
    IN_PROCESS = "in_process"
    INFORMAL = "informal"


@dataclass(frozen=True)
class LicenceFacts:
    kind: str
    status: str
    valid_from: date | None
    valid_until: date | None


def licence_state(licence: LicenceFacts, today: date) -> LicenceState:
    """Classify one licence on `today`; expiring means valid but ending within 90 days."""
    if licence.status == LicenceStatus.APPLIED:
        return LicenceState.PENDING
    if licence.status != LicenceStatus.GRANTED:
        return LicenceState.INACTIVE
    if licence.valid_from and licence.valid_from > today:
        return LicenceState.NOT_YET_VALID
    if licence.valid_until is not None:
        if licence.valid_until < today:
            return LicenceState.EXPIRED
        if (licence.valid_until - today).days <= EXPIRY_WARNING_DAYS:
            return LicenceState.EXPIRING
    return LicenceState.VALID


@dataclass(frozen=True)
class Formalisation:
    status: FormalisationStatus
    reasons: tuple[Problem, ...]


def formalisation_status(licences: list[LicenceFacts], today: date) -> Formalisation:
    """Derive how formal an operation is, with the reasons.

    Formal: a valid mining title (or processing permit for a processing-only operation)
    and a valid environmental licence. Partial: some valid licence but not both. In process:
    only applications. Informal: nothing valid or applied for. These are Batea's defaults;
    national rules vary.
    """
    usable = {LicenceState.VALID, LicenceState.EXPIRING}
    valid_kinds = {lic.kind for lic in licences if licence_state(lic, today) in usable}
    pending = [lic for lic in licences if licence_state(lic, today) == LicenceState.PENDING]
    has_title = bool(valid_kinds & {LicenceKind.MINING_TITLE, LicenceKind.PROCESSING})
    has_environmental = LicenceKind.ENVIRONMENTAL in valid_kinds
    reasons: list[Problem] = []
    if not has_title:
        reasons.append(Problem("", gettext_noop("No valid mining title or processing permit.")))
    if not has_environmental:
        reasons.append(Problem("", gettext_noop("No valid environmental licence.")))
    expired = [lic for lic in licences if licence_state(lic, today) == LicenceState.EXPIRED]
    if expired:
        reasons.append(
            Problem("", gettext_noop("%(count)s licence(s) expired."), {"count": len(expired)})
        )
    if has_title and has_environmental:
        status = FormalisationStatus.FORMAL
    elif valid_kinds:
        status = FormalisationStatus.PARTIAL
    elif pending:
        status = FormalisationStatus.IN_PROCESS
    else:
        status = FormalisationStatus.INFORMAL
    return Formalisation(status, tuple(reasons))
