// The backend table seen from JavaScript: its entries and `supports` per backend, the one result
// of every lifForward path, selftest's list of entries with the checks that ran them, and the
// perf mode.
import { describe, expect, it } from "vitest";
import { Device } from "../lib/device.js";
import { BACKEND_OPS, codes, native, supports } from "../lib/native.js";
import { Rng } from "../lib/random.js";
import { entryOf, tableCoverage, unchecked } from "../lib/selftest/coverage.js";
import { runPerf, untimed } from "../lib/selftest/perf.js";
import { runChecks, traced } from "../lib/selftest/run.js";
import { Tensor } from "../lib/tensor.js";

const HOST_OPS = [
  "lif_forward_masked", "alif_forward_masked", "lif_forward_pool2", "lif_backward_pool2", "spike_index_build",
  "spike_index_from_frames", "spike_index_linear_forward", "spike_index_linear_weight_grad", "conv_direct_input_grad",
  "delay_window_forward", "delay_window_corr", "delay_window_input_grad",
];

describe("the backend table", () => {
  it("lists every entry, the library's names in order, host ops included", () => {
    expect(native().backendOps()).toEqual([...BACKEND_OPS]);
    for (const op of HOST_OPS) expect(BACKEND_OPS).toContain(op);
  });

  it("the CPU backend has every entry; CUDA lacks the host ops, and has none in a build without it", () => {
    for (const op of BACKEND_OPS) expect(supports(op, Device.cpu), op).toBe(true);
    const cuda = { type: "cuda" as const, index: 0 };
    const compiled = native().buildInfo().cudaCompiled;
    for (const op of BACKEND_OPS) expect(supports(op, cuda), op).toBe(compiled && !HOST_OPS.includes(op));
  });

  it("refuses an unknown entry or device with an error naming the field", () => {
    expect(() => native().supports({ op: "lif_forward_fast", device: 0, index: 0 })).toThrow(/supports: op "lif_forward_fast" is not a backend-table entry \(backendOps\(\) lists them\)/);
    expect(() => native().supports({ op: "fill", device: 2, index: 0 })).toThrow(/supports: device must be 0 \(cpu\) or 1 \(cuda\), received 2/);
    expect(() => native().supports({ op: 3 as unknown as string, device: 0, index: 0 })).toThrow(/supports: op must be the name of a backend-table entry/);
  });
});

describe("lifForward", () => {
  const T = 30, N = 256, rng = new Rng(5);
  const x = Tensor.from(rng.fillNormal(new Float32Array(T * N), 0.4, 0.8), [T, N], "cpu");
  const base = () => ({
    T, N, P: 1, reset: codes().reset.subtract, multiSpike: false, maxSpikes: 0, normInput: false, surrogate: codes().surrogate.exponential,
    sgScale: 1, sgWidth: 0.5, x, alpha: Tensor.from([0.9], [1]), theta: Tensor.from([1], [1]), m: Tensor.from([1], [1]),
    state: Tensor.zeros([N]), v: Tensor.empty([T, N]),
  });
  it("returns one kind of result from every path: the spike count where it counts them, else -1", () => {
    const s = Tensor.empty([T, N]);
    expect(native().lifForward({ ...base(), s })).toBe(-1);
    expect(native().lifForward({ ...base(), s: Tensor.empty([T, N]), mask: new Uint8Array(T * N / 8) })).toBe(-1);
    const spikes = s.toArray().reduce((a, b) => a + b, 0);
    expect(spikes).toBeGreaterThan(0);
    // Images 16 wide: N = 256 is 8 row pairs.
    expect(native().lifForward({ ...base(), y: Tensor.empty([T, N / 4]), poolWidth: 16 })).toBe(spikes);
  });
});

describe("exodus selftest's table", () => {
  it("names the entry each addon call runs, the speed paths by the fields that choose them", () => {
    expect(entryOf("lifForward", { x: 1 })).toBe("lif_forward");
    expect(entryOf("lifForward", { mask: new Uint8Array(8) })).toBe("lif_forward_masked");
    expect(entryOf("lifForward", { poolWidth: 16, mask: new Uint8Array(8) })).toBe("lif_forward_pool2");
    expect(entryOf("lifBackward", { poolWidth: 16 })).toBe("lif_backward_pool2");
    expect(entryOf("alifForward", { mask: null })).toBe("alif_forward");
    expect(entryOf("convInputGradDirect", {})).toBe("conv_direct_input_grad");
    expect(entryOf("spikeIndexLinearWeightGrad", {})).toBe("spike_index_linear_weight_grad");
    expect(entryOf("read", {})).toBeUndefined();
    const t = Tensor.from([0, 1, 0, 2], [4]);
    const { entries } = traced(() => {
      const out = Tensor.empty([1]);
      native().countNonzero({ x: t, n: 4, out });
      return out.toArray();
    });
    expect(entries).toEqual(["count_nonzero"]);
  });

  it("has a check for every entry the CPU has, each passing, and says so per entry", () => {
    const results = runChecks(Device.cpu, { seed: 11 });
    const table = tableCoverage(Device.cpu, results);
    expect(table.map((c) => c.entry)).toEqual([...BACKEND_OPS]);
    expect(unchecked(table)).toEqual([]);
    for (const c of table) {
      expect(c.failed, c.entry).toBe(0);
      if (!c.elsewhere) expect(c.passed, c.entry).toBeGreaterThan(0);
    }
    // Without the fast-path checks the masked, fused and indexed entries would be unchecked.
    const without = tableCoverage(Device.cpu, results.filter((r) => r.group !== "fast paths"));
    expect(unchecked(without)).toEqual(expect.arrayContaining(["lif_forward_masked", "lif_forward_pool2", "spike_index_from_frames"]));
  });
});

describe("exodus selftest --perf", () => {
  it("times an entry by name, as GB/s or GFLOP/s, and lists the entries it does not time", () => {
    const r = runPerf(Device.cpu, { filter: /^(fill|conv_direct_input_grad) /, minMs: 1 });
    expect(r.map((x) => x.entry)).toEqual(["fill", "conv_direct_input_grad"]);
    expect(r[0].gbps).toBeGreaterThan(0);
    expect(r[1].gflops).toBeGreaterThan(0);
    expect(untimed()).toEqual(["scatter_batch"]);
  });
});
