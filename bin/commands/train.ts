// `exodus train [config.yaml]`: trains the network a config describes (configs/shd.yaml, …; without
// one, the built-in synthetic task of configs/synthetic.yaml), writing config.yaml, metrics.jsonl,
// metrics.csv, report.html and a checkpoint to the output folder. Ctrl-C (or SIGTERM) finishes the
// running step, saves a checkpoint and exits with 130 (143); --resume continues from it.
import type { Command } from "commander";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ExodusError } from "../../lib/errors.js";
import { flagInt, flagNumber } from "../../lib/validate.js";
import { packageRoot } from "../../lib/native.js";
import { hasCheckpoint } from "../../lib/train/checkpoint.js";
import { loadConfig } from "../../lib/train/config.js";
import { resumedRunConfig } from "../../lib/train/resume.js";
import { Progress } from "../../lib/train/progress.js";
import { train } from "../../lib/train/trainer.js";
import { detectLaunch } from "../../lib/dist/launch.js";

const readText = (f: string) => readFileSync(f, "utf8");

interface Opts {
  method?: string;
  device?: string;
  epochs?: string;
  out?: string;
  dataRoot?: string;
  limitBatches?: string;
  resume?: boolean | string;
  json?: boolean;
  set: string[];
  batchSize?: string;
  lr?: string;
  seed?: string;
  memoryBudget?: string;
  timeChunk?: string;
  scale?: string;
  surrogate?: string;
}

/**
 * Where a run goes when the output folder was left to its default: the first of runs/<name>-<method>,
 * -2, -3, … without a checkpoint (so `exodus train` twice makes two runs), or with --resume the
 * last one that has a checkpoint.
 */
function defaultOutput(base: string, resume: boolean): string {
  const candidates = [base, ...Array.from({ length: 998 }, (_, i) => `${base}-${i + 2}`)];
  if (resume) return candidates.filter((c) => hasCheckpoint(c)).at(-1) ?? base;
  return candidates.find((c) => !hasCheckpoint(c)) ?? base;
}

