"""libespeak-ng through ctypes, run as a short-lived script: ``python espeak_ctypes.py LIBRARY``.

Reads a JSON list of requests ({"text", "voice", "rate", "pitch"}) on stdin and writes one JSON
line ({"sample_rate", "version", "results": [{"samples", "events"}]} or {"error"}) followed by
every request's int16 samples, back to back, on stdout.

Why a separate process per batch: the engine carries state from one synthesis to the next (the
same text comes out a few samples different the second time, and espeak_Terminate followed by
espeak_Initialize hangs), so only a fresh engine gives the same audio for the same request.
The script imports nothing but the standard library, so it starts in ~30 ms.

Events name phonemes in IPA (espeakINITIALIZE_PHONEME_IPA) rather than espeak's mnemonics:
mnemonics are defined per language (French 'r' is uvular, Spanish 'r' a tap), IPA means the
same everywhere, so one table (ipa.py) maps every language. Each event carries its position
in the output in samples, so the timings belong to exactly the audio returned.
"""

from __future__ import annotations

import ctypes
import json
import sys

# From espeak-ng's speak_lib.h (API of 1.51).
AUDIO_OUTPUT_SYNCHRONOUS = 2  # samples come back through the callback; Synth returns when done
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000  # report errors instead of calling exit()
CHARS_UTF8 = 1
POS_CHARACTER = 1
EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7
PARAM_RATE = 1  # words per minute, 80..450
PARAM_PITCH = 3  # 0..99, 50 is the voice's normal pitch
EE_OK = 0


class EventId(ctypes.Union):
    _fields_ = (("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8))


class Event(ctypes.Structure):
    _fields_ = (
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms, rounded down
        ("sample", ctypes.c_int),  # the same position in samples: what we use
        ("user_data", ctypes.c_void_p),
        ("id", EventId),
    )


Callback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(Event))


def main(library: str) -> int:
    requests = json.loads(sys.stdin.buffer.read())
    lib = ctypes.CDLL(library)
    lib.espeak_Initialize.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int)
    lib.espeak_SetSynthCallback.argtypes = (Callback,)
    lib.espeak_SetVoiceByName.argtypes = (ctypes.c_char_p,)
    lib.espeak_SetParameter.argtypes = (ctypes.c_int, ctypes.c_int, ctypes.c_int)
    lib.espeak_Synth.argtypes = (
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
        ctypes.c_void_p, ctypes.c_void_p,
    )  # fmt: skip
    lib.espeak_Info.restype = ctypes.c_char_p
    lib.espeak_Info.argtypes = (ctypes.c_void_p,)

    options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT
    sample_rate = lib.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
    if sample_rate <= 0:
        return _fail("libespeak-ng found no voice data (apt-get install espeak-ng-data)")

    audio: list[bytes] = []
    events: list[list] = []

    def collect(wav, num_samples, event_list) -> int:
        if num_samples > 0 and wav:
            audio.append(ctypes.string_at(wav, 2 * num_samples))
        i = 0
        while event_list[i].type != EVENT_LIST_TERMINATED:
            event = event_list[i]
            if event.type == EVENT_PHONEME:
                # id.string holds up to 8 bytes of UTF-8, zero-terminated when shorter.
                name = bytes(event.id.string).split(b"\0")[0].decode("utf-8", "replace")
                events.append([name, int(event.sample)])
            i += 1
        return 0  # 0 = carry on

    callback = Callback(collect)  # a name holds it: the library keeps only a raw pointer
    lib.espeak_SetSynthCallback(callback)
    results, chunks = [], []
    for req in requests:
        if lib.espeak_SetVoiceByName(req["voice"].encode()) != EE_OK:
            return _fail(f"espeak-ng has no voice {req['voice']!r}")
        lib.espeak_SetParameter(PARAM_RATE, int(req["rate"]), 0)
        lib.espeak_SetParameter(PARAM_PITCH, int(req["pitch"]), 0)
        audio.clear()
        events.clear()
        text = req["text"].encode()
        status = lib.espeak_Synth(text, len(text) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
        if status != EE_OK:
            return _fail(f"espeak-ng could not synthesise {req['text']!r} (error {status})")
        pcm = b"".join(audio)
        results.append({"samples": len(pcm) // 2, "events": list(events)})
        chunks.append(pcm)
    header = {"sample_rate": sample_rate, "version": lib.espeak_Info(None).decode(), "results": results}
    out = sys.stdout.buffer
    out.write(json.dumps(header).encode() + b"\n")
    out.write(b"".join(chunks))
    out.flush()
    return 0


def _fail(message: str) -> int:
    sys.stdout.buffer.write(json.dumps({"error": message}).encode() + b"\n")
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
