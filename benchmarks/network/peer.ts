// Runs the PyTorch peer (benchmarks/peers/torch_network.py) on exactly the benchmark's network:
// the weights of a model built from the set-up's config and the same input spikes and labels go
// to temporary files, described by a JSON manifest the peer reads.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spread, type Spread } from "../../lib/compare/timing.js";
import { Conv2d } from "../../lib/nn/conv2d.js";
import { Dropout } from "../../lib/nn/dropout.js";
import { Flatten } from "../../lib/nn/flatten.js";
import { IAF, LIF } from "../../lib/nn/lif.js";
import { Linear } from "../../lib/nn/linear.js";
import { AvgPool2d } from "../../lib/nn/pool.js";
import { packageRoot } from "../../lib/native.js";
import type { Tensor } from "../../lib/tensor.js";
import { buildModel } from "../../lib/train/model.js";
import type { PeerBlas } from "../peer-conditions.js";
import type { Setup } from "./setups.js";

export const PYTHON = "/usr/bin/python3";

export interface PeerResult {
  peer: string;
  device: string;
  threads: number;
  /** torch's BLAS_INFO and the BLAS libraries mapped into the peer's process (blasVerdict names it). */
  blas: PeerBlas;
  forward: Spread;
  backward: Spread;
  loss: number;
  gradNorms: number[];
  spikeRates: number[];
  /** The peer process's peak resident memory (VmHWM). */
  peakRssMiB: number | null;
  /** Its allocator environment and load average at the end. */
  conditions: { env: Record<string, string>; loadavg: number[] };
}

/** Why the peer cannot run here, or undefined when Debian's python3 imports torch. */
export function peerMissing(): string | undefined {
  const r = spawnSync(PYTHON, ["-c", "import torch, numpy"], { encoding: "utf8" });
  if (r.error) return `${PYTHON} not found`;
  if (r.status !== 0) return `${PYTHON} cannot import torch and numpy (Debian: apt-get install python3-torch)`;
  return undefined;
}

export function runPeer(s: Setup, x: Tensor, labels: Float32Array, o: { device: string; threads: number; warmup: number; repeats: number; env: NodeJS.ProcessEnv }): PeerResult | { error: string } {
  const dir = mkdtempSync(join(tmpdir(), "exodus-peer-"));
  const model = buildModel(s.config, { sampleShape: [s.T, ...s.features], numClasses: s.classes });
  try {
    const chunks: Float32Array[] = [];
    let offset = 0;
    const n = s.config.neuron;
    const alpha = n.type === "lif" ? Math.exp(-1 / n.tauMem) : 1;
    const layers = model.net.layers.flatMap((l) => {
      const weight = () => {
        const w = l.parameters().find((p) => p.name === "weight")!.value;
        chunks.push(w.toArray());
        const at = offset;
        offset += w.size;
        return { offset: at, shape: [...w.shape] };
      };
      if (l instanceof Linear) return [{ kind: "linear", ...weight() }];
      if (l instanceof Conv2d) return [{ kind: "conv", padding: l.padding, ...weight() }];
      if (l instanceof LIF || l instanceof IAF) return [{ kind: "neuron", alpha, threshold: n.threshold, scale: n.surrogate.scale, width: n.surrogate.width }];
      if (l instanceof AvgPool2d) return [{ kind: "avgpool", kernel: l.kernel }];
      if (l instanceof Flatten) return [{ kind: "flatten" }];
      if (l instanceof Dropout && l.p === 0) return [];
      throw new Error(`torch peer: no counterpart for layer ${l.constructor.name}`);
    });
    const blob = new Float32Array(offset);
    let at = 0;
    for (const c of chunks) {
      blob.set(c, at);
      at += c.length;
    }
    writeFileSync(join(dir, "weights.f32"), blob);
    writeFileSync(join(dir, "input.u8"), Uint8Array.from(x.toArray()));
    const manifest = {
      weights: join(dir, "weights.f32"), input: join(dir, "input.u8"), inputShape: [...x.shape], labels: Array.from(labels),
      layers, readout: s.config.loss.readout, device: o.device.startsWith("cuda") ? o.device : "cpu", threads: o.threads,
      warmup: o.warmup, repeats: o.repeats,
    };
    writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
    const script = join(packageRoot(), "benchmarks", "peers", "torch_network.py");
    const r = spawnSync(PYTHON, [script, join(dir, "manifest.json")], { encoding: "utf8", env: o.env, maxBuffer: 64 << 20 });
    if (r.status !== 0) return { error: (r.stderr || r.error?.message || `exit code ${r.status}`).trim().split("\n").slice(-3).join(" ") };
    const out = JSON.parse(r.stdout.trim().split("\n").pop()!) as Omit<PeerResult, "forward" | "backward"> & { forward: number[]; backward: number[] };
    return { ...out, forward: spread(out.forward), backward: spread(out.backward) };
  } catch (e) {
    return { error: (e as Error).message };
  } finally {
    model.net.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
