"""Booking plans and bookings for API and page tests."""

from __future__ import annotations

from datetime import time

from app.extensions import db
from app.models import BookingPlan, Office, Service


def add_plan(app, office: str = "kupang", service: str = "A", **fields) -> None:
    """Service ``service`` of ``office`` takes bookings every day from 08:00 to 15:00 in
    15-minute slots of 3 places (fields override), half the quota kept for walk-ins."""
    values = {
        "enabled": True,
        "weekdays": "0123456",
        "starts": time(8),
        "ends": time(15),
        "slot_min": 15,
        "places": 3,
        "walk_in_pct": 50,
        "early_min": 30,
        "late_min": 15,
        "days_ahead": 14,
        **fields,
    }
    with app.app_context():
        row = (
            db.session.query(Service)
            .join(Office)
            .filter(Office.slug == office, Service.code == service)
            .one()
        )
        plan = db.session.get(BookingPlan, row.id) or BookingPlan(service_id=row.id)
        for key, value in values.items():
            setattr(plan, key, value)
        db.session.add(plan)
        db.session.commit()


def book(client, start: str, office: str = "kupang", service: str = "A", address: str = "10.0.0.1"):
    """POST a booking from ``address``; returns the response."""
    return client.post(
        f"/api/v1/offices/{office}/bookings",
        json={"service": service, "start": start},
        environ_base={"REMOTE_ADDR": address},
    )
