// `exodus train <config.yaml>`: trains the network a config describes (configs/shd.yaml, …),
// writing metrics.jsonl and a checkpoint to the output folder. Ctrl-C finishes the running step,
// saves a checkpoint and exits with 130; --resume continues from it.
import type { Command } from "commander";
import { ExodusError } from "../../lib/errors.js";
import { loadConfig } from "../../lib/train/config.js";
import { resumedRunConfig } from "../../lib/train/resume.js";
import { Progress } from "../../lib/train/progress.js";
import { train } from "../../lib/train/trainer.js";

interface Opts {
  method?: string;
  device?: string;
  epochs?: string;
  out?: string;
  dataRoot?: string;
  limitBatches?: string;
  resume?: boolean | string;
  json?: boolean;
}

function int(flag: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new ExodusError(`${flag}: expected an integer >= 1, received ${JSON.stringify(v)}`);
  return n;
}

export function register(program: Command): void {
  program
    .command("train")
    .argument("[config]", "YAML training config (see configs/ and docs/training.md); optional with --resume <run>")
    .description("train a spiking network from a config; metrics and checkpoints go to its output folder")
    .option("-m, --method <method>", "gradient method: exodus, slayer or bptt (overrides method)")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (overrides device)")
    .option("--epochs <n>", "number of epochs (overrides train.epochs)")
    .option("-o, --out <dir>", "output folder for metrics.jsonl and the checkpoint (overrides output)")
    .option("--data-root <dir>", "folder holding the data set (overrides dataset.root)")
    .option("--limit-batches <n>", "at most n batches per epoch, train and eval (quick checks)")
    .option("--resume [checkpoint]", "continue a run: the output folder's last checkpoint (no value or \"last\"), \"best\", or a checkpoint file / run folder")
    .option("--json", "print the per-epoch metrics as JSON on stdout when done")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus data download shd --dir data/shd\n  $ exodus train configs/shd.yaml --method slayer --out runs/shd-slayer\n" +
        "  $ exodus train configs/shd.yaml --epochs 1 --limit-batches 5   # a smoke test\n" +
        "  $ exodus train configs/shd.yaml --resume                       # after Ctrl-C\n" +
        "  $ exodus train --resume runs/shd-exodus --epochs 300           # the run's own config.yaml\n\n" +
        "Writes <out>/metrics.jsonl (one line per epoch: train/eval loss and accuracy, mean weight-gradient\n" +
        "2-norm per layer), <out>/checkpoint.safetensors + model.safetensors (every epoch and on Ctrl-C) and\n" +
        "checkpoint-best / model-best.safetensors (best eval accuracy); formats in docs/formats.md.",
    )
    .action(async (path: string | undefined, opts: Opts) => {
      const overrides = {
        method: opts.method, device: opts.device, output: opts.out, dataRoot: opts.dataRoot,
        epochs: int("--epochs", opts.epochs), limitBatches: int("--limit-batches", opts.limitBatches),
      };
      if (typeof opts.resume === "string" && /\.ya?ml$/.test(opts.resume))
        throw new ExodusError(`--resume: expected a checkpoint, a run folder, "last" or "best", received the config ${JSON.stringify(opts.resume)}; put the config first: exodus train ${opts.resume} --resume`);
      let config;
      if (path !== undefined) config = loadConfig(path, overrides);
      else if (typeof opts.resume === "string" && opts.resume !== "last" && opts.resume !== "best") config = resumedRunConfig(opts.resume, overrides);
      else if (opts.resume && opts.out) config = resumedRunConfig(opts.out, overrides);
      else throw new ExodusError("train: expected a config file, or --resume <checkpoint or run folder> (or --resume with --out <run folder>), received neither");
      const ac = new AbortController();
      const progress = new Progress(process.stderr);
      const onSigint = () => {
        if (ac.signal.aborted) process.exit(130); // a second Ctrl-C: leave now, keeping the last checkpoint
        progress.log("Ctrl-C: finishing the step and saving a checkpoint (Ctrl-C again to quit without saving)");
        ac.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        progress.log(`training ${config.dataset.name} with ${config.method} on ${config.device}; output ${config.output}`);
        const r = await train({ config, resume: opts.resume, signal: ac.signal, progress });
        if (opts.json) process.stdout.write(`${JSON.stringify({ interrupted: r.interrupted, output: config.output, epochs: r.epochs })}\n`);
        if (r.interrupted) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}
