"""A sample ticket, as the app would hand it to the layout."""

from __future__ import annotations

from printer.layout import TicketData

# The words come from the app's catalogue (tests/printer/test_printing_app.py checks that);
# here they are the layout's input.
WORDS = {
    "number": "NOMOR ANTREAN",
    "priority": "PRIORITAS",
    "ahead": "Di depan Anda: {n} orang",
    "ahead_none": "Anda berikutnya",
    "wait": "Perkiraan tunggu: sekitar {m} menit",
    "scan": "Pindai untuk memantau antrean Anda",
}
TICKET = TicketData(
    office="Dukcapil Kota Kupang",
    service="Perekaman KTP-el",
    code="A-007",
    issued_at="30-11-2026 09:00 WITA",
    url="http://192.168.1.10:5000/t/Zk3vYq8xN1sB2mQ7rT5wLg",
    ahead=3,
    wait_min=15,
    footer="Bawa fotokopi Kartu Keluarga (KK) \u2014 layanan \u201cgratis\u201d.",
    words=WORDS,
)
