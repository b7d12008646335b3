"""The learned mouth (render.mouth: learned) on the astronaut (open mouth) and Grace Hopper
(closed): the photo back at neutral, closures untouched, nothing drawn outside the mouth, the
opening still read by MediaPipe, batches and devices alike."""

import numpy as np
import pytest
import torch

from avatar.config import load_config
from avatar.eval.render import jaw_sweep, neutral, neutral_psnr
from avatar.expression.channels import CHANNEL_INDEX
from avatar.lipsync.visemes import viseme_target
from avatar.models import load_mouth, load_renderer, mouth_net
from avatar.render import Renderer

NAMES = ("astronaut", "hopper")


@pytest.fixture(scope="module")
def learned(avatars):
    net = mouth_net()
    return {name: Renderer(a.image, a.landmarks, 256, mouth=net) for name, a in avatars.items()}


@pytest.mark.parametrize("name", NAMES)
def test_neutral_still_reproduces_the_photo(learned, avatars, name):
    assert neutral_psnr(learned[name], avatars[name].image) >= 40.0


@pytest.mark.parametrize("name", NAMES)
def test_closed_lips_draw_nothing(learned, renderers, name):
    shut = viseme_target("PP", 0.05)[None]  # a bilabial closure at a slight jaw drop
    assert np.array_equal(learned[name].render(shut), renderers[name].render(shut))


@pytest.mark.parametrize(("name", "least"), [("astronaut", 0.1), ("hopper", 1.0)])
def test_only_the_mouth_changes(learned, renderers, name, least):
    wide = viseme_target("aa", 0.7)[None]
    a, b = learned[name].render(wide)[0].astype(int), renderers[name].render(wide)[0].astype(int)
    y0, y1, x0, x1 = learned[name].mouth_box
    outside = np.ones(a.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert np.abs(a - b)[outside].max() == 0
    # and inside it is not the procedural drawing (the astronaut's own teeth fill most of hers)
    assert np.abs(a - b)[~outside].mean() > least


@pytest.mark.parametrize("name", NAMES)
def test_the_opening_still_follows_jaw_open(learned, name):
    rho, gaps = jaw_sweep(learned[name])
    assert rho >= 0.95, gaps
    assert gaps[0] < 0.03 and gaps[-1] > 0.2


def test_no_flat_block_inside_a_closed_photo_mouth(learned):
    r = learned["hopper"]
    expression = viseme_target("aa", 0.7)[None]
    frame = r.render(expression)[0].astype(np.float64)
    from avatar.render.mouth import mouth_opening

    e = torch.from_numpy(expression)
    mask = mouth_opening(r.mouth_pixels, r.landmarks(e, torch.zeros(1, 3), torch.zeros(1, 2)))[0][0]
    y0, y1, x0, x1 = r.mouth_box
    inside = frame[y0:y1, x0:x1].reshape(-1, 3)[mask.numpy() > 0.9]
    assert len(inside) > 200
    # the procedural mouth's flat teeth block is one colour over a third of the opening; real
    # mouths shade from teeth to cavity
    levels = inside.mean(1)
    assert levels.std() > 12.0 and np.percentile(levels, 90) - np.percentile(levels, 10) > 30.0


def test_a_batch_renders_as_its_frames_one_by_one(learned):
    r = learned["hopper"]
    expr = neutral(r, 4)
    expr[:, CHANNEL_INDEX["jawOpen"]] = [0.1, 0.3, 0.5, 0.7]
    together = r.render(expr)
    alone = np.concatenate([r.render(expr[i : i + 1]) for i in range(4)])
    assert np.abs(together.astype(int) - alone.astype(int)).max() <= 1


def test_512_draws_the_same_mouth(learned, avatars):
    a = avatars["hopper"]
    big = Renderer(a.image, a.landmarks, 512, mouth=mouth_net())
    wide = viseme_target("aa", 0.6)[None]
    small = learned["hopper"].render(wide)[0].astype(np.float64)
    down = big.render(wide)[0].reshape(256, 2, 256, 2, 3).mean((1, 3))
    y0, y1, x0, x1 = learned["hopper"].mouth_box
    assert np.abs(small[y0:y1, x0:x1] - down[y0:y1, x0:x1]).mean() < 6.0


def test_config_picks_the_mouth(avatars):
    assert load_mouth(load_config({"render.mouth": "procedural"})) is None
    cfg = load_config({"render.mouth": "learned"})
    assert load_mouth(cfg) is load_mouth(cfg)  # one network per process, shared by renderers
    assert load_renderer(avatars["hopper"], 256, cfg).learned is not None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_draws_the_same_mouth(learned, avatars):
    a = avatars["hopper"]
    gpu = Renderer(a.image, a.landmarks, 256, mouth=mouth_net()).to("cuda")
    wide = viseme_target("aa", 0.6)[None]
    diff = gpu.render(wide).astype(int) - learned["hopper"].render(wide).astype(int)
    assert np.abs(diff).max() <= 1
