"""Who may do what: roles per kind of action, and the office scope of each user."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import N_, Forbidden

# Roles allowed per permission. "system" is the command line and background jobs; "phone" is a
# resident's phone that proved it is in the waiting room (the rotating code on the TV).
PERMISSIONS: dict[str, frozenset[str]] = {
    "issue": frozenset({"kiosk", "operator", "admin", "system", "phone"}),
    # The rotating code of the waiting room: the screens that show it.
    "presence_code": frozenset({"kiosk", "display", "operator", "clerk", "admin", "system"}),
    "counter": frozenset({"operator", "admin", "system"}),
    "stage": frozenset({"clerk", "admin", "system"}),
    "report": frozenset({"admin", "system"}),
    "staff_view": frozenset({"operator", "clerk", "admin", "system"}),
    # A kiosk sees the tickets of its office (to show whether the paper printed) and reprints.
    "ticket_view": frozenset({"kiosk", "operator", "clerk", "admin", "system"}),
    "reprint": frozenset({"kiosk", "operator", "clerk", "admin", "system"}),
    # A block of tickets for a group (a school visit), issued at a desk.
    "issue_group": frozenset({"clerk", "operator", "admin", "system"}),
    # A card-ready message typed by staff on the resident's request (app.domain.notices).
    "notify": frozenset({"operator", "clerk", "admin", "system"}),
}

_REFUSALS = {
    "issue": N_("Only a kiosk, an operator or an administrator may issue tickets."),
    "counter": N_("Only an operator or an administrator may work a counter."),
    "stage": N_("Only a clerk or an administrator may change the stage of a card."),
    "report": N_("Only an administrator may see reports."),
    "staff_view": N_("Only staff may see this."),
    "ticket_view": N_("Only staff or a kiosk of the office may see this ticket."),
    "reprint": N_("Only staff or a kiosk of the office may reprint a ticket."),
    "issue_group": N_("Only a clerk, an operator or an administrator may issue group tickets."),
    "presence_code": N_("Only the office's screens and staff may show the phone-ticket code."),
    "notify": N_("Only staff of the office may ask for a card-ready message."),
}


@dataclass(frozen=True)
class Actor:
    """The person or device making a move, as far as the domain needs to know."""

    user_id: int | None
    role: str
    office_id: int | None  # None: every office
    remote_addr: str | None = None

    @classmethod
    def system(cls) -> Actor:
        return cls(user_id=None, role="system", office_id=None)

    def covers(self, office_id: int) -> bool:
        return self.office_id is None or self.office_id == office_id


def require(actor: Actor, permission: str, office_id: int | None = None) -> None:
    """Raise Forbidden unless ``actor``'s role has ``permission`` in office ``office_id``."""
    if actor.role not in PERMISSIONS[permission]:
        raise Forbidden(_REFUSALS[permission])
    if office_id is not None and not actor.covers(office_id):
        raise Forbidden(
            N_("Your account belongs to another office; it may not act here."),
            error_code="forbidden_office",
        )
