// `exodus bench [neuron|gemm|data|augment]`: runs a benchmark script (ratios measured side by side in one
// run, JSON written to benchmarks/results/ or --out). Default: the backward speedup of EXODUS and
// SLAYER over BPTT on one LIF layer, the paper's Table 1 measurement.
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ExodusError } from "../../lib/errors.js";
import { packageRoot } from "../../lib/native.js";

const SCRIPTS: Record<string, string> = {
  neuron: "dist/benchmarks/neuron/bench.js",
  gemm: "dist/benchmarks/gemm/bench.js",
  data: "dist/benchmarks/data/bench.js",
  augment: "dist/benchmarks/augment/bench.js",
};

interface Opts {
  device?: string;
  quick?: boolean;
  torch?: boolean;
  out?: string;
}

export function register(program: Command): void {
  program
    .command("bench")
    .argument("[which]", "neuron (EXODUS/SLAYER vs BPTT), gemm (vs OpenBLAS), data (loader) or augment (augmentation vs a training step)", "neuron")
    .description("measure backward speedups (or GEMM / data throughput) side by side in one run")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (neuron and gemm)")
    .option("--quick", "smaller sizes (neuron)")
    .option("--torch", "also time PyTorch autograd BPTT as a peer (neuron; needs python3-torch)")
    .option("--out <file>", "where to write the JSON results")
    .addHelpText("after", "\nExamples:\n  $ exodus bench\n  $ exodus bench --device cuda --quick\n  $ exodus bench gemm")
    .action((which: string, opts: Opts) => {
      const rel = SCRIPTS[which];
      if (!rel) throw new ExodusError(`bench: expected one of ${Object.keys(SCRIPTS).join(", ")}, received ${JSON.stringify(which)}`);
      const script = join(packageRoot(), rel);
      if (!existsSync(script)) throw new ExodusError(`bench: ${script} is missing; build with npm run build:ts`);
      const args = [script];
      if (opts.device) args.push("--device", opts.device);
      if (opts.quick && which === "neuron") args.push("--quick");
      if (opts.torch && which === "neuron") args.push("--torch");
      if (opts.out) args.push("--out", opts.out);
      const r = spawnSync(process.execPath, args, { stdio: "inherit" });
      process.exitCode = r.status ?? 1;
    });
}
