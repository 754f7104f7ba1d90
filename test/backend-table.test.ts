// The backend table seen from JavaScript: its entries and `supports` per backend, the one result
// of every lifForward path, selftest's list of entries with the checks that ran them, and the
// perf mode.
import { describe, expect, it } from "vitest";
import { Device } from "../lib/device.js";
import { BACKEND_OPS, type BackendOp, codes, native, scanEntries, scanModels, supports } from "../lib/native.js";
import { Rng } from "../lib/random.js";
import { entryOf, tableCoverage, unchecked } from "../lib/selftest/coverage.js";
import { runPerf, untimed } from "../lib/selftest/perf.js";
import { runChecks, traced } from "../lib/selftest/run.js";
import { Tensor } from "../lib/tensor.js";

const HOST_OPS = [
  "lif_forward_masked", "alif_forward_masked", "lif_forward_pool2", "lif_backward_pool2", "lif_backward_carry", "spike_index_build",
  "spike_index_from_frames", "spike_index_linear_forward", "spike_index_linear_weight_grad", "conv_direct_input_grad",
  "conv_direct_weight_grad", "lif_forward_linear", "lif_backward_linear",
  "delay_window_forward", "delay_window_corr", "delay_window_input_grad",
];

describe("the backend table", () => {
  it("lists every entry, the library's names in order, host ops included, and the scan models' entries after surrogate_grad", () => {
    const all = native().backendOps(), scans = scanEntries();
    expect(all.filter((n) => !scans.includes(n))).toEqual([...BACKEND_OPS]);
    for (const op of HOST_OPS) expect(BACKEND_OPS).toContain(op);
    // The scan models of neurons.h's one list: their entries, in the list's order, follow surrogate_grad.
    expect(scans.slice(0, 6)).toEqual(["cuba_forward", "cuba_backward", "adlif_forward", "adlif_backward", "rlif_forward", "rlif_backward"]);
    const at = all.indexOf("surrogate_grad") + 1;
    expect(all.slice(at, at + scans.length)).toEqual(scans);
  });

  it("describes each scan model: its bindings exist, its views in the kernel's order with kind and size", () => {
    for (const m of scanModels())
      for (const pass of [m.forward, m.backward]) {
        expect(typeof (native() as unknown as Record<string, unknown>)[pass.binding], pass.binding).toBe("function");
        expect(pass.views.filter((v) => v.kind === "lead"), pass.binding).toHaveLength(1);
        for (const v of pass.views) {
          expect(["lead", "in", "out", "opt_in", "opt_out"], `${pass.binding} ${v.name}`).toContain(v.kind);
          expect(["TN", "N", "P", "PP"], `${pass.binding} ${v.name}`).toContain(v.size);
        }
      }
    const cuba = scanModels().find((m) => m.model === "cuba");
    expect(cuba?.config).toBe("LifConfig");
    expect(cuba?.forward.binding).toBe("cubaForward");
    expect(cuba?.forward.views.map((v) => v.name)).toEqual(["alphaSyn", "alpha", "theta", "x", "vState", "iState", "s", "v", "i"]);
    expect(scanModels().find((m) => m.model === "rlif")?.backward.views.find((v) => v.name === "dw")).toEqual({ name: "dw", kind: "out", size: "PP" });
  });

  it("the CPU backend has every entry; CUDA lacks the host ops, and has none in a build without it", () => {
    const all = native().backendOps() as BackendOp[];
    for (const op of all) expect(supports(op, Device.cpu), op).toBe(true);
    const cuda = { type: "cuda" as const, index: 0 };
    const compiled = native().buildInfo().cudaCompiled;
    for (const op of all) expect(supports(op, cuda), op).toBe(compiled && !HOST_OPS.includes(op));
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
    expect(entryOf("lifBackward", { lamOut: 1 })).toBe("lif_backward_carry");
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
    expect(table.map((c) => c.entry)).toEqual(native().backendOps());
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
