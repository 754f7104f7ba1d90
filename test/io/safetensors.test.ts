// safetensors: files parse per the spec (an independent parser here), the reader refuses damaged
// files with a message naming them, a trained run's model.safetensors loads into the equivalent
// torch.nn.Sequential with load_state_dict(strict=True) and computes the same first-layer outputs
// (skipped where /usr/bin/python3 has no torch), and checkpoints keep last and best.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { decodeSafetensors, encodeSafetensors, readSafetensors } from "../../lib/io/safetensors.js";
import { Conv2d, Dropout, Flatten, LIF, Linear, Sequential, AvgPool2d, IAF, BatchNorm2d } from "../../lib/nn/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { loadCheckpoint, loadModelFile, moduleState, saveModel } from "../../lib/train/checkpoint.js";
import { train } from "../../lib/train/trainer.js";
import { tmp } from "../data/helpers.js";
import { memoryData, quiet, syntheticConfig } from "../train/helpers.js";

const PY = "/usr/bin/python3";
const hasTorch = existsSync(PY) && spawnSync(PY, ["-c", "import torch"]).status === 0;

/** The spec, read independently of lib/io: u64 LE length, JSON header, data from 8 + length. */
function parseBySpec(bytes: Buffer) {
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString("utf8"));
  const out: Record<string, { shape: number[]; values: number[] }> = {};
  for (const [name, e] of Object.entries(header as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>)) {
    if (name === "__metadata__") continue;
    expect(e.dtype).toBe("F32");
    const [a, b] = e.data_offsets;
    const values: number[] = [];
    for (let i = 8 + n + a; i < 8 + n + b; i += 4) values.push(bytes.readFloatLE(i));
    out[name] = { shape: e.shape, values };
  }
  return { n, header, tensors: out };
}

function randomValues(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.uniform() * 2 - 1);
}

describe("safetensors", () => {
  it("writes the spec's layout: u64 LE header length, 8-byte aligned JSON, contiguous F32 data", () => {
    const a = randomValues(6, 1), b = randomValues(5, 2);
    const bytes = encodeSafetensors([{ name: "0.weight", shape: [2, 3], data: a }, { name: "1.alpha", shape: [5], data: b }], { config: "{}" });
    const { n, header, tensors } = parseBySpec(bytes);
    expect((8 + n) % 8).toBe(0);
    expect(header.__metadata__).toEqual({ config: "{}" });
    expect(header["0.weight"].data_offsets).toEqual([0, 24]);
    expect(header["1.alpha"].data_offsets).toEqual([24, 44]);
    expect(bytes.length).toBe(8 + n + 44);
    expect(tensors["0.weight"].values).toEqual(Array.from(a));
    expect(tensors["1.alpha"]).toEqual({ shape: [5], values: Array.from(b) });
    const back = decodeSafetensors(bytes);
    expect(back.tensors.get("0.weight")!.data).toEqual(a);
    expect(back.metadata).toEqual({ config: "{}" });
  });

  it("refuses damaged files with a message naming the file and the problem", () => {
    const good = encodeSafetensors([{ name: "w", shape: [2, 2], data: randomValues(4, 3) }, { name: "v", shape: [3], data: randomValues(3, 4) }]);
    const n = Number(good.readBigUInt64LE(0));
    const withHeader = (h: object, dataBytes: number) => {
      const j = Buffer.from(JSON.stringify(h));
      const b = Buffer.alloc(8 + j.length + dataBytes);
      b.writeBigUInt64LE(BigInt(j.length));
      j.copy(b, 8);
      return b;
    };
    const cases: [Buffer, RegExp][] = [
      [good.subarray(0, 5), /at least 8 bytes/],
      [good.subarray(0, good.length - 4), /file cut short|cover/],
      [(() => { const b = Buffer.from(good); b.writeBigUInt64LE(2n ** 40n); return b; })(), /header length field says/],
      [(() => { const b = Buffer.from(good); b[8] = 0x5b; return b; })(), /start with "\{"/],
      [(() => { const b = Buffer.from(good); b[8 + 3] = 0x00; return b; })(), /does not parse|expected/],
      [Buffer.concat([good, Buffer.alloc(4)]), /trailing bytes/],
      [withHeader({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, v: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, 12), /overlap or leave holes/],
      [withHeader({ w: { dtype: "F16", shape: [2], data_offsets: [0, 4] } }, 4), /expected dtype "F32".*"F16"/],
      [withHeader({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8), /needs 12 bytes/],
      [withHeader({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 0] } }, 0), /integers >= 0/],
      [withHeader({ __metadata__: { a: 1 } }, 0), /__metadata__.a to be a string/],
    ];
    expect(n).toBeGreaterThan(0);
    for (const [bytes, msg] of cases) {
      const f = join(tmp("exodus-st-"), "bad.safetensors");
      writeFileSync(f, bytes);
      expect(() => readSafetensors(f)).toThrow(msg);
      expect(() => readSafetensors(f)).toThrow(f);
    }
    expect(() => readSafetensors("/nonexistent/x.safetensors")).toThrow(/x.safetensors: expected a readable safetensors file, received ENOENT/);
  });
});

