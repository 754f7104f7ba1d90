"""PyTorch peer for the training-step benchmark: the paper's SHD network (Linear without bias
100→128→128→128→20, LIF τ = 30 steps, subtract reset, exponential surrogate, max-over-time
cross-entropy, Adam) unrolled over time with autograd (BPTT), one full training step per timing.
Prints JSON with the median and the spread. Run with Debian's /usr/bin/python3 (python3-torch).
Only a peer for comparisons: exodus never depends on it.

  /usr/bin/python3 benchmarks/peers/torch_shd_step.py --T 250 --B 128 [--density 0.1] [--threads 2] [--classes 35]
      [--per-step-indexing]

--per-step-indexing is the paper's baseline (sinabs-style x[t] per step, O(T²) backward), a
second peer with its own name; the default is the fair one (x.unbind(0)).
"""
import argparse
import json
import math
import time

import torch

from peer_env import blas, conditions, peak_rss_mib
from torch_lif import neuron


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--T", type=int, default=250)
    p.add_argument("--B", type=int, default=128)
    p.add_argument("--F", type=int, default=100)
    p.add_argument("--density", type=float, default=0.1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--classes", type=int, default=20, help="20 for SHD, 35 for SSC")
    p.add_argument("--per-step-indexing", action="store_true", help="the paper's sinabs-style baseline")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    g = torch.Generator().manual_seed(0)
    widths = [a.F, 128, 128, 128, a.classes]
    layers = [torch.nn.Linear(i, o, bias=False) for i, o in zip(widths[:-1], widths[1:])]
    params = [q for l in layers for q in l.parameters()]
    opt = torch.optim.Adam(params, lr=1e-3)
    alpha = math.exp(-1.0 / 30)
    x = (torch.rand(a.T, a.B, a.F, generator=g) < a.density).float()
    labels = torch.randint(0, a.classes, (a.B,), generator=g)
    times = []
    for _ in range(a.repeats + 1):
        t0 = time.perf_counter()
        h = x
        for i, l in enumerate(layers):
            h = l(h)
            if i < len(layers) - 1:
                # the shared unrolled LIF (θ 1, scale 1, width 1)
                h = neuron(h, alpha, 1.0, 1.0, 1.0, a.per_step_indexing)
        loss = torch.nn.functional.cross_entropy(h.max(0).values, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    t = sorted(times[1:])
    print(json.dumps({
        "peer": f"torch {torch.__version__} autograd BPTT" + (", per-step x[t] indexing (the paper's sinabs-style baseline)" if a.per_step_indexing else ""),
        "threads": torch.get_num_threads(),
        "T": a.T, "B": a.B, "F": a.F, "classes": a.classes, "density": a.density,
        "step_ms": t[len(t) // 2] * 1e3, "min_ms": t[0] * 1e3, "max_ms": t[-1] * 1e3,
        "samples_ms": [v * 1e3 for v in times[1:]],
        "blas": blas(), "peakRssMiB": peak_rss_mib(), "conditions": conditions(),
    }))


if __name__ == "__main__":
    main()
