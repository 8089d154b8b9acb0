"""What the TV receives when it must say something: a call or recall to a counter, or a card
ready for pickup. Only the ticket's code, its service and the counter; never a name."""

from __future__ import annotations

from app.domain import shapes
from app.domain.events import Announced

from .voice import call_clips, pickup_clips


def called_payload(item: Announced) -> shapes.Called:
    """A call or recall (contract: code, counter, counter_name, service, seq)."""
    return {
        "code": item.code,
        "counter": item.counter,
        "counter_name": item.counter_name,
        "service": item.service,
        "seq": item.seq,
        "recall": item.kind == "recall",
        "clips": call_clips(item.code, item.counter or 0),
    }


def pickup_payload(item: Announced) -> shapes.Pickup:
    """A card ready: the resident goes to the pickup counter."""
    return {
        "code": item.code,
        "service": item.service,
        "seq": item.seq,
        "clips": pickup_clips(item.code),
    }