describe("model.safetensors in PyTorch", () => {
  it("a trained run's weights carry the torch.nn.Sequential names, shapes and the resolved config", async () => {
    const cfg = syntheticConfig({}, { epochs: 2 });
    const data = { train: memoryData({ size: 32, T: 10, features: [24], classes: 3, seed: 1 }), eval: memoryData({ size: 16, T: 10, features: [24], classes: 3, seed: 2 }) };
    const r = await train({ config: cfg, data, progress: quiet() });
    const { header, tensors } = parseBySpec(readFileSync(join(cfg.output, "model.safetensors")));
    expect(Object.keys(tensors)).toEqual(["0.weight", "2.weight", "4.weight"]);
    expect(tensors["0.weight"].shape).toEqual([24, 24]);
    expect(tensors["4.weight"].shape).toEqual([3, 24]);
    expect(Float32Array.from(tensors["4.weight"].values)).toEqual(r.weights[2]);
    expect(JSON.parse(header.__metadata__.config)).toEqual(JSON.parse(JSON.stringify(cfg)));
    // the best checkpoint is the epoch of the highest eval accuracy
    const best = loadCheckpoint(cfg.output, "best");
    const accs = r.epochs.map((e) => e.eval!.acc);
    expect(best.state.best!.acc).toBe(Math.max(...accs));
    expect(best.state.best!.epoch).toBe(r.epochs[accs.indexOf(Math.max(...accs))].epoch); // numbered from 1, as on screen
    expect(loadModelFile(join(cfg.output, "model-best.safetensors")).weights.get("0.weight")!.data).toEqual(best.weights.get("0.weight")!.data);
  });

  it.skipIf(!hasTorch)("loads into torch.nn.Sequential with load_state_dict(strict=True); the first Linear's outputs match", () => {
    const dir = tmp("exodus-torch-");
    // an MLP with a learnable per-neuron α ("1.alpha"), and the paper's conv network layout
    const rng = new Rng(5);
    const mlp = new Sequential(new Linear(12, 8, { bias: false, rng }), new LIF({ tauMem: Array.from({ length: 8 }, (_, i) => 5 + i), learnAlpha: true }),
      new Linear(8, 4, { rng }));
    const conv = new Sequential(new Conv2d(2, 4, { kernel: 3, rng }), new IAF({ threshold: 0.25 }), new AvgPool2d(2), new Dropout(0.2), new Flatten(),
      new Dropout(0.5), new Linear(4 * 4 * 4, 3, { bias: false, rng }));
    // batch norm's running statistics are buffers in torch's state_dict (num_batches_tracked 0-dim)
    const bn = new Sequential(new Conv2d(2, 3, { kernel: 3, rng }), new BatchNorm2d(3), new IAF());
    bn.forward(Tensor.from(randomValues(2 * 2 * 2 * 8 * 8, 11), [2, 2, 2, 8, 8])).dispose(); // training mode: updates the running statistics
    saveModel(join(dir, "mlp.safetensors"), moduleState(mlp));
    saveModel(join(dir, "conv.safetensors"), moduleState(conv));
    saveModel(join(dir, "bn.safetensors"), moduleState(bn));
    const x = randomValues(5 * 12, 9);
    const xc = randomValues(2 * 2 * 8 * 8, 10);
    const y = (mlp.layers[0] as Linear).forward(Tensor.from(x, [5, 12])).toArray();
    const yc = (conv.layers[0] as Conv2d).forward(Tensor.from(xc, [1, 2, 2, 8, 8])).toArray();
    writeFileSync(join(dir, "x.json"), JSON.stringify({ x: Array.from(x), xc: Array.from(xc) }));
    const script = `
import json, struct, sys, torch
from torch import nn
d = sys.argv[1]
def load(path):
    # safetensors per its spec, without the safetensors package
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    sd = {}
    for k, e in h.items():
        if k == "__metadata__": continue
        assert e["dtype"] == "F32"
        s, t = e["data_offsets"]
        sd[k] = torch.frombuffer(bytearray(b[8 + n + s: 8 + n + t]), dtype=torch.float32).reshape(e["shape"])
    return sd
class Neuron(nn.Module):
    def __init__(self, n=None):
        super().__init__()
        if n: self.alpha = nn.Parameter(torch.zeros(n))
mlp = nn.Sequential(nn.Linear(12, 8, bias=False), Neuron(8), nn.Linear(8, 4))
print("mlp", mlp.load_state_dict(load(d + "/mlp.safetensors"), strict=True))
conv = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1, bias=False), Neuron(), nn.AvgPool2d(2), nn.Dropout(0.2), nn.Flatten(), nn.Dropout(0.5), nn.Linear(64, 3, bias=False))
print("conv", conv.load_state_dict(load(d + "/conv.safetensors"), strict=True))
bn = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1, bias=False), nn.BatchNorm2d(3), Neuron())
print("bn", bn.load_state_dict(load(d + "/bn.safetensors"), strict=True))
x = json.load(open(d + "/x.json"))
with torch.no_grad():
    y = mlp[0](torch.tensor(x["x"]).reshape(5, 12))
    yc = conv[0](torch.tensor(x["xc"]).reshape(2, 2, 8, 8))
print(json.dumps({"y": y.flatten().tolist(), "yc": yc.flatten().tolist(), "alpha": mlp[1].alpha.tolist(),
    "mean": bn[1].running_mean.tolist(), "tracked": int(bn[1].num_batches_tracked)}))
`;
    const p = spawnSync(PY, ["-c", script, dir], { encoding: "utf8" });
    expect(p.status, p.stderr).toBe(0);
    const lines = p.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/mlp <All keys matched successfully>/);
    expect(lines[1]).toMatch(/conv <All keys matched successfully>/);
    expect(lines[2]).toMatch(/bn <All keys matched successfully>/);
    const out = JSON.parse(lines[3]) as { y: number[]; yc: number[]; alpha: number[]; mean: number[]; tracked: number };
    const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      expect(a.length).toBe(b.length);
      for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5 * (1 + Math.abs(b[i])));
    };
    close(out.y, y);
    close(out.yc, yc);
    close(out.alpha, (mlp.layers[1] as LIF).alpha.toArray());
    close(out.mean, (bn.layers[1] as BatchNorm2d).runningMean.value.toArray());
    expect(out.mean.some((m) => m !== 0)).toBe(true);
    expect(out.tracked).toBe(1);
    bn.dispose();
    mlp.dispose();
    conv.dispose();
  });
});
