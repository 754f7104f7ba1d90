// `exodus eval <run-dir | checkpoint>`: accuracy, loss, per-class accuracy, the confusion matrix
// (printed, and as <run>/confusion-<split>.svg) and the firing rate of every spiking layer.
import type { Command } from "commander";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { confusionSvg, evaluateRun, formatEval } from "../../lib/train/eval.js";

export function register(program: Command): void {
  program
    .command("eval")
    .argument("<run>", "a run folder (the --out of exodus train), its checkpoint file or a model.safetensors")
    .description("evaluate a trained run: accuracy, loss, per-class accuracy, confusion matrix, firing rates")
    .option("--split <split>", "split to evaluate (default: the run's train.evalSplit)")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (default: the run's device)")
    .option("--data-root <dir>", "where the data set is now, if it moved since training")
    .option("--picture <file>", "where to write the confusion matrix picture (.svg; default <run>/confusion-<split>.svg)")
    .option("--best", "the run's best checkpoint by eval accuracy (default: the last)")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus train                                  # the built-in task\n  $ exodus eval runs/synthetic-exodus --split test\n  $ exodus eval runs/shd-exodus --json > shd-test.json")
    .action(async (run: string, opts: { split?: string; device?: string; dataRoot?: string; picture?: string; best?: boolean; json?: boolean }) => {
      const r = await evaluateRun(run, { split: opts.split, device: opts.device, dataRoot: opts.dataRoot, which: opts.best ? "best" : "last" });
      const picture = opts.picture ?? join(r.run, `confusion-${r.split}.svg`);
      writeFileSync(picture, confusionSvg(r));
      if (opts.json) process.stdout.write(`${JSON.stringify({ ...r, picture }, null, 2)}\n`);
      else process.stdout.write(`${formatEval(r)}\n\nconfusion matrix picture: ${picture}\n`);
    });
}