export function register(program: Command): void {
  program
    .command("train")
    .argument("[config]", "YAML training config (see configs/ and docs/training.md); default: the built-in task, configs/synthetic.yaml, or with --resume <run> the run's own config.yaml")
    .description("train a spiking network from a config (default: the built-in synthetic task); report, metrics and checkpoints go to its output folder")
    .option("-m, --method <method>", "gradient method: exodus, slayer or bptt (overrides method)")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (overrides device)")
    .option("--epochs <n>", "number of epochs (overrides train.epochs)")
    .option("-o, --out <dir>", "output folder for metrics.jsonl and the checkpoint (overrides output)")
    .option("--data-root <dir>", "folder holding the data set (overrides dataset.root)")
    .option("--limit-batches <n>", "at most n batches per epoch, train and eval (quick checks)")
    .option("--batch-size <n>", "batch size (overrides train.batchSize)")
    .option("--lr <x>", "Adam learning rate (overrides train.lr)")
    .option("--seed <n>", "seed of every random draw (overrides train.seed)")
    .option("--memory-budget <MiB>", 'MiB a step\'s activations may take before the step runs checkpointed, "auto" (half the free memory) or "off" (overrides train.memoryBudget)')
    .option("--time-chunk <steps>", 'run the step in chunks of this many time steps (Linear/LIF networks on the CPU): "auto" (when nothing else fits the memory budget) or "off" (overrides train.timeChunk)')
    .option("--scale <x>", "surrogate gradient scale (overrides neuron.surrogate.scale; the paper sweeps 0.01, 0.1, 1)")
    .option("--surrogate <name>", "surrogate gradient (overrides neuron.surrogate.name): exponential (the paper's), or triangle / rectangle, which are exactly 0 outside |v−θ| < wθ")
    .option("--set <key=value>", "set any config field, e.g. --set model.hidden=[32,32] (repeatable; typed and checked like the file)", (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option("--resume [checkpoint]", "continue a run: the output folder's last checkpoint (no value or \"last\"), \"best\", or a checkpoint file / run folder")
    .option("--json", "print the per-epoch metrics as JSON on stdout when done")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus train                                                 # the built-in task, no download: runs/synthetic-exodus\n" +
        "  $ exodus train --method slayer --scale 1                       # the same with SLAYER: compare the gradient norms\n" +
        "  $ exodus data download shd --dir data/shd\n  $ exodus train configs/shd.yaml --method slayer --out runs/shd-slayer\n" +
        "  $ exodus train configs/shd.yaml --epochs 1 --limit-batches 5   # a smoke test\n" +
        "  $ exodus train configs/shd.yaml --set model.hidden=[256,256] --lr 3e-3 --seed 2\n" +
        "  $ exodus train configs/shd.yaml --resume                       # after Ctrl-C\n" +
        "  $ exodus train --resume runs/shd-exodus --epochs 300           # the run's own config.yaml\n\n" +
        "Writes <out>/config.yaml (the resolved config), metrics.jsonl and metrics.csv (one line per epoch:\n" +
        "loss, accuracy, mean weight-gradient 2-norm and firing rate per layer, time per phase), report.html\n" +
        "(plots, rewritten every epoch), checkpoint.safetensors + model.safetensors (every epoch and on\n" +
        "Ctrl-C) and checkpoint-best / model-best.safetensors (best eval accuracy); formats in docs/formats.md.\n" +
        "Then: exodus eval <out>.",
    )
    .action(async (path: string | undefined, opts: Opts) => {
      const overrides = {
        method: opts.method, device: opts.device, output: opts.out, dataRoot: opts.dataRoot,
        epochs: flagInt("--epochs", opts.epochs), limitBatches: flagInt("--limit-batches", opts.limitBatches),
        batchSize: flagInt("--batch-size", opts.batchSize), lr: flagNumber("--lr", opts.lr), seed: flagInt("--seed", opts.seed, 0), scale: flagNumber("--scale", opts.scale),
        surrogate: opts.surrogate, set: opts.set,
        // a number of MiB, or the text as given: the config check names every accepted form
        memoryBudget: opts.memoryBudget === undefined || opts.memoryBudget.trim() === "" || Number.isNaN(Number(opts.memoryBudget)) ? opts.memoryBudget : Number(opts.memoryBudget),
        timeChunk: opts.timeChunk === undefined || opts.timeChunk.trim() === "" || Number.isNaN(Number(opts.timeChunk)) ? opts.timeChunk : Number(opts.timeChunk),
      };
      if (typeof opts.resume === "string" && /\.ya?ml$/.test(opts.resume))
        throw new ExodusError(`--resume: expected a checkpoint, a run folder, "last" or "best", received the config ${JSON.stringify(opts.resume)}; put the config first: exodus train ${opts.resume} --resume`);
      const namedRun = typeof opts.resume === "string" && opts.resume !== "last" && opts.resume !== "best";
      let config;
      if (path === undefined && namedRun) config = resumedRunConfig(opts.resume as string, overrides);
      else if (path === undefined && opts.resume && opts.out) config = resumedRunConfig(opts.out, overrides);
      else {
        const file = path ?? join(packageRoot(), "configs", "synthetic.yaml");
        config = loadConfig(file, overrides);
        const outputGiven = opts.out !== undefined || opts.set.some((s) => s.startsWith("output=")) || /^output\s*:/m.test(readText(file));
        if (!outputGiven) config.output = defaultOutput(config.output, !!opts.resume);
      }
      const ac = new AbortController();
      const rank = detectLaunch()?.rank ?? 0; // under mpirun/srun only rank 0 reports (docs/distributed.md)
      const progress = new Progress(process.stderr, rank !== 0);
      // SIGTERM (what schedulers send before killing a job) is handled like Ctrl-C; exit 128 + signal.
      let code = 130;
      const onSignal = (sig: NodeJS.Signals) => {
        if (ac.signal.aborted) process.exit(code); // a second signal: leave now, keeping the last checkpoint
        code = sig === "SIGTERM" ? 143 : 130;
        progress.log(`${sig === "SIGTERM" ? "SIGTERM" : "Ctrl-C"}: finishing the step and saving a checkpoint (Ctrl-C again to quit without saving)`);
        ac.abort();
      };
      const onSigint = () => onSignal("SIGINT");
      const onSigterm = () => onSignal("SIGTERM");
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigterm);
      try {
        progress.log(`training ${config.dataset.name} with ${config.method} on ${config.device}; output ${config.output}`);
        const r = await train({ config, resume: opts.resume, signal: ac.signal, progress });
        if (opts.json && rank === 0) process.stdout.write(`${JSON.stringify({ interrupted: r.interrupted, output: config.output, epochs: r.epochs })}\n`);
        if (!r.interrupted)
          progress.log(`done: ${join(config.output, "report.html")} (plots), metrics.csv, config.yaml; evaluate with \`exodus eval ${config.output}\``);
        if (r.interrupted) process.exitCode = code;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigterm);
      }
    });
}
