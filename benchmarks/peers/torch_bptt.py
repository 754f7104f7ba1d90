"""PyTorch peer for the neuron benchmark: a LIF layer (subtract reset, single spike, exponential
surrogate) unrolled over time with autograd, as sinabs and snnTorch do; its backward is BPTT.
Times forward and backward in the same process and prints JSON. Run with Debian's /usr/bin/python3
(python3-torch). Only a peer for comparisons: exodus never depends on it.

  /usr/bin/python3 benchmarks/peers/torch_bptt.py --T 300 --B 128 --N 4096 [--device cuda] [--out f.json]
"""
import argparse
import json
import math
import time

import torch

from torch_lif import neuron


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--T", type=int, default=300)
    p.add_argument("--B", type=int, default=128)
    p.add_argument("--N", type=int, default=4096)
    p.add_argument("--tau", type=float, default=30.0)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--device", default="cpu")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--out")
    a = p.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    # Surrogate gradients far from threshold are denormal floats; exodus flushes them to zero in
    # its CPU kernels, so the peer does too (otherwise its backward is ~100x slower on x86).
    torch.set_flush_denormal(True)
    dev = torch.device(a.device)
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    g = torch.Generator().manual_seed(0)
    x0 = (torch.rand(a.T, a.B, a.N, generator=g) * 0.6).to(dev)
    grad_out = torch.randn(a.T, a.B, a.N, generator=g).to(dev)
    alpha = math.exp(-1.0 / a.tau)
    fwd, bwd = [], []
    rate = 0.0
    for _ in range(a.repeats + 1):
        x = x0.clone().requires_grad_(True)
        sync()
        t0 = time.perf_counter()
        s = neuron(x, alpha, 1.0, 1.0, 0.5)
        sync()
        t1 = time.perf_counter()
        s.backward(grad_out)
        sync()
        t2 = time.perf_counter()
        fwd.append(t1 - t0)
        bwd.append(t2 - t1)
        rate = s.mean().item()
    res = {
        "peer": f"torch {torch.__version__} autograd BPTT",
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "T": a.T, "B": a.B, "N": a.N,
        "forward_ms": min(fwd[1:]) * 1e3,
        "backward_ms": min(bwd[1:]) * 1e3,
        "spike_rate": rate,
    }
    text = json.dumps(res)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    print(text)


if __name__ == "__main__":
    main()
