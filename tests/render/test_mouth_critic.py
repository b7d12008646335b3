"""The patch critic the learned mouth may train against: it learns to tell textured boxes from
flat ones, and pixels outside the ring send its generator term no gradient."""

import torch

from avatar.render.mouth_critic import MouthCritic, critic_loss, generator_loss


def _boxes(n: int = 4, h: int = 24, w: int = 32) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    real = torch.rand(n, 3, h, w, generator=g)  # textured, like teeth and lips
    fake = torch.full((n, 3, h, w), 0.5)  # a flat block
    ring = torch.ones(n, 1, h, w)
    return real, fake, ring


def test_the_critic_learns_to_tell_texture_from_a_flat_block():
    torch.manual_seed(0)
    critic = MouthCritic(width=8)
    real, fake, ring = _boxes()
    assert critic(real).shape == (4, 1, 6, 8)
    opt = torch.optim.Adam(critic.parameters(), lr=3e-3, betas=(0.5, 0.9))
    first = float(critic_loss(critic, real, fake, ring).detach())
    for _ in range(60):
        opt.zero_grad()
        critic_loss(critic, real, fake, ring).backward()
        opt.step()
    assert float(critic_loss(critic, real, fake, ring).detach()) < 0.5 * first
    assert critic(real).mean() > critic(fake).mean()


def test_pixels_outside_the_ring_teach_nothing():
    critic = MouthCritic(width=8)
    _, fake, _ = _boxes()
    ring = torch.zeros(4, 1, 24, 32)
    ring[..., :, :16] = 1.0  # only the left half counts
    fake = fake.clone().requires_grad_(True)
    generator_loss(critic, fake, ring).backward()
    grad = fake.grad.abs().sum(dim=(0, 1, 2))  # (w,)
    # the critic's 18-px patches reach a little past the ring's edge, never to the far side
    assert grad[:16].sum() > 0 and grad[28:].sum() == 0
