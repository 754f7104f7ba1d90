// `exodus train <config.yaml>`: trains the network a config describes (configs/shd.yaml, …),
// writing metrics.jsonl and a checkpoint to the output folder. Ctrl-C (or SIGTERM) finishes the
// running step, saves a checkpoint and exits with 130 (143); --resume continues from it.
import type { Command } from "commander";
import { ExodusError } from "../../lib/errors.js";
import { loadConfig } from "../../lib/train/config.js";
import { Progress } from "../../lib/train/progress.js";
import { train } from "../../lib/train/trainer.js";

interface Opts {
  method?: string;
  device?: string;
  epochs?: string;
  out?: string;
  dataRoot?: string;
  limitBatches?: string;
  resume?: boolean;
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
    .argument("<config>", "YAML training config (see configs/ and docs/training.md)")
    .description("train a spiking network from a config; metrics and checkpoints go to its output folder")
    .option("-m, --method <method>", "gradient method: exodus, slayer or bptt (overrides method)")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (overrides device)")
    .option("--epochs <n>", "number of epochs (overrides train.epochs)")
    .option("-o, --out <dir>", "output folder for metrics.jsonl and the checkpoint (overrides output)")
    .option("--data-root <dir>", "folder holding the data set (overrides dataset.root)")
    .option("--limit-batches <n>", "at most n batches per epoch, train and eval (quick checks)")
    .option("--resume", "continue the run whose checkpoint is in the output folder")
    .option("--json", "print the per-epoch metrics as JSON on stdout when done")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus data download shd --dir data/shd\n  $ exodus train configs/shd.yaml --method slayer --out runs/shd-slayer\n" +
        "  $ exodus train configs/shd.yaml --epochs 1 --limit-batches 5   # a smoke test\n" +
        "  $ exodus train configs/shd.yaml --resume                       # after Ctrl-C\n\n" +
        "Writes <out>/metrics.jsonl (one line per epoch: train/eval loss and accuracy, mean weight-gradient\n" +
        "2-norm per layer) and <out>/checkpoint.json + checkpoint-<step>.bin (every epoch and on Ctrl-C).",
    )
    .action(async (path: string, opts: Opts) => {
      const config = loadConfig(path, {
        method: opts.method, device: opts.device, output: opts.out, dataRoot: opts.dataRoot,
        epochs: int("--epochs", opts.epochs), limitBatches: int("--limit-batches", opts.limitBatches),
      });
      const ac = new AbortController();
      const progress = new Progress(process.stderr);
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
        if (opts.json) process.stdout.write(`${JSON.stringify({ interrupted: r.interrupted, output: config.output, epochs: r.epochs })}\n`);
        if (r.interrupted) process.exitCode = code;
      } finally {
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigterm);
      }
    });
}
