"""What the TV says: the clip sequences and the clips themselves."""

from __future__ import annotations

import wave

import pytest

from display.voice import VOICE_DIR, all_clip_names, call_clips, number_words, pickup_clips


def test_call_reads_the_ticket_digit_by_digit_and_the_counter_as_a_word():
    assert call_clips("A-007", 2) == [
        "nomor_antrean",
        "huruf_a",
        "angka_0",
        "angka_0",
        "angka_7",
        "silakan_menuju_loket",
        "angka_2",
    ]


def test_four_digit_ticket_numbers_are_read_whole():
    assert call_clips("B-1234", 5)[2:6] == ["angka_1", "angka_2", "angka_3", "angka_4"]


@pytest.mark.parametrize(
    ("number", "words"),
    [
        (1, ["angka_1"]),
        (9, ["angka_9"]),
        (10, ["sepuluh"]),
        (11, ["sebelas"]),
        (12, ["angka_2", "belas"]),
        (19, ["angka_9", "belas"]),
        (20, ["angka_2", "puluh"]),
        (21, ["angka_2", "puluh", "angka_1"]),
        (99, ["angka_9", "puluh", "angka_9"]),
        (100, ["angka_1", "angka_0", "angka_0"]),
    ],
)
def test_counter_numbers_as_indonesian_words(number, words):
    assert number_words(number) == words


def test_pickup_says_the_card_is_ready():
    assert pickup_clips("A-012") == [
        "nomor_antrean",
        "huruf_a",
        "angka_0",
        "angka_1",
        "angka_2",
        "ktp_siap",
    ]


def test_every_clip_a_sequence_can_use_exists_as_a_short_wav():
    names = set(all_clip_names())
    files = {p.stem for p in VOICE_DIR.glob("*.wav")}
    assert names == files
    for code in ("A-007", "Z-999", "H-1000"):
        for counter in range(1, 100):
            assert set(call_clips(code, counter)) <= names
    for name in names:
        with wave.open(str(VOICE_DIR / f"{name}.wav")) as clip:
            seconds = clip.getnframes() / clip.getframerate()
            assert clip.getnchannels() == 1 and 0.1 < seconds < 6, name
