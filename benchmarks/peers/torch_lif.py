"""The LIF neuron the PyTorch peers share (torch_bptt.py, torch_network.py, torch_shd_step.py):
Heaviside spike with an exponential surrogate, subtract reset, unrolled over time with autograd
so that its backward is BPTT. Imported by the peers from their own folder; not run by itself.
"""
import torch


class SpikeExp(torch.autograd.Function):
    """Heaviside forward, exponential surrogate backward: a/(θw)·exp(-|v-θ|/(θw))."""

    @staticmethod
    def forward(ctx, v, theta, scale, width):
        ctx.save_for_backward(v)
        ctx.theta, ctx.scale, ctx.width = theta, scale, width
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        tw = ctx.theta * ctx.width
        return g * (ctx.scale / tw) * torch.exp(-(v - ctx.theta).abs() / tw), None, None, None


class SpikeCompact(torch.autograd.Function):
    """Heaviside forward; backward with a compact-support surrogate (docs/neurons.md), 0 outside
    the window |v-θ| < θw: triangle a/(θw)·max(0, 1-|v-θ|/(θw)), rectangle a/(2θw)·1[|v-θ| < θw]."""

    @staticmethod
    def forward(ctx, v, theta, scale, width, name):
        ctx.save_for_backward(v)
        ctx.theta, ctx.scale, ctx.width, ctx.name = theta, scale, width, name
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        tw = ctx.theta * ctx.width
        d = (v - ctx.theta).abs()
        if ctx.name == "triangle":
            sg = (ctx.scale / tw) * torch.clamp(1 - d / tw, min=0)
        else:
            sg = (d < tw).to(v.dtype) * (ctx.scale / (2 * tw))
        return g * sg, None, None, None, None


def neuron(x, alpha, theta, scale, width, per_step_indexing=False):
    """x [T, B, ...]: v = α·v + x[t]; s = 1[v ≥ θ]; v -= θ·s (subtract reset, differentiated: its
    gradient is what SLAYER drops)."""
    # unbind: one backward node for all steps. Indexing x[t] per step (as sinabs does, and so the
    # paper's baseline; per_step_indexing=True) gives each step's select a full-size zero gradient
    # to add up, O(T²) work in the backward: kept only as a second, separately named peer.
    v = torch.zeros_like(x[0])
    out = []
    steps = (x[t] for t in range(x.shape[0])) if per_step_indexing else x.unbind(0)
    for xt in steps:
        v = alpha * v + xt
        s = SpikeExp.apply(v, theta, scale, width)
        v = v - theta * s
        out.append(s)
    return torch.stack(out)
