// `exodus export <run-dir|checkpoint> --format nir -o model.nir`: a trained network for other
// tools — NIR (neuroir.org, HDF5) for neuromorphic simulators and hardware, or safetensors weights
// for PyTorch (torch.nn.Sequential names). Formats and conventions: docs/formats.md.
import type { Command } from "commander";
import { ExodusError } from "../../lib/errors.js";
import { exportRunNir } from "../../lib/nir/index.js";
import { moduleState, saveModel } from "../../lib/train/checkpoint.js";
import { modelFromCheckpoint } from "../../lib/train/from-checkpoint.js";

interface Opts {
  format?: string;
  out: string;
  best?: boolean;
  dt?: string;
  approximateReset?: boolean;
  roundDelays?: boolean;
  inputShape?: string;
  classes?: string;
}

function shapeOpt(o: Opts): { sampleShape: number[]; numClasses: number } | undefined {
  if (o.inputShape === undefined && o.classes === undefined) return undefined;
  const dims = (o.inputShape ?? "").split(",").map(Number);
  const classes = Number(o.classes);
  if (!dims.length || !dims.every((d) => Number.isInteger(d) && d >= 1)) throw new ExodusError(`--input-shape: expected comma-separated sizes of one frame, e.g. 2,32,32, received ${JSON.stringify(o.inputShape)}`);
  if (!Number.isInteger(classes) || classes < 1) throw new ExodusError(`--classes: expected an integer >= 1 (with --input-shape), received ${JSON.stringify(o.classes)}`);
  return { sampleShape: [1, ...dims], numClasses: classes };
}

export function register(program: Command): void {
  program
    .command("export")
    .argument("<run>", "a run folder (its last checkpoint, or the best with --best), a checkpoint file or a model.safetensors")
    .description("export a trained network as NIR (neuromorphic tools) or safetensors (PyTorch)")
    .requiredOption("-o, --out <file>", "output file (model.nir, model.safetensors)")
    .option("-f, --format <format>", "nir or safetensors (default: from the output's extension)")
    .option("--best", "the best checkpoint (by eval accuracy) instead of the last")
    .option("--dt <dt>", "NIR: the time step, recorded in the graph (τ = dt/(1 − α)); default 1", "1")
    .option("--approximate-reset", "NIR: export subtractive-reset neurons as reset-to-zero (other tools then simulate reset-to-zero)")
    .option("--round-delays", "NIR: export delays still interpolating (σ > 0) rounded to whole steps, as roundDelays() runs them")
    .option("--input-shape <dims>", "one frame's shape, for checkpoints that do not record it (e.g. 2,32,32)")
    .option("--classes <n>", "number of classes, with --input-shape")
    .addHelpText("after", "\nExamples:\n  $ exodus export runs/shd-exodus --format nir -o shd.nir\n  $ exodus export runs/shd-exodus --best -o shd-best.safetensors\n\nSee docs/formats.md for the NIR parameter convention and what cannot be exported exactly.")
    .action(async (run: string, o: Opts) => {
      const format = o.format ?? (o.out.endsWith(".safetensors") ? "safetensors" : o.out.endsWith(".nir") || o.out.endsWith(".h5") ? "nir" : undefined);
      if (format !== "nir" && format !== "safetensors")
        throw new ExodusError(`--format: expected "nir" or "safetensors" (or an output ending in .nir / .safetensors), received ${JSON.stringify(o.format ?? o.out)}`);
      const which = o.best ? "best" : "last";
      const shape = shapeOpt(o);
      if (format === "nir") {
        const dt = Number(o.dt);
        const r = await exportRunNir(run, o.out, { which, dt, approximateReset: o.approximateReset, roundDelays: o.roundDelays, shape });
        const kinds = r.graph.edges.map(([, b]) => String(r.graph.nodes[b].type));
        console.log(`wrote ${o.out}: NIR graph input → ${kinds.join(" → ")} (dt ${dt}) from ${r.checkpoint}`);
      } else {
        const { checkpoint, config, model } = modelFromCheckpoint(run, { which, shape });
        try {
          saveModel(o.out, moduleState(model.net), config);
          console.log(`wrote ${o.out}: ${moduleState(model.net).map((p) => `${p.name} [${p.value.shape.join(", ")}]`).join(", ")} from ${checkpoint.path}`);
        } finally {
          model.net.dispose();
        }
      }
    });
}
