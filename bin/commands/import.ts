// `exodus import model.nir`: builds the exodus network of a NIR graph, runs it once on random
// spikes to show it works, and optionally writes it as a run folder (--out runs/x: eval, train
// --resume, export and run accept it) or its weights as safetensors (--out w.safetensors).
import type { Command } from "commander";
import { ExodusError } from "../../lib/errors.js";
import { Dag, type ImportedNetwork, importNirFile, importToRunFolder } from "../../lib/nir/index.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { moduleState, saveModel } from "../../lib/train/checkpoint.js";

interface Opts {
  dt?: string;
  steps: string;
  out?: string;
  json?: boolean;
  dataset?: string;
  dataRoot?: string;
}

export function register(program: Command): void {
  program
    .command("import")
    .argument("<file>", "a NIR graph (HDF5, e.g. written by exodus export, snnTorch, Norse, sinabs, …)")
    .description("build an exodus network from a NIR graph and run it once")
    .option("--dt <dt>", "time step (default: the graph's metadata dt, else 1)")
    .option("--steps <T>", "time steps of the random test input", "20")
    .option("-o, --out <dir|file>", "a run folder to write (eval, train --resume, export, run accept it), or a .safetensors file for the weights alone (torch.nn.Sequential names)")
    .option("--dataset <name>", "with --out <dir>: the data set the run evaluates and fine-tunes on (default synthetic; train --resume --set dataset.name=… may change it before the first step)")
    .option("--data-root <dir>", "with --out <dir>: where that data set is")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus import norse-lif.nir --dt 1e-4 --out runs/norse-lif\n  $ exodus run runs/norse-lif --input spikes.npy --out traces/\n  $ exodus import shd.nir --out runs/shd-nir --dataset shd --data-root data/shd && exodus eval runs/shd-nir\n  $ exodus import shd.nir -o shd.safetensors\n\nSupported nodes and conventions: docs/formats.md.")
    .action(async (file: string, o: Opts) => {
      const dt = o.dt === undefined ? undefined : Number(o.dt);
      const T = Number(o.steps);
      if (!Number.isInteger(T) || T < 1) throw new ExodusError(`--steps: expected an integer >= 1, received ${JSON.stringify(o.steps)}`);
      if (dt !== undefined && !(dt > 0 && Number.isFinite(dt))) throw new ExodusError(`--dt: expected a number > 0, e.g. 1e-4, received ${JSON.stringify(o.dt)}`);
      const folder = o.out !== undefined && !o.out.endsWith(".safetensors");
      if (!folder && (o.dataset || o.dataRoot)) throw new ExodusError("--dataset / --data-root: expected with --out <run folder>, received them without one");
      const r: ImportedNetwork & { version: string } = folder ? (await importToRunFolder(file, o.out!, { dt, dataset: o.dataset, dataRoot: o.dataRoot })).imported : await importNirFile(file, { dt });
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
        if (o.out && !folder) saveModel(o.out, moduleState(r.net), { source: file });
        const dag = r.net.layers[0] instanceof Dag ? r.net.layers[0] : undefined;
        const layers = dag
          ? dag.nodes.map((n) => ({ node: n.name, layer: n.layers.layers.map((l) => l.constructor.name).join(" → ") || (n.inputs.length === 0 ? "(the input)" : n.inputs.length === 1 ? "(its input)" : "(the sum of its inputs)") }))
          : r.net.layers.map((l, i) => ({ node: r.nodeNames[i], layer: l.constructor.name }));
        if (o.json) console.log(JSON.stringify({ version: r.version, dt: r.dt, inputShape: r.inputShape, outputShape: r.outputShape, layers, spikeRates: rates, notes: r.notes }, null, 2));
        else {
          console.log(`${file}: NIR ${r.version}, dt ${r.dt}, input [${r.inputShape.join(", ")}] → output [${r.outputShape.join(", ")}]`);
          for (const l of layers) console.log(`  ${l.node.padEnd(12)} ${l.layer}${l.node in rates ? `  (spike rate ${(100 * rates[l.node]).toFixed(1)} % on random input)` : ""}`);
          for (const note of r.notes) console.log(`note: ${note}`);
          console.log(`ran ${T} steps of random spikes: output [${outShape.join(", ")}]${o.out ? (folder ? `; run folder ${o.out} (exodus eval / train --resume / export / run accept it)` : `; weights written to ${o.out}`) : ""}`);
        }
      } finally {
        r.net.dispose();
      }
    });
}
