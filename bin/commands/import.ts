// `exodus import model.nir`: builds the exodus network of a NIR graph, runs it once on random
// spikes to show it works, and optionally writes its weights as safetensors.
import type { Command } from "commander";
import { ExodusError } from "../../lib/errors.js";
import { importNirFile } from "../../lib/nir/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { moduleState, saveModel } from "../../lib/train/checkpoint.js";

interface Opts {
  dt?: string;
  steps: string;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("import")
    .argument("<file>", "a NIR graph (HDF5, e.g. written by exodus export, snnTorch, Norse, sinabs, …)")
    .description("build an exodus network from a NIR graph and run it once")
    .option("--dt <dt>", "time step (default: the graph's metadata dt, else 1)")
    .option("--steps <T>", "time steps of the random test input", "20")
    .option("-o, --out <file>", "write the network's weights as safetensors (torch.nn.Sequential names)")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  $ exodus import shd.nir -o shd.safetensors\n\nSupported nodes and conventions: docs/formats.md.")
    .action(async (file: string, o: Opts) => {
      const dt = o.dt === undefined ? undefined : Number(o.dt);
      const T = Number(o.steps);
      if (!Number.isInteger(T) || T < 1) throw new ExodusError(`--steps: expected an integer >= 1, received ${JSON.stringify(o.steps)}`);
      const r = await importNirFile(file, { dt });
      try {
        const n = r.inputShape.reduce((a, b) => a * b, 1);
        const rng = new Rng(0);
        const x = Tensor.from(Float32Array.from({ length: T * n }, () => (rng.uniform() < 0.2 ? 1 : 0)), [T, 1, ...r.inputShape]);
        r.net.training = false;
        for (const l of r.net.layers) l.training = false;
        let h = x;
        const rates: Record<string, number> = {};
        r.net.layers.forEach((l, i) => {
          const next = l.forward(h);
          if (l.spiking) rates[r.nodeNames[i]] = next.toArray().reduce((a, b) => a + b, 0) / next.size;
          if (h !== x) h.dispose();
          h = next;
        });
        const outShape = [...h.shape];
        h.dispose();
        x.dispose();
        if (o.out) saveModel(o.out, moduleState(r.net), { source: file });
        const layers = r.net.layers.map((l, i) => ({ node: r.nodeNames[i], layer: l.constructor.name }));
        if (o.json) console.log(JSON.stringify({ version: r.version, dt: r.dt, inputShape: r.inputShape, outputShape: r.outputShape, layers, spikeRates: rates, notes: r.notes }, null, 2));
        else {
          console.log(`${file}: NIR ${r.version}, dt ${r.dt}, input [${r.inputShape.join(", ")}] → output [${r.outputShape.join(", ")}]`);
          for (const l of layers) console.log(`  ${l.node.padEnd(12)} ${l.layer}${l.node in rates ? `  (spike rate ${(100 * rates[l.node]).toFixed(1)} % on random input)` : ""}`);
          for (const note of r.notes) console.log(`note: ${note}`);
          console.log(`ran ${T} steps of random spikes: output [${outShape.join(", ")}]${o.out ? `; weights written to ${o.out}` : ""}`);
        }
      } finally {
        r.net.dispose();
      }
    });
}
