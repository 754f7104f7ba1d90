// `exodus bench`: the paper's speed table: whole-network forward/backward per batch for BPTT,
// SLAYER and EXODUS on the SHD, SSC and DVS Gesture set-ups, with the PyTorch autograd BPTT peer
// of the same network in the same run. `exodus bench kernels|gemm|data` run the layer, GEMM and
// data-loader benchmarks. Each runs as its own process (benchmarks/*/bench.js), which sets the
// allocator up before it starts. JSON goes to --out only: nothing under benchmarks/results/ is
// replaced unless --out names it.
import type { Command } from "commander";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ExodusError } from "../../lib/errors.js";
import { packageRoot } from "../../lib/native.js";

const SCRIPTS: Record<string, string> = {
  network: "dist/benchmarks/network/bench.js",
  kernels: "dist/benchmarks/neuron/bench.js",
  gemm: "dist/benchmarks/gemm/bench.js",
  data: "dist/benchmarks/data/bench.js",
  augment: "dist/benchmarks/augment/bench.js",
};
/** Earlier name of `kernels`. */
const ALIASES: Record<string, string> = { neuron: "kernels" };

interface Opts {
  setups?: string;
  device?: string;
  T?: string;
  batch?: string;
  rate?: string;
  sweepT?: string;
  repeats?: string;
  warmup?: string;
  threads?: string;
  peer: boolean;
  quick?: boolean;
  torch?: boolean;
  out?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("bench")
    .argument("[which]", "network (default: the paper's table), kernels (one LIF layer), gemm (vs OpenBLAS), data (loader) or augment (augmentation vs a training step)", "network")
    .description("time BPTT, SLAYER and EXODUS side by side in one run (or the kernels, GEMM, data loader)")
    .option("--setups <list>", "network: set-ups among shd, ssc, dvs-gesture", "shd,ssc,dvs-gesture")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (network, kernels, gemm)")
    .option("--T <n>", "network: time steps (default per set-up: 250, 250, 300)")
    .option("--batch <n>", "network: batch size (default per set-up: 128, 64, 16)")
    .option("--rate <p>", "network: input spike probability per bin (default 0.1 audio, 0.05 DVS)")
    .option("--sweep-T <list>", "network: also time each set-up at these T, e.g. 100,300,1000,3000")
    .option("--repeats <n>", "network: timed repeats per method (median, min–max)", "5")
    .option("--warmup <n>", "network: untimed repeats first", "1")
    .option("--threads <n>", "network: CPU threads for exodus, and one of the peer's (default: all cores); the peer is also timed at each count up to the cores and the table uses its best")
    .option("--no-peer", "network: skip the PyTorch peer")
    .option("--quick", "kernels: smaller sizes")
    .option("--torch", "kernels: also time PyTorch autograd BPTT on the layer")
    .option("--out <file>", "write the JSON results to this file")
    .option("--json", "network: print the JSON results on stdout (the table goes to stderr)")
    .addHelpText(
      "after",
      "\nExamples:\n  $ exodus bench --setups shd --json\n  $ exodus bench --device cuda --sweep-T 100,300,1000,3000,10000\n" +
        "  $ exodus bench --setups shd,ssc --repeats 3 --out benchmarks/results/network-cpu-new.json\n" +
        "  $ exodus bench kernels --quick\n  $ exodus bench gemm",
    )
    .action((whichArg: string, opts: Opts) => {
      const which = ALIASES[whichArg] ?? whichArg;
      const rel = SCRIPTS[which];
      if (!rel) throw new ExodusError(`bench: expected one of ${Object.keys(SCRIPTS).join(", ")}, received ${JSON.stringify(whichArg)}`);
      const script = join(packageRoot(), rel);
      if (!existsSync(script)) throw new ExodusError(`bench: ${script} is missing; build with npm run build:ts`);
      const args = [script];
      const pass = (flag: string, v: string | undefined) => v !== undefined && args.push(flag, v);
      pass("--device", opts.device);
      if (which === "network") {
        pass("--setups", opts.setups);
        pass("--T", opts.T);
        pass("--batch", opts.batch);
        pass("--rate", opts.rate);
        pass("--sweep-T", opts.sweepT);
        pass("--repeats", opts.repeats);
        pass("--warmup", opts.warmup);
        pass("--threads", opts.threads);
        if (!opts.peer) args.push("--no-peer");
        if (opts.json) args.push("--json");
        pass("--out", opts.out && resolve(opts.out));
      } else {
        if (opts.quick && which === "kernels") args.push("--quick");
        if (opts.torch && which === "kernels") args.push("--torch");
        // kernels, gemm and data write their JSON somewhere; without --out, to a temporary folder
        // rather than over the committed figures in benchmarks/results/ (augment writes only to --out).
        if (opts.out) args.push("--out", resolve(opts.out));
        else if (which !== "augment") args.push("--out", join(mkdtempSync(join(tmpdir(), "exodus-bench-")), `${which}.json`));
      }
      const r = spawnSync(process.execPath, args, { stdio: "inherit" });
      process.exitCode = r.status ?? 1;
    });
}
