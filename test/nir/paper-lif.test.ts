// The NIR paper's first experiment, in its form: one LIF neuron behind an identity Affine, written
// as Norse writes it (τ in seconds, R = 1, v_leak 0, no dt in the file, Output [1, 1, 1]), run at
// dt = 1e-4 s on a fixed spike train in which each entry is followed by 9 silent steps. Our own
// graph values and input (not the paper's), compared with the forward-Euler discretisation
//   v[t] = v[t−1] + dt/τ·(v_leak − v[t−1] + R·x[t]),  spike when v ≥ θ, then v = v_reset
// computed here in float64, and with the ODE's exact solution for a current held over each step,
//   v[t] = v_leak + R·x[t]·(1 − e^(−dt/τ)) + (v[t−1] − v_leak)·e^(−dt/τ)
// (what the paper's "exact" reference integrates), to bound the discretisation difference. The
// run goes through the CLI: exodus import --out, then exodus run with an .npy input.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { register as registerImport } from "../../bin/commands/import.js";
import { register as registerRun } from "../../bin/commands/run.js";
import { readNpy } from "../../lib/data/npy.js";
import { encodeNpy } from "../../lib/io/npy-write.js";
import { type NirGraph, writeNir } from "../../lib/nir/index.js";
import { f32, ints } from "../../lib/nir/hdf5.js";
import { Rng } from "../../lib/random.js";
import { tmp } from "../data/helpers.js";
import { nirCli } from "./helpers.js";
import { writeFileSync } from "node:fs";

const DT = 1e-4, TAU = 1e-3, THETA = 0.15;

function lifGraph(): NirGraph {
  const one = (v: number) => f32([v], [1]);
  return {
    nodes: {
      input: { type: "Input", shape: ints([1]) },
      "0": { type: "Affine", weight: f32([1], [1, 1]), bias: one(0) },
      "1": { type: "LIF", tau: one(TAU), r: one(1), v_leak: one(0), v_threshold: one(THETA), v_reset: one(0) },
      output: { type: "Output", shape: ints([1, 1, 1]) },
    },
    edges: [["input", "0"], ["0", "1"], ["1", "output"]],
    metadata: {},
  };
}

/** 100 random 0/1 entries (denser in the middle, as the paper's), each followed by 9 zeros. */
function spikeTrain(): number[] {
  const rng = new Rng(11);
  const d: number[] = [];
  for (let i = 0; i < 100; i++) {
    d.push(rng.uniform() < (i > 30 && i < 80 ? 0.7 : 0.15) ? 1 : 0);
    for (let k = 0; k < 9; k++) d.push(0);
  }
  return d;
}

function reference(x: number[], exact: boolean): { v: number[]; s: number[] } {
  let v = 0;
  const vs: number[] = [], ss: number[] = [];
  const e = Math.exp(-DT / TAU);
  for (const xt of x) {
    v = exact ? xt * (1 - e) + v * e : v + (DT / TAU) * (0 - v + xt);
    vs.push(v);
    const s = v >= THETA ? 1 : 0;
    ss.push(s);
    if (s) v = 0;
  }
  return { v: vs, s: ss };
}

const cli = (...args: string[]) => nirCli([registerImport, registerRun], ...args);

describe("the NIR paper's LIF experiment, in its form", () => {
  it("exodus's trace is the forward-Euler discretisation at dt = 1e-4 s; spikes equal; the exact ODE differs by O(dt/τ)", async () => {
    const dir = tmp("exodus-nir-paper-");
    const nir = join(dir, "lif_norse_form.nir");
    await writeNir(nir, lifGraph());
    const x = spikeTrain();
    writeFileSync(join(dir, "input.npy"), encodeNpy(Float32Array.from(x), [x.length, 1]));
    // the file records no dt and τ is in seconds: import needs --dt
    await expect(cli("import", nir, "--out", join(dir, "run-no-dt"))).rejects.toThrow(/pass --dt, e\.g\. 1e-4/);
    await cli("import", nir, "--dt", "1e-4", "--out", join(dir, "run"));
    const summary = JSON.parse(await cli("run", join(dir, "run"), "--input", join(dir, "input.npy"), "--out", join(dir, "traces"), "--json"));
    expect(summary.traces.map((t: { name: string }) => t.name)).toEqual(["1.spikes", "1.v", "output"]);
    const v = readNpy(join(dir, "traces", "1.v.npy"));
    const s = readNpy(join(dir, "traces", "1.spikes.npy"));
    expect(v.shape).toEqual([x.length, 1, 1]);
    const euler = reference(x, false), exact = reference(x, true);
    const nSpikes = euler.s.reduce((a, b) => a + b, 0);
    expect(nSpikes).toBeGreaterThan(3); // sub- and supra-threshold dynamics both exercised
    expect(nSpikes).toBeLessThan(x.filter((b) => b).length);
    expect(Array.from(s.data)).toEqual(euler.s);
    for (let t = 0; t < x.length; t++) expect(Math.abs(v.data[t] - euler.v[t])).toBeLessThan(1e-6);
    // the exact solution of the ODE for the same step input: close (|Δv| ≤ (dt/τ)² scale), not equal
    const dv = Math.max(...exact.v.slice(0, 200).map((e, t) => Math.abs(e - euler.v[t])));
    expect(dv).toBeGreaterThan(1e-4);
    expect(dv).toBeLessThan(0.01);
    // the CSV holds the same trace
    const csv = readFileSync(join(dir, "traces", "1.v.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("t,n0");
    expect(csv).toHaveLength(x.length + 1);
    expect(Number(csv[50].split(",")[1])).toBeCloseTo(v.data[49], 6);
  });
});
