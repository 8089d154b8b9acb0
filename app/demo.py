"""The demo offices of Kota Kupang (``flask --app wsgi loket demo``)."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .auth.users import create_user, new_password
from .models import (
    BookingPlan,
    Counter,
    CounterService,
    Office,
    OpeningHours,
    Service,
    SpecialDay,
)

ANNOUNCEMENT = (
    "Selamat datang di {name}. Layanan administrasi kependudukan tidak dipungut biaya. "
    "Siapkan fotokopi Kartu Keluarga. Nomor antrean Anda dipanggil di layar ini; pantau juga "
    "dari ponsel dengan memindai kode QR pada karcis."
)
# code, name, English name, colour, produces a card
KUPANG_SERVICES = [
    ("A", "Perekaman KTP-el", "ID card recording", "#1565c0", True),
    ("B", "Cetak KTP-el", "ID card printing", "#6a1b9a", True),
    ("C", "Kartu Keluarga", "Family card", "#2e7d32", False),
    ("D", "Akta Pencatatan Sipil", "Civil certificates", "#c62828", False),
    ("E", "Pindah Datang", "Moving in and out", "#00838f", False),
    ("F", "Kartu Identitas Anak", "Child ID card", "#ad1457", False),
    ("G", "Aktivasi IKD", "Digital ID activation", "#4e342e", False),
    ("H", "Informasi & Pengaduan", "Information and complaints", "#455a64", False),
]
# number, name, service codes
KUPANG_COUNTERS = [
    (1, "Loket 1", "A"),
    (2, "Loket 2", "A"),
    (3, "Loket 3", "BG"),
    (4, "Loket 4", "CEF"),
    (5, "Loket 5", "DH"),
]
DISTRICT_SERVICES = [s for s in KUPANG_SERVICES if s[0] in "ACG"]
DISTRICT_COUNTERS = [(1, "Loket 1", "A"), (2, "Loket 2", "CG")]
# Extra Saturday sessions announced before the 27 November 2024 regional election.
SATURDAY_SESSIONS = [
    date(2024, 9, 28),
    date(2024, 10, 12),
    date(2024, 10, 26),
    date(2024, 11, 9),
    date(2024, 11, 23),
]
# What to bring, per service letter (shown on the public page).
BRING = {
    "A": "Fotokopi Kartu Keluarga (KK); sudah berumur 17 tahun atau sudah/pernah menikah.",
    "B": "Bukti perekaman KTP-el atau KTP-el lama yang rusak.",
    "C": "KK lama, surat pengantar RT/RW, dan dokumen peristiwa (akta nikah, akta lahir).",
    "D": "Surat keterangan dari rumah sakit atau kelurahan, KK dan KTP-el orang tua.",
    "E": "Surat pindah (SKPWNI) dan KK.",
    "F": "Akta kelahiran anak, KK, pas foto anak berumur 5 tahun ke atas.",
    "G": "KTP-el dan ponsel dengan aplikasi IKD terpasang.",
    "H": "",
}
# Demo places: an address that says it is an example, and a geo: link (a phone opens its own
# map app; the server fetches nothing).
PLACES = {
    "kupang": ("Alamat contoh: Jl. Contoh No. 1, Kota Kupang", "geo:-10.1632,123.6010"),
    "oebobo": ("Alamat contoh: Kantor Camat Oebobo, Kota Kupang", "geo:-10.1702,123.6093"),
    "kota-raja": ("Alamat contoh: Kantor Camat Kota Raja, Kota Kupang", "geo:-10.1814,123.5860"),
}
# Services that take bookings in the demo: every day (the demo offices are always open), in
# 15-minute slots from 08:00 to 15:00, half of the quota kept for walk-ins.
BOOKABLE = "AC"
DEMO_USERS = [
    ("admin", "admin", None, "Administrator"),
    ("operator", "operator", "kupang", "Operator Loket Kupang"),
    ("clerk", "clerk", "kupang", "Petugas Cetak & Serah"),
    ("kiosk", "kiosk", "kupang", "Kios Antrean Kupang"),
    ("display", "display", "kupang", "Layar TV Kupang"),
]


def _office(
    session: Session, slug: str, name: str, services: list, counters: list, now: datetime
) -> Office:
    office = Office(
        slug=slug,
        name=name,
        timezone="Asia/Makassar",
        always_open=True,
        announcement=ANNOUNCEMENT.format(name=name),
        ticket_footer="Bawa fotokopi Kartu Keluarga (KK). Layanan gratis.",
        card_stock=250,
        cutoff_time=time(15, 0),
        priority_boost_min=60,
        seq=0,
        created_at=now,
        address=PLACES.get(slug, ("", ""))[0],
        map_url=PLACES.get(slug, ("", ""))[1],
    )
    office.hours = [OpeningHours(weekday=d, opens=time(8, 0), closes=time(16, 0)) for d in range(5)]
    office.special_days = [
        SpecialDay(
            day=d,
            is_open=True,
            opens=time(8, 0),
            closes=time(12, 0),
            note="Perekaman KTP-el hari Sabtu (Pilkada 2024)",
        )
        for d in SATURDAY_SESSIONS
    ]
    by_code = {}
    for position, (code, svc_name, name_en, colour, card) in enumerate(services):
        service = Service(
            code=code,
            name=svc_name,
            name_en=name_en,
            colour=colour,
            produces_card=card,
            active=True,
            position=position,
            default_service_s=420 if card else 600,
            bring=BRING.get(code, ""),
        )
        office.services.append(service)
        by_code[code] = service
    for number, counter_name, codes in counters:
        counter = Counter(number=number, name=counter_name, is_open=True, call_order="oldest")
        counter.links = [
            CounterService(service=by_code[c], position=i) for i, c in enumerate(codes)
        ]
        office.counters.append(counter)
    session.add(office)
    session.flush()
    for code in BOOKABLE:
        if code in by_code:
            session.add(
                BookingPlan(
                    service_id=by_code[code].id,
                    enabled=True,
                    weekdays="0123456",
                    starts=time(8, 0),
                    ends=time(15, 0),
                    slot_min=15,
                    places=3,
                    walk_in_pct=50,
                    early_min=30,
                    late_min=15,
                    days_ahead=14,
                )
            )
    return office


def seed(session: Session, now: datetime) -> dict[str, str] | None:
    """Create the demo offices and users when the database has no office yet.

    Returns {username: password} of the users it created, each with its own random password,
    or None when offices existed (nothing is changed then).
    """
    if session.scalar(select(func.count()).select_from(Office)):
        return None
    offices = {
        "kupang": _office(
            session, "kupang", "Dukcapil Kota Kupang", KUPANG_SERVICES, KUPANG_COUNTERS, now
        ),
        "oebobo": _office(
            session,
            "oebobo",
            "Dukcapil Kecamatan Oebobo",
            DISTRICT_SERVICES,
            DISTRICT_COUNTERS,
            now,
        ),
        "kota-raja": _office(
            session,
            "kota-raja",
            "Dukcapil Kecamatan Kota Raja",
            DISTRICT_SERVICES,
            DISTRICT_COUNTERS,
            now,
        ),
    }
    session.flush()
    created = {}
    for username, role, slug, display in DEMO_USERS:
        # One random password each: knowing the kiosk's or the TV's must not give the
        # all-offices administrator's.
        password = new_password()
        create_user(
            session,
            username,
            role,
            office=offices[slug] if slug else None,
            password=password,
            now=now,
            display_name=display,
        )
        created[username] = password
    return created
