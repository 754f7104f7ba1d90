// The live bytes of one SHD-shaped training step (configs/shd.yaml's network) in chunks of time
// against their estimate (nn/time-chunk-plan.ts), from the native host allocator's own count
// (blocks of 1 MiB and more): its peak over the step, less the input, the loss gradient and the
// output, which a plain step has too. One process per run, so the peak is that step's.
//   node dist/benchmarks/memory/chunk-live.js --T 4000 --B 16 --chunk 250   (--chunk 0: the plain step)
import { pathToFileURL } from "node:url";
import { flag } from "../args.js";
import { native } from "../../lib/native.js";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { setCpuThreads } from "../../lib/runtime.js";
import { loadConfig } from "../../lib/train/config.js";
import { buildModel } from "../../lib/train/model.js";
import { forwardMemory, stepPeak } from "../../lib/nn/memory.js";
import { TimeChunked } from "../../lib/nn/time-chunks.js";
import { timeChunkPeak } from "../../lib/nn/time-chunk-plan.js";
import { benchShape } from "../step/step.js";

const MiB = 2 ** 20;

export function chunkLive(T: number, B: number, chunk: number): { T: number; B: number; chunk: number; liveMiB: number; estimateMiB: number } {
  const cfg = loadConfig("configs/shd.yaml", { device: "cpu", output: "/tmp/exodus-chunk-live" });
  const { features, classes } = benchShape(cfg);
  const model = buildModel(cfg, { sampleShape: [T, ...features], numClasses: classes });
  const shape = [T, B, ...features];
  const rng = new Rng(5);
  const F = features.reduce((a, b) => a * b, 1);
  const xs = new Float32Array(T * B * F);
  for (let i = 0; i < xs.length; i++) if (rng.uniform() < 0.05) xs[i] = 1;
  const x = Tensor.from(xs, shape);
  const dy = Tensor.from(Float32Array.from({ length: T * B * classes }, () => 0.01 * rng.normal()), [T, B, classes]);
  const run = chunk > 0 ? new TimeChunked(model.net, chunk) : model.net;
  const before = native().hostAllocatorStats().inUse;
  const y = run.forward(x);
  run.backward(dy).dispose();
  const live = native().hostAllocatorStats().peak - before - 4 * y.size;
  const estimate = chunk > 0 ? timeChunkPeak(model.net, shape, chunk) : stepPeak(forwardMemory(model.net, shape));
  return { T, B, chunk, liveMiB: live / MiB, estimateMiB: estimate / MiB };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  setCpuThreads(Number(flag(args, "threads", "2")));
  console.log(JSON.stringify(chunkLive(Number(flag(args, "T", "4000")), Number(flag(args, "B", "16")), Number(flag(args, "chunk", "250")))));
}
