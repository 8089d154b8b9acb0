"""The office's printable poster, ``/book/{office}/poster.pdf``: one A4 page with the name, the
address, the weekly hours, the special days ahead, the services with what to bring, the QR code's
link and booking ahead; in Indonesian or English; typed text drawn as plain text."""

from __future__ import annotations

import io
from datetime import date, time, timedelta

from pypdf import PdfReader

from app.extensions import db
from app.models import Office, Service, SpecialDay
from tests.booking_helpers import add_plan

BASE = "http://antrean.kupang.test"


def _office(session) -> Office:
    return session.query(Office).filter_by(slug="kupang").one()


def _poster(client, path: str = "/book/kupang/poster.pdf") -> tuple[PdfReader, str]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    assert len(reader.pages) == 1
    # Lines are joined: a text that wraps on the page still reads as one.
    return reader, " ".join(reader.pages[0].extract_text().split())


def _dress(app, **fields) -> None:
    """Kupang gets an address, a Saturday session, a holiday, days outside the 60 days ahead,
    and what to bring for service A; ``fields`` set more on the office."""
    with app.app_context():
        office = _office(db.session)
        office.address = "Jl. Timor Raya No. 134, Oesapa, Kota Kupang"
        for key, value in fields.items():
            setattr(office, key, value)
        office.special_days += [
            # T0 is Monday 30 November 2026.
            SpecialDay(
                day=date(2026, 12, 5),
                is_open=True,
                opens=time(8),
                closes=time(12),
                note="Perekaman KTP-el hari Sabtu",
            ),
            SpecialDay(day=date(2026, 12, 25), is_open=False, note="Libur Natal"),
            SpecialDay(day=date(2026, 11, 20), is_open=False, note="Sudah lewat"),
            SpecialDay(day=date(2027, 3, 1), is_open=False, note="Masih jauh"),
        ]
        office.services[0].bring = "fotokopi Kartu Keluarga"
        office.services[2].active = False
        office.services[2].name = "Layanan Tutup"
        db.session.commit()
    app.config["PUBLIC_URL"] = BASE


def test_the_poster_is_one_a4_page_in_indonesian(app, client, world):
    _dress(app)
    response = client.get("/book/kupang/poster.pdf")
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="poster-kupang.pdf"'
    reader, text = _poster(client)
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 portrait

    assert "Kantor kupang" in text
    assert "Jl. Timor Raya No. 134, Oesapa, Kota Kupang" in text
    assert "Senin\u2013Jumat" in text and "08.00\u201316.00 WITA" in text
    assert "Sabtu\u2013Minggu" in text and "Tutup" in text
    assert "Sabtu, 5 Desember" in text and "08.00\u201312.00 WITA" in text
    assert "Perekaman KTP-el hari Sabtu" in text
    assert "Jumat, 25 Desember" in text and "Libur Natal" in text
    assert "Sudah lewat" not in text and "Masih jauh" not in text  # only today to 60 days on
    assert "Layanan A" in text and "Bawa: fotokopi Kartu Keluarga" in text
    assert "Layanan Tutup" not in text  # inactive services are not offered
    assert f"{BASE}/?office=kupang" in text
    assert "Pindai kode ini" in text
    assert "/book/kupang" not in text  # no service takes bookings
    assert "Opening" not in text and "Monday" not in text


def test_the_poster_says_where_to_book_when_a_service_takes_bookings(app, client, world):
    _dress(app)
    add_plan(app)
    _, text = _poster(client)
    assert f"{BASE}/book/kupang" in text
    assert "booking nomor antrean" in text


def test_the_poster_in_english(app, client, world):
    _dress(app)
    _, text = _poster(client, "/book/kupang/poster.pdf?lang=en")
    assert "Monday\u2013Friday" in text and "08:00\u201316:00 WITA" in text
    assert "OPENING HOURS" in text
    assert "Saturday, 5 December" in text and "Perekaman KTP-el hari Sabtu" in text
    assert "Service A" in text and "Bring: fotokopi Kartu Keluarga" in text
    assert "Senin" not in text


def test_an_unknown_office_has_no_poster(client, world):
    response = client.get("/book/tidak-ada/poster.pdf")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_typed_text_is_drawn_as_plain_text(app, client, world):
    _dress(
        app, address="Jl. <b>Merdeka</b> &amp; 5\x07\x1b[31m\u202e\nKupang", name="Kantor <i>X</i>"
    )
    with app.app_context():
        _office(db.session).services[0].bring = "KK <br/> & KTP\x00"
        db.session.commit()
    _, text = _poster(client)
    assert "Kantor <i>X</i>" in text
    assert "Jl. <b>Merdeka</b> &amp; 5[31m Kupang" in text
    assert "Bawa: KK <br/> & KTP" in text
    assert not any(ch in text for ch in "\x00\x07\x1b\u202e")


def test_long_lists_stay_on_one_page(app, client, world):
    _dress(app, name="Dinas Kependudukan dan Pencatatan Sipil " * 3)
    with app.app_context():
        office = _office(db.session)
        taken = {date(2026, 12, 5), date(2026, 12, 25)}
        for offset in range(1, 50):
            day = date(2026, 11, 30) + timedelta(days=offset)
            if day not in taken:
                office.special_days.append(
                    SpecialDay(day=day, is_open=False, note="Libur panjang " * 6)
                )
        for code in "DEFGHIJKLMNOPQRSTUVWXYZ":
            office.services.append(
                Service(code=code, name=f"Layanan {code} " * 4, bring="berkas " * 50, position=9)
            )
        db.session.commit()
    _, text = _poster(client)
    assert "\u2026 dan " in text and "lainnya" in text  # the lists are cut, and say so
    assert f"{BASE}/?office=kupang" in text  # the foot of the page is still there
    assert "Senin\u2013Jumat" in text
