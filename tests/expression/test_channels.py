import numpy as np

from avatar.expression import (
    ARKIT_BLENDSHAPES,
    ARTICULATORS,
    CHANNEL_INDEX,
    CHANNELS,
    EXPRESSION_DIM,
    channel_vector,
    mouth_openness,
)


def test_contract_layout():
    assert EXPRESSION_DIM == 64 == len(CHANNELS) == len(set(CHANNELS))
    assert len(ARKIT_BLENDSHAPES) == 52 and len(ARTICULATORS) == 12
    # Apple's order, as Live Link Face streams it
    assert ARKIT_BLENDSHAPES[0] == "eyeBlinkLeft"
    assert CHANNEL_INDEX["eyeBlinkRight"] == 7
    assert CHANNEL_INDEX["jawOpen"] == 17
    assert CHANNEL_INDEX["mouthClose"] == 18
    assert CHANNEL_INDEX["browDownLeft"] == 41
    assert CHANNEL_INDEX["tongueOut"] == 51
    assert CHANNELS[52:] == tuple(ARTICULATORS)
    assert all(meaning for meaning in ARTICULATORS.values())


def test_mouth_openness():
    closed = channel_vector({"jawOpen": 0.3, "mouthClose": 0.3})
    sealed = channel_vector({"jawOpen": 0.3, "lipSeal": 1.0})
    open_ = channel_vector({"jawOpen": 0.5})
    values = mouth_openness(np.stack([np.zeros(64, np.float32), closed, sealed, open_]))
    np.testing.assert_allclose(values, [0.0, 0.0, 0.0, 0.5], atol=1e-6)
