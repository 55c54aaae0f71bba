"""Real synthetic speech from espeak-ng, through a small ctypes binding.

`espeakng-loader` ships the library and its voice data on PyPI, so speech needs no system
package; Debian's libespeak-ng is used when the wheel is absent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from scipy.signal import resample_poly

from crossmodal.data.media import N_SAMPLES, SAMPLE_RATE
from crossmodal.errors import CrossmodalError

_AUDIO_OUTPUT_RETRIEVAL = 1
_PARAM_RATE, _PARAM_VOLUME, _PARAM_PITCH, _PARAM_RANGE = 1, 2, 3, 4
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice: language, variant and prosody; distinct settings sound distinct."""

    name: str
    language: str
    variant: str
    pitch: int  # 0-99, base pitch
    rate: int  # words per minute
    range: int  # 0-99, pitch range (intonation)

    @property
    def espeak_name(self) -> str:
        return f"{self.language}+{self.variant}"


def _voices() -> tuple[Voice, ...]:
    variants = [
        ("en-us", "m1", 45, 165, 50), ("en", "f1", 60, 150, 60), ("en-us", "m3", 35, 140, 40),
        ("en", "f2", 70, 175, 70), ("en-us", "m2", 55, 155, 55), ("en", "m4", 40, 185, 45),
        ("en-us", "f3", 65, 145, 65), ("en", "m5", 30, 160, 35), ("en-us", "f4", 75, 165, 80),
        ("en", "m6", 50, 135, 50), ("en-us", "m7", 42, 175, 60), ("en", "f5", 68, 155, 55),
        ("en-us", "klatt", 50, 150, 50), ("en", "klatt2", 45, 170, 45),
        ("en-us", "klatt3", 60, 140, 60), ("en", "m2", 62, 190, 70), ("en-us", "f2", 55, 130, 40),
        ("en", "m1", 38, 145, 30), ("en-us", "f1", 80, 160, 75), ("en", "m3", 48, 180, 52),
        ("en-us", "f5", 72, 135, 62), ("en", "klatt", 35, 155, 38), ("en-us", "m6", 58, 170, 66),
        ("en", "f3", 66, 185, 58),
    ]
    return tuple(
        Voice(f"v{i:02d}", lang, var, pitch, rate, rng)
        for i, (lang, var, pitch, rate, rng) in enumerate(variants)
    )


VOICES: tuple[Voice, ...] = _voices()


def _confirmation_voices() -> tuple[Voice, ...]:
    # variants no development voice uses, so a confirmation voice is a timbre nobody tuned on
    variants = [
        ("en-us", "Gene", 50, 160, 50), ("en", "klatt4", 45, 150, 45),
        ("en-us", "klatt5", 55, 170, 55), ("en", "klatt6", 40, 145, 40),
        ("en-us", "adam", 48, 155, 60), ("en", "benjamin", 52, 175, 50),
        ("en-us", "aunty", 60, 140, 55), ("en", "edward", 58, 165, 65),
        ("en-us", "linda", 62, 150, 60), ("en", "steph", 66, 160, 70),
        ("en-us", "max", 46, 180, 45), ("en", "paul", 54, 145, 50),
        ("en-us", "robert", 42, 165, 40), ("en", "quincy", 56, 155, 58),
        ("en-us", "travis", 50, 170, 52), ("en", "iven", 48, 150, 46),
        ("en-us", "Annie", 70, 155, 66), ("en", "Michael", 44, 160, 48),
        ("en-us", "gustave", 52, 140, 54), ("en", "belinda", 64, 170, 62),
    ]
    return tuple(
        Voice(f"c{i:02d}", lang, var, pitch, rate, rng)
        for i, (lang, var, pitch, rate, rng) in enumerate(variants)
    )


#: Voices kept apart from everything developed or tuned: `crossmodal generate --voice-set
#: confirmation` and `crossmodal confirm` speak with them; the recogniser's speech corpus
#: (features.speech_corpus) never does.
CONFIRMATION_VOICES: tuple[Voice, ...] = _confirmation_voices()
VOICE_SETS: dict[str, tuple[Voice, ...]] = {
    "development": VOICES,
    "confirmation": CONFIRMATION_VOICES,
}
# far apart, so a set may grow without one set's voice numbers reaching another's
_SET_OFFSETS: dict[str, int] = {"development": 0, "confirmation": 1000}


def voice_set(name: str) -> tuple[Voice, ...]:
    """The voices of a named set, with a one-line error for an unknown name."""
    if name not in VOICE_SETS:
        raise CrossmodalError(f"unknown voice set {name!r}; expected one of "
                              f"{', '.join(VOICE_SETS)}")
    return VOICE_SETS[name]


def voice_named(name: str) -> Voice:
    """The voice called `name` in any set."""
    for voices in VOICE_SETS.values():
        for voice in voices:
            if voice.name == name:
                return voice
    raise CrossmodalError(f"unknown voice {name!r}")


