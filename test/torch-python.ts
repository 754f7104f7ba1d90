// Debian's PyTorch as a test oracle (never a dependency): the interpreter, whether it has torch
// (the oracle tests skip without it), and the spike function the neuron oracles share.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const PY = "/usr/bin/python3";
export const hasTorch = existsSync(PY) && spawnSync(PY, ["-c", "import torch"]).status === 0;

/**
 * Python source of `Spike`, a torch.autograd.Function: `Spike.apply(v, s)` returns the kernel's
 * spikes s (so autograd follows exodus's forward exactly) and passes gs · `surrogate` back to v,
 * where `surrogate` is a Python expression in v (and the script's own names, e.g. th).
 */
export function pySpike(surrogate: string): string {
  return [
    "class Spike(torch.autograd.Function):",
    "    @staticmethod",
    "    def forward(ctx, v, s):",
    "        ctx.save_for_backward(v)",
    "        return s",
    "    @staticmethod",
    "    def backward(ctx, gs):",
    "        (v,) = ctx.saved_tensors",
    `        return gs * ${surrogate}, None`,
  ].join("\n");
}
