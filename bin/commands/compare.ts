// `exodus compare <config>`: the paper's Figure 2 on any config: one run per method × surrogate
// scale × seed under --out (each a normal `exodus train` run folder), then compare.html and
// summary.json there. Ctrl-C checkpoints the running training; the same command continues it.
import type { Command } from "commander";
import { flagInt } from "../../lib/validate.js";
import { parseMethods, parseScales, parseSeeds, runCompare } from "../../lib/compare/index.js";
import { loadConfig } from "../../lib/train/config.js";

interface Opts {
  methods: string;
  scales: string;
  seeds: string;
  epochs?: string;
  out?: string;
  jobs: string;
  device?: string;
  dataRoot?: string;
  limitBatches?: string;
  timingRepeats: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("compare")
    .argument("<config>", "YAML training config (see configs/ and docs/training.md)")
    .description("train each method × surrogate scale × seed from the same initial weights and compare them (the paper's Figure 2)")
    .option("--methods <list>", "backward methods: exodus, slayer, bptt", "exodus,slayer")
    .option("--scales <list>", "surrogate gradient scales (neuron.surrogate.scale)", "0.01,0.1,1")
    .option("--seeds <list>", "seeds (train.seed): same seed, same initial weights and batch order", "1,2,3")
    .option("--epochs <n>", "epochs per run (overrides train.epochs)")
    .option("-o, --out <dir>", "folder for the runs, compare.html and summary.json (default runs/compare-<dataset>)")
    .option("-j, --jobs <n>", "runs trained at the same time, each in its own process", "1")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (overrides device)")
    .option("--data-root <dir>", "folder holding the data set (overrides dataset.root)")
    .option("--limit-batches <n>", "at most n batches per epoch, train and eval (quick checks)")
    .option("--timing-repeats <n>", "timed forward+backward repeats per method for the speed panel (0: none)", "5")
    .option("--json", "print the summary (per method × scale: accuracies, gradient norms, timing) as JSON on stdout")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus compare configs/shd.yaml --epochs 20 --out runs/compare-shd\n" +
        "  $ exodus compare configs/shd.yaml --methods exodus,slayer --scales 1 --seeds 1,2 --epochs 2 --limit-batches 10\n" +
        "  $ exodus compare configs/shd.yaml --out runs/compare-shd      # after Ctrl-C: continues where it stopped\n\n" +
        "Writes <out>/<method>-scale<s>-seed<n>/ (metrics.jsonl, checkpoint, config.yaml) per run, <out>/compare.html\n" +
        "(accuracy per epoch, per-layer gradient norms on a log axis, time per method, summary table), <out>/summary.json\n" +
        "and <out>/timing.json. Finished runs are kept when the command is run again; an unfinished one resumes.",
    )
    .action(async (path: string, opts: Opts) => {
      const config = loadConfig(path, { device: opts.device, dataRoot: opts.dataRoot, limitBatches: flagInt("--limit-batches", opts.limitBatches) });
      const grid = { methods: parseMethods(opts.methods), scales: parseScales(opts.scales), seeds: parseSeeds(opts.seeds), epochs: flagInt("--epochs", opts.epochs) };
      const jobs = flagInt("--jobs", opts.jobs)!;
      const repeats = flagInt("--timing-repeats", opts.timingRepeats, 0)!;
      const out = opts.out ?? `runs/compare-${config.dataset.name}`;
      const ac = new AbortController();
      const onSigint = () => {
        if (ac.signal.aborted) process.exit(130);
        process.stderr.write("\nCtrl-C: finishing the step and saving a checkpoint (Ctrl-C again to quit without saving)\n");
        ac.abort();
      };
      process.on("SIGINT", onSigint);
      try {
        const n = grid.methods.length * grid.scales.length * grid.seeds.length;
        process.stderr.write(`compare: ${n} runs (${grid.methods.join(", ")} × scales ${grid.scales.join(", ")} × seeds ${grid.seeds.join(", ")}) of ${config.dataset.name} on ${config.device}; output ${out}\n`);
        const r = await runCompare({ config, configPath: path, out, grid, jobs, signal: ac.signal, timing: repeats ? { warmup: 1, repeats } : undefined });
        process.stderr.write(`compare: wrote ${r.html} and ${r.summary}${r.run.interrupted ? "; interrupted: run the same command again to continue" : ""}\n`);
        if (opts.json) process.stdout.write(`${JSON.stringify(jsonSummary(r.report))}\n`);
        if (r.run.interrupted) process.exitCode = 130;
      } finally {
        process.off("SIGINT", onSigint);
      }
    });
}

/** The --json summary: per method × scale the headline numbers, without the per-epoch series. */
function jsonSummary(r: Awaited<ReturnType<typeof runCompare>>["report"]) {
  return {
    dir: r.dir,
    html: `${r.dir}/compare.html`,
    status: r.status,
    layers: r.layers,
    cells: r.cells.map((c) => ({
      method: c.method, scale: c.scale, runs: c.runs,
      bestAcc: c.bestAcc, finalAcc: c.finalAcc, gradNormMean: c.gradNormMean, gradNormFinal: c.gradNormFinal, epochSeconds: c.epochSeconds,
    })),
    timing: r.timing
      ? Object.fromEntries(Object.entries(r.timing.methods).map(([m, t]) => [m, { forwardSeconds: t!.forward.median, backwardSeconds: t!.backward.median, forwardMinMax: [t!.forward.min, t!.forward.max], backwardMinMax: [t!.backward.min, t!.backward.max] }]))
      : null,
  };
}
