"""Who may do what: the roles, what each role is allowed, and how far a user's reach goes (her centre, or all).

This is the one place permissions are decided; the CLI, the web pages and the API all ask it. A user is an
`Actor`: registered, active, with one role and, for every role but the registry-wide ones, one centre.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from oncobank.store.errors import StoreError

SYSTEM = "system"  # the account of the store's own jobs; no person acts as it


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    DATA_MANAGER = "data_manager"
    CLINICIAN = "clinician"
    REVIEWER = "reviewer"
    AI_EVALUATOR = "ai_evaluator"
    RESEARCHER = "researcher"


class Permission(StrEnum):
    MANAGE_STORE = "manage_store"  # create or upgrade the store's schema
    MANAGE_USERS = "manage_users"  # register, change and disable accounts
    READ_AUDIT = "read_audit"  # the audit trail and the history seal
    READ_PATIENTS = "read_patients"  # one patient's identified record
    WRITE_PATIENTS = "write_patients"  # create patients, add and edit entries, attach documents
    REVIEW = "review"  # second opinions
    LOAD = "load"  # bulk loads, hospital-source ingest, quarantine, linkage decisions
    REPORT_REGISTRY = "report_registry"  # counts and reports across the patients of the whole registry
    PUBLISH = "publish"  # build the de-identified analysis store
    EVALUATE_AI = "evaluate_ai"  # the AI-service register and its protocols
    READ_ANALYSIS = "read_analysis"  # the de-identified analysis store
    QUERY = "query"  # open, close and re-open data queries on entered values (answering one is WRITE_PATIENTS)
    STRUCTURE = "structure"  # facts extracted from documents: propose, review, accept, correct, reject


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission),
    Role.DATA_MANAGER: frozenset({P.MANAGE_USERS, P.READ_AUDIT, P.READ_PATIENTS, P.WRITE_PATIENTS, P.REVIEW, P.LOAD,
                                  P.REPORT_REGISTRY, P.PUBLISH, P.READ_ANALYSIS, P.STRUCTURE, P.QUERY}),
    Role.CLINICIAN: frozenset({P.READ_PATIENTS, P.WRITE_PATIENTS, P.STRUCTURE}),
    Role.REVIEWER: frozenset({P.READ_PATIENTS, P.REVIEW, P.QUERY}),
    Role.AI_EVALUATOR: frozenset({P.EVALUATE_AI}),
    Role.RESEARCHER: frozenset({P.READ_ANALYSIS}),
}
# Reaching across centres is what the whole-registry permissions are about; a centre's data manager keeps to hers.
REGISTRY_WIDE = frozenset({P.MANAGE_STORE, P.READ_AUDIT, P.LOAD, P.REPORT_REGISTRY, P.PUBLISH})
# Roles whose account must name a centre: they work on patients, and only on their centre's.
CENTRE_BOUND = frozenset({Role.CLINICIAN, Role.REVIEWER})
# Roles a centre's data manager may give to accounts of her own centre.
DELEGATED = frozenset({Role.CLINICIAN, Role.REVIEWER, Role.DATA_MANAGER})


class AccessDenied(StoreError):
    """The acting user may not do this (or is not a registered, active user at all)."""


@dataclass(frozen=True)
class Actor:
    """The user a command or a request acts as, as the store knows her."""

    id: int
    username: str
    role: Role
    centre_id: int | None  # None: the whole registry
    centre_code: str | None = None

    @property
    def whole_registry(self) -> bool:
        return self.centre_id is None

    def can(self, permission: Permission) -> bool:
        if permission not in GRANTS[self.role]:
            return False
        return self.whole_registry or permission not in REGISTRY_WIDE

    def require(self, permission: Permission, what: str) -> None:
        """Refuse `what` (a few words: "read the audit trail") unless the user's role allows it."""
        if self.can(permission):
            return
        if permission in GRANTS[self.role]:
            raise AccessDenied(f"user {self.username} ({self.role}) works for centre {self.centre_code} only "
                               f"and cannot {what}: it spans the whole registry")
        raise AccessDenied(f"user {self.username} ({self.role}) may not {what}")

    def reaches(self, centre_id: int) -> bool:
        """Whether a patient of `centre_id` is within the user's reach (never say more about one who is not)."""
        return self.whole_registry or centre_id == self.centre_id

    def may_manage(self, role: Role, centre_id: int | None) -> bool:
        """Whether the user may create or change an account of `role` at `centre_id` (None: registry-wide)."""
        if not self.can(P.MANAGE_USERS):
            return False
        if self.role is Role.ADMINISTRATOR:
            return True
        if self.whole_registry:
            return role is not Role.ADMINISTRATOR
        return role in DELEGATED and centre_id == self.centre_id


def role_of(name: str) -> Role:
    """The role called `name`, refused with the list of roles when there is none."""
    try:
        return Role(name)
    except ValueError:
        raise AccessDenied(f"no role {name!r}: expected one of {', '.join(Role)}") from None


def check_account(role: Role, centre_id: int | None) -> None:
    """An account's role and centre must fit: patient-facing roles belong to a centre, administrators to none."""
    if role in CENTRE_BOUND and centre_id is None:
        raise AccessDenied(f"a {role} account needs a centre (--centre CODE): she works on that centre's patients")
    if role is Role.ADMINISTRATOR and centre_id is not None:
        raise AccessDenied("an administrator's account spans the whole registry; give it no centre")
