// The test split, evaluated once at the end of a run that selected on another split: the best
// checkpoint's weights (model selection's choice, never informed by test) on the test samples,
// written to <out>/test.json and printed. `exodus eval <run> --split test` does the same later.
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BEST_CHECKPOINT_FILE, loadCheckpoint, restoreWeights, type StateTensor } from "./checkpoint.js";
import type { TrainConfig } from "./config.js";
import type { BuiltModel } from "./model.js";
import type { Progress } from "./progress.js";
import type { EpochMetrics, TrainData } from "./trainer.js";

export interface TestResult {
  split: "test";
  /** Which weights: the best epoch's (by train.selectMetric on train.evalSplit), or the last when no best exists. */
  weights: "best" | "last";
  epoch: number;
  loss: number;
  acc: number;
  samples: number;
}

type Evaluate = (model: BuiltModel, data: TrainData, cfg: TrainConfig, limit: number) => Promise<EpochMetrics["eval"] | undefined>;

export async function finalTest(opts: { model: BuiltModel; state: StateTensor[]; cfg: TrainConfig; test: TrainData; lastEpoch: number; evaluate: Evaluate; progress: Progress; write?: boolean }): Promise<TestResult | undefined> {
  const { model, cfg } = opts;
  const out = cfg.output;
  let weights: TestResult["weights"] = "last";
  let epoch = opts.lastEpoch;
  if (existsSync(join(out, BEST_CHECKPOINT_FILE))) {
    const best = loadCheckpoint(out, "best");
    restoreWeights(opts.state, best);
    weights = "best";
    epoch = best.state.best?.epoch ?? best.state.epoch;
  }
  const ev = await opts.evaluate(model, opts.test, cfg, cfg.train.limitBatches ?? Infinity);
  if (!ev) return undefined;
  const r: TestResult = { split: "test", weights, epoch, ...ev };
  if (opts.write !== false) writeFileSync(join(out, "test.json"), `${JSON.stringify(r, null, 2)}\n`);
  opts.progress.log(`test (once, ${weights === "best" ? `the best epoch by ${cfg.train.evalSplit} ${cfg.train.selectMetric}: ${epoch}` : `after epoch ${epoch}`}): loss ${ev.loss.toFixed(4)} acc ${(100 * ev.acc).toFixed(1)}% on ${ev.samples} samples → ${join(out, "test.json")}`);
  return r;
}
