"""PyTorch peer of the network benchmark: the same network as exodus (same weights, same input
spikes, read from the files the benchmark writes), its LIF/IAF layers unrolled over time with
autograd, as sinabs and snnTorch do, so that its backward is BPTT. Times forward (network + loss)
and backward (loss.backward()) per batch, after warm-up, with GPU synchronisation, and prints
JSON with every repeat, the loss, the spike rates and the weight-gradient norms (which the
benchmark compares with exodus's BPTT to show it is the same network). Run with Debian's
/usr/bin/python3 (python3-torch). Only a peer for comparisons: exodus never depends on it.

  /usr/bin/python3 benchmarks/peers/torch_network.py manifest.json
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from peer_env import blas, conditions, peak_rss_mib
from torch_lif import neuron


def folded(f, x):
    """Applies an image op to [T, B, C, H, W] as T·B images."""
    T, B = x.shape[:2]
    y = f(x.reshape(T * B, *x.shape[2:]))
    return y.reshape(T, B, *y.shape[1:])


def main():
    m = json.load(open(sys.argv[1]))
    if m.get("threads"):
        torch.set_num_threads(m["threads"])
    # Surrogate gradients far from threshold are denormal floats; exodus flushes them to zero in
    # its CPU kernels, so the peer does too (otherwise its backward is much slower on x86).
    torch.set_flush_denormal(True)
    dev = torch.device(m["device"])
    sync = (lambda: torch.cuda.synchronize()) if dev.type == "cuda" else (lambda: None)
    blob = np.fromfile(m["weights"], dtype=np.float32)
    x = torch.from_numpy(np.fromfile(m["input"], dtype=np.uint8).astype(np.float32).reshape(m["inputShape"])).to(dev)
    labels = torch.tensor(m["labels"], dtype=torch.long, device=dev)
    layers = []
    weights = []
    for spec in m["layers"]:
        if spec["kind"] in ("linear", "conv"):
            w = torch.from_numpy(blob[spec["offset"]:spec["offset"] + int(np.prod(spec["shape"]))].reshape(spec["shape"]).copy()).to(dev)
            w.requires_grad_(True)
            weights.append(w)
            layers.append((spec, w))
        else:
            layers.append((spec, None))

    rates = []

    def forward():
        h = x
        rates.clear()
        for spec, w in layers:
            k = spec["kind"]
            if k == "linear":
                h = h @ w.t()
            elif k == "conv":
                h = folded(lambda z: F.conv2d(z, w, padding=spec["padding"]), h)
            elif k == "neuron":
                h = neuron(h, spec["alpha"], spec["threshold"], spec["scale"], spec["width"])
                rates.append(h.detach().mean().item() if record[0] else 0.0)
            elif k == "avgpool":
                h = folded(lambda z: F.avg_pool2d(z, spec["kernel"]), h)
            elif k == "flatten":
                h = h.reshape(h.shape[0], h.shape[1], -1)
            else:
                raise ValueError(f"unknown layer kind {k}")
        logits = h.amax(0) if m["readout"] == "max" else h.sum(0) if m["readout"] == "sum" else h[-1]
        return F.cross_entropy(logits, labels)

    record = [True]
    fwd, bwd = [], []
    loss0, norms, rates0 = None, None, None
    for rep in range(m["warmup"] + m["repeats"]):
        for w in weights:
            w.grad = None
        record[0] = rep == 0  # the rates' .item() would add a sync to the timed forward
        sync()
        t0 = time.perf_counter()
        loss = forward()
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        if rep == 0:
            loss0 = loss.item()
            norms = [w.grad.norm().item() for w in weights]
            rates0 = list(rates)
        if rep >= m["warmup"]:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    print(json.dumps({
        "peer": f"torch {torch.__version__} autograd BPTT",
        "device": str(dev),
        "threads": torch.get_num_threads(),
        "blas": blas(),
        "forward": fwd,
        "backward": bwd,
        "loss": loss0,
        "gradNorms": norms,
        "spikeRates": rates0,
        "peakRssMiB": peak_rss_mib(),
        "conditions": conditions(),
    }))


if __name__ == "__main__":
    main()
