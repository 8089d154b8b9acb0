"""What the TV says, as a sequence of recorded clips.

A call of A-007 to counter 2 is: the chime, then twice
    "Nomor antrean" "a" "nol" "nol" "tujuh" "silakan menuju loket" "dua".
Ticket numbers are read digit by digit, as they are printed ("nol nol tujuh"), so a resident
matches the sound to the paper without arithmetic; counter numbers are read as number words
("dua belas"), as people say them. A card ready for pickup is
    "Nomor antrean" "a" "nol" "nol" "tujuh" "KTP-el Anda sudah siap, silakan ke loket pengambilan".

The clips are WAV files in display/static/voice/, generated offline with espeak-ng by
``flask --app wsgi loket voice``; an office can replace any of them with its own recorded voice
under the same name (see the README for the list).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

VOICE_DIR = Path(__file__).resolve().parent / "static" / "voice"
CHIME = "chime"

LETTERS = {
    "A": "a",
    "B": "be",
    "C": "ce",
    "D": "de",
    "E": "e",
    "F": "ef",
    "G": "ge",
    "H": "ha",
    "I": "i",
    "J": "je",
    "K": "ka",
    "L": "el",
    "M": "em",
    "N": "en",
    "O": "o",
    "P": "pe",
    "Q": "ki",
    "R": "er",
    "S": "es",
    "T": "te",
    "U": "u",
    "V": "fe",
    "W": "we",
    "X": "eks",
    "Y": "ye",
    "Z": "zet",
}
DIGITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan"]

# clip name -> what it says (the generator speaks these; recorded clips must say the same)
PHRASES: dict[str, str] = {
    "nomor_antrean": "Nomor antrean",
    "silakan_menuju_loket": "silakan menuju loket",
    "ktp_siap": "KTP-el Anda sudah siap, silakan ke loket pengambilan",
    "sepuluh": "sepuluh",
    "sebelas": "sebelas",
    "belas": "belas",
    "puluh": "puluh",
    **{f"huruf_{letter.lower()}": spoken for letter, spoken in LETTERS.items()},
    **{f"angka_{digit}": word for digit, word in enumerate(DIGITS)},
}


def _ticket(code: str) -> list[str]:
    """ "A-007" -> nomor antrean, a, nol, nol, tujuh."""
    letter, _, number = code.partition("-")
    clips = ["nomor_antrean"]
    clips += [f"huruf_{c.lower()}" for c in letter if c.upper() in LETTERS]
    clips += [f"angka_{d}" for d in number if d.isdigit()]
    return clips


def number_words(number: int) -> list[str]:
    """A counter number as Indonesian number words: 2 -> dua, 12 -> dua belas, 25 -> dua puluh
    lima. Numbers from 100 on are read digit by digit."""
    if 0 <= number < 10:
        return [f"angka_{number}"]
    if number == 10:
        return ["sepuluh"]
    if number == 11:
        return ["sebelas"]
    if number < 20:
        return [f"angka_{number - 10}", "belas"]
    if number < 100:
        tens, ones = divmod(number, 10)
        words = [f"angka_{tens}", "puluh"]
        return words + ([f"angka_{ones}"] if ones else [])
    return [f"angka_{d}" for d in str(number)]


def call_clips(code: str, counter: int) -> list[str]:
    """The clips for one call (said twice after the chime by the TV)."""
    return [*_ticket(code), "silakan_menuju_loket", *number_words(counter)]


def pickup_clips(code: str) -> list[str]:
    """The clips announcing that a ticket's card is ready for pickup."""
    return [*_ticket(code), "ktp_siap"]


def generate(target: Path = VOICE_DIR) -> list[Path]:
    """Speak every phrase with espeak-ng (Indonesian) and make the chime with sox.

    Raises RuntimeError when espeak-ng or sox is missing (Debian: apt install espeak-ng sox).
    """
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            raise RuntimeError(f"{tool} is needed to generate the voice clips")
    target.mkdir(parents=True, exist_ok=True)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, text in sorted(PHRASES.items()):
            raw = Path(tmp) / f"{name}.wav"
            subprocess.run(
                [
                    "espeak-ng",
                    "-v",
                    "id",
                    "-s",
                    "125",
                    "-p",
                    "40",
                    "-a",
                    "180",
                    "-w",
                    str(raw),
                    text,
                ],
                check=True,
            )
            out = target / f"{name}.wav"
            # Mono 22 kHz, leading/trailing silence trimmed, loudness evened out.
            subprocess.run(
                [
                    "sox",
                    str(raw),
                    "-r",
                    "22050",
                    "-c",
                    "1",
                    "-b",
                    "16",
                    str(out),
                    "silence",
                    "1",
                    "0.02",
                    "0.5%",
                    "reverse",
                    "silence",
                    "1",
                    "0.02",
                    "0.5%",
                    "reverse",
                    "pad",
                    "0",
                    "0.08",
                    "norm",
                    "-1",
                ],
                check=True,
            )
            made.append(out)
        chime = target / f"{CHIME}.wav"
        # A two-tone "ding-dong" with a soft decay.
        subprocess.run(
            [
                "sox",
                "-n",
                "-r",
                "22050",
                "-c",
                "1",
                "-b",
                "16",
                str(chime),
                "synth",
                "0.7",
                "sine",
                "880",
                "sine",
                "1760",
                "remix",
                "-",
                "fade",
                "0",
                "0.7",
                "0.6",
                ":",
                "synth",
                "1.1",
                "sine",
                "698.5",
                "sine",
                "1397",
                "remix",
                "-",
                "fade",
                "0",
                "1.1",
                "1.0",
                "norm",
                "-3",
            ],
            check=True,
        )
        made.append(chime)
    return made


def all_clip_names() -> list[str]:
    return [CHIME, *sorted(PHRASES)]
