// `exodus run <run | model.nir> --input x.npy`: runs a network on one input and writes its output
// and every neuron layer's spikes and membrane trace (npy and CSV), to compare exodus with another
// simulator on the same input (docs/formats.md, "Comparing with other simulators").
import type { Command } from "commander";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ExodusError } from "../../lib/errors.js";
import { writeNpy } from "../../lib/io/npy-write.js";
import { loadRunnable, readInput, simulate, traceCsv } from "../../lib/nir/simulate.js";

interface Opts {
  input: string;
  out?: string;
  events?: boolean;
  steps?: string;
  dt?: string;
  json?: boolean;
}

function positive(flag: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === "" || !(n > 0) || !Number.isFinite(n) || (integer && !Number.isInteger(n))) throw new ExodusError(`${flag}: expected ${integer ? "an integer" : "a number"} > 0, received ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("run")
    .argument("<model>", "a NIR file, or a run folder / checkpoint (trained, or written by exodus import --out)")
    .description("run a network on one input; write its output and every neuron layer's spikes and membrane trace (npy + CSV)")
    .requiredOption("-i, --input <file.npy>", "frames [T, …input shape] or [T, B, …input shape]; with --events an event list")
    .option("-o, --out <dir>", "folder for the traces (default: <input name>.exodus in the current folder)")
    .option("--events", "the input is events: [E, 2] (step, flat neuron index) or [E, 1 + rank] (step, coordinates)")
    .option("--steps <T>", "with --events: number of steps (default: the last event's step + 1)")
    .option("--dt <dt>", "NIR file: the time step (default: the graph's metadata dt, else 1)")
    .option("--json", "print the summary as JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus run lif.nir --dt 1e-4 --input spikes.npy --out traces\n  $ exodus run runs/shd-nir --input sample.npy --events --steps 100\n\nWrites output.npy/.csv and, per neuron layer <node>, <node>.spikes.npy/.csv and <node>.v.npy/.csv\n(v: the membrane after integrating step t, before its reset), and summary.json.")
    .action(async (model: string, o: Opts) => {
      const steps = positive("--steps", o.steps, true);
      if (steps !== undefined && !o.events) throw new ExodusError("--steps: expected only with --events (frames give T themselves)");
      const r = await loadRunnable(model, { dt: positive("--dt", o.dt, false) });
      try {
        const x = readInput(o.input, r.inputShape, { events: o.events, steps });
        const traces = simulate(r, x);
        x.dispose();
        const out = o.out ?? `${basename(o.input).replace(/\.npy$/, "")}.exodus`;
        mkdirSync(out, { recursive: true });
        const files = traces.map((t) => {
          const safe = t.name.replace(/[^A-Za-z0-9_.-]/g, "_");
          writeNpy(join(out, `${safe}.npy`), t.data, t.shape);
          writeFileSync(join(out, `${safe}.csv`), traceCsv(t));
          return { name: t.name, layer: t.layer, shape: t.shape, npy: `${safe}.npy`, csv: `${safe}.csv`, ...(t.name.endsWith(".spikes") ? { spikes: t.data.reduce((a, b) => a + b, 0) } : {}) };
        });
        const summary = { source: r.source, input: o.input, dt: r.dt ?? null, shape: traces[traces.length - 1].shape, traces: files,
          note: "v is the membrane after integrating step t's input, before that step's reset; spikes when v >= threshold" };
        writeFileSync(join(out, "summary.json"), `${JSON.stringify(summary, null, 2)}\n`);
        if (o.json) console.log(JSON.stringify({ out, ...summary }, null, 2));
        else {
          console.log(`${r.source} on ${o.input}: ${files.length} traces in ${out}/`);
          for (const f of files) console.log(`  ${f.name.padEnd(20)} [${f.shape.join(", ")}]${"spikes" in f ? `  ${f.spikes} spikes` : ""}`);
        }
      } finally {
        r.net.dispose();
      }
    });
}
