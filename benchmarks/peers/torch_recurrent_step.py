"""PyTorch peer of the recurrent SHD step (benchmarks/recurrent/bench.ts): Linear(100→256, no bias)
→ 256 recurrent LIF (v = α·v + x[t] + V·s[t−1], θ 1, subtract reset, τ 30, the exponential
surrogate scale 1 width 0.5, or with --surrogate the triangle (width 1) or rectangle (width 0.5),
scale 1, exodus's defaults) → Linear(256→20, no bias), cross-entropy on the max over time, one forward and
backward per timing (no optimiser, as the exodus side). Autograd BPTT, the loop over x.unbind(0)
(one backward node for all steps). Weights drawn as exodus draws them in shape and bound (uniform
±initScale/√fan_in; V ±1/√256), input spikes Bernoulli(density). Prints JSON: median, spread,
peak RSS, BLAS and conditions. Run with Debian's /usr/bin/python3 (python3-torch); only a peer
for comparisons, exodus never depends on it.

  /usr/bin/python3 benchmarks/peers/torch_recurrent_step.py [--T 250] [--B 128] [--density 0.015] [--threads 2] [--repeats 3]
      [--surrogate exponential|triangle|rectangle] [--width W]
"""
import argparse
import json
import math
import time

import torch

from peer_env import blas, conditions, peak_rss_mib
from torch_lif import SpikeCompact, SpikeExp


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--T", type=int, default=250)
    p.add_argument("--B", type=int, default=128)
    p.add_argument("--F", type=int, default=100)
    p.add_argument("--H", type=int, default=256)
    p.add_argument("--classes", type=int, default=20)
    p.add_argument("--density", type=float, default=0.015)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--surrogate", choices=["exponential", "triangle", "rectangle"], default="exponential")
    p.add_argument("--width", type=float, default=0)
    a = p.parse_args()
    width = a.width or {"exponential": 0.5, "triangle": 1.0, "rectangle": 0.5}[a.surrogate]
    if a.surrogate == "exponential":
        spike = lambda v: SpikeExp.apply(v, 1.0, 1.0, width)
    else:
        spike = lambda v: SpikeCompact.apply(v, 1.0, 1.0, width, a.surrogate)
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    g = torch.Generator().manual_seed(0)
    uni = lambda shape, bound: ((torch.rand(*shape, generator=g) * 2 - 1) * bound).requires_grad_(True)
    w_in = uni((a.H, a.F), 3 / math.sqrt(a.F))
    V = uni((a.H, a.H), 1 / math.sqrt(a.H))
    w_out = uni((a.classes, a.H), 1 / math.sqrt(a.H))
    alpha = math.exp(-1.0 / 30)
    x = (torch.rand(a.T, a.B, a.F, generator=g) < a.density).float()
    labels = torch.randint(0, a.classes, (a.B,), generator=g)
    times, rate = [], 0.0
    for _ in range(a.repeats + 1):
        t0 = time.perf_counter()
        for q in (w_in, V, w_out):
            q.grad = None
        h = x @ w_in.T
        v = torch.zeros(a.B, a.H)
        s = torch.zeros(a.B, a.H)
        out = []
        for ht in h.unbind(0):
            v = alpha * v + ht + s @ V.T
            s = spike(v)
            v = v - s
            out.append(s)
        spikes = torch.stack(out)
        loss = torch.nn.functional.cross_entropy((spikes @ w_out.T).max(0).values, labels)
        loss.backward()
        times.append(time.perf_counter() - t0)
        rate = spikes.mean().item()
    t = sorted(times[1:])
    print(json.dumps({
        "peer": f"torch {torch.__version__} autograd BPTT, loop over x.unbind(0)", "threads": torch.get_num_threads(),
        "surrogate": a.surrogate, "width": width, "T": a.T, "B": a.B, "F": a.F, "H": a.H, "density": a.density, "hiddenSpikeRate": rate,
        "step_ms": t[len(t) // 2] * 1e3, "min_ms": t[0] * 1e3, "max_ms": t[-1] * 1e3, "samples_ms": [v * 1e3 for v in times[1:]],
        "blas": blas(), "peakRssMiB": peak_rss_mib(), "conditions": conditions(),
    }))


if __name__ == "__main__":
    main()
