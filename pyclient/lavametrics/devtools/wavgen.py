"""Generate the audio files that tests and the demo play (stdlib only)."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

SAMPLE_RATE = 48_000


def write_tone(path: Path, seconds: float, frequency: float = 440.0, volume: float = 0.3) -> Path:
    """A stereo 16-bit 48 kHz sine tone: the format Lavalink plays without resampling."""
    frames = int(seconds * SAMPLE_RATE)
    amplitude = int(32767 * volume)
    step = 2 * math.pi * frequency / SAMPLE_RATE
    # One period repeated keeps generation cheap for long files.
    period = max(1, round(SAMPLE_RATE / frequency))
    cycle = b"".join(struct.pack("<hh", s, s) for s in (int(amplitude * math.sin(step * i)) for i in range(period)))
    data = (cycle * (frames // period + 1))[: frames * 4]
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(data)
    return path


def write_corrupt_wav(path: Path, seconds: float = 2.0) -> Path:
    """A WAV whose header promises ten times the audio the file holds.

    The header is valid, so the local source loads it as a track; the decoder then runs out
    of data mid-stream once playback starts, which lavaplayer reports as a track exception
    (severity FAULT) rather than a load error.
    """
    write_tone(path, seconds)
    raw = bytearray(path.read_bytes())
    data = raw.find(b"data")
    declared = struct.unpack_from("<I", raw, data + 4)[0]
    struct.pack_into("<I", raw, data + 4, declared * 10)
    path.write_bytes(bytes(raw[: data + 8 + SAMPLE_RATE]))  # a quarter second of stereo audio
    return path