def voice_number(voice: Voice) -> int:
    """A number unique to the voice across sets: a development voice's is its index in VOICES
    (what seeded its speech before other sets existed), so those seeds stay as they were."""
    for set_name, voices in VOICE_SETS.items():
        if voice in voices:
            return _SET_OFFSETS[set_name] + voices.index(voice)
    raise CrossmodalError(f"voice {voice.name!r} is in no voice set")


class _Engine:
    """Process-wide espeak-ng handle; the library is not re-entrant, so calls are serialised."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lib, data_path = self._load()
        rate = self._lib.espeak_Initialize(_AUDIO_OUTPUT_RETRIEVAL, 0, data_path, 0)
        if rate <= 0:
            raise CrossmodalError("espeak-ng failed to initialise (voice data not found)")
        self.sample_rate = int(rate)
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._collect)  # kept alive as long as the engine
        self._lib.espeak_SetSynthCallback(self._callback)
        # espeak-ng seeds its noise source (the breathy f2, f3 and f5 variants) from the clock;
        # seeding it per utterance makes those voices reproducible. Older libraries lack it.
        self._set_seed = getattr(self._lib, "espeak_ng_SetRandSeed", None)

    @staticmethod
    def _load() -> tuple[ctypes.CDLL, bytes | None]:
        try:
            import espeakng_loader

            return ctypes.CDLL(espeakng_loader.get_library_path()), str(
                espeakng_loader.get_data_path()
            ).encode()
        except ImportError:
            found = ctypes.util.find_library("espeak-ng")
            if not found:
                raise CrossmodalError(
                    "espeak-ng not found: pip install espeakng-loader (or apt install espeak-ng)"
                ) from None
            return ctypes.CDLL(found), None

    def _collect(self, wav: ctypes.POINTER(ctypes.c_short), n: int, _events: int) -> int:
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    def say(self, text: str, voice: Voice, seed: int = 0) -> np.ndarray:
        with self._lock:
            if self._set_seed is not None:
                self._set_seed(ctypes.c_long(seed))
            if self._lib.espeak_SetVoiceByName(voice.espeak_name.encode()) != 0:
                raise CrossmodalError(f"espeak-ng has no voice {voice.espeak_name!r}")
            for param, value in (
                (_PARAM_RATE, voice.rate),
                (_PARAM_PITCH, voice.pitch),
                (_PARAM_RANGE, voice.range),
                (_PARAM_VOLUME, 100),
            ):
                self._lib.espeak_SetParameter(param, value, 0)
            self._chunks = []
            data = text.encode()
            self._lib.espeak_Synth(data, len(data) + 1, 0, 0, 0, 0, None, None)
            self._lib.espeak_Synchronize()
            chunks, self._chunks = self._chunks, []
        if not chunks:
            raise CrossmodalError(f"espeak-ng produced no audio for {text!r}")
        return np.concatenate(chunks).astype(np.float32) / 32768.0


_engine: _Engine | None = None


def engine_unused() -> bool:
    """Whether this process has not loaded espeak-ng (a child forked now starts fresh)."""
    return _engine is None


def _get_engine() -> _Engine:
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


def synthesize(text: str, voice: Voice, seed: int = 0) -> np.ndarray:
    """The sentence spoken by `voice` at 16 kHz, trimmed of leading and trailing silence.

    `seed` drives the noise of breathy voices. The result still depends on what this process
    spoke before (espeak-ng keeps other state too), which `generate` handles.
    """
    engine = _get_engine()
    raw = engine.say(text, voice, seed)
    ratio = Fraction(SAMPLE_RATE, engine.sample_rate).limit_denominator(1000)
    wave = resample_poly(raw, ratio.numerator, ratio.denominator).astype(np.float32)
    loud = np.flatnonzero(np.abs(wave) > 0.01)
    return wave[loud[0] : loud[-1] + 1] if len(loud) else wave


def place(
    speech: np.ndarray, rng: np.random.Generator, n: int = N_SAMPLES
) -> tuple[np.ndarray, float]:
    """Put speech inside an n-sample clip at a random onset; returns the clip and onset seconds."""
    margin = int(0.1 * SAMPLE_RATE)
    if len(speech) > n - 2 * margin:
        raise CrossmodalError(f"speech of {len(speech) / SAMPLE_RATE:.2f} s does not fit the clip")
    latest = min(n - margin - len(speech), int(0.8 * SAMPLE_RATE))
    onset = int(rng.integers(margin, max(margin, latest) + 1))
    out = np.zeros(n, dtype=np.float32)
    out[onset : onset + len(speech)] = speech
    peak = float(np.abs(out).max())
    if peak > 0:
        out *= 0.5 / peak  # equal loudness across voices leaves headroom for volume x2
    return out, onset / SAMPLE_RATE
