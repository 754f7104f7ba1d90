// `exodus gradcheck`: a random multi-layer spiking network run with exodus, slayer and bptt on the
// same weights and inputs; per layer, how far each weight gradient is from bptt's. Exits 1 when
// exodus deviates beyond float32 rounding (it is exact; slayer is not).
import type { Command } from "commander";
import { parseDevice } from "../../lib/device.js";
import { ConfigError } from "../../lib/errors.js";
import { flagInt, flagPositive } from "../../lib/validate.js";
import { GRADCHECK_NEURONS, type GradcheckNeuron, gradcheck } from "../../lib/nn/gradcheck.js";

interface Opts {
  sizes: string;
  T: string;
  batch: string;
  neuron: string;
  device?: string;
  seed: string;
  scale: string;
  tau: string;
  rate: string;
  initScale: string;
  tolerance: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command("gradcheck")
    .description("compare exodus and slayer weight gradients with bptt on a random spiking network")
    .option("--sizes <list>", "layer widths, input first, readout last", "100,128,128,20")
    .option("--T <steps>", "time steps", "250")
    .option("--batch <n>", "batch size", "8")
    .option("--neuron <kind>", GRADCHECK_NEURONS.join(", "), "lif")
    .option("-d, --device <device>", "cpu, cuda or cuda:N (default: cuda when usable, else cpu)")
    .option("--seed <n>", "seed of weights and inputs", "1")
    .option("--scale <a>", "surrogate gradient scale", "1")
    .option("--tau <steps>", "LIF membrane time constant", "30")
    .option("--rate <p>", "input spike probability per step", "0.2")
    .option("--init-scale <k>", "weight bound multiplier (× 1/√fan-in)", "3")
    .option("--tolerance <r>", "largest accepted exodus deviation from bptt", "1e-4")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExamples:\n  $ exodus gradcheck\n  $ exodus gradcheck --neuron iaf --T 500 --device cuda --json")
    .action((o: Opts) => {
      const sizes = o.sizes.split(",").map((s) => flagInt("--sizes", s.trim()));
      if (sizes.length < 3) throw new ConfigError(`--sizes: expected at least 3 widths (input, hidden, readout), received ${JSON.stringify(o.sizes)}`);
      const neuron = o.neuron as GradcheckNeuron;
      if (!GRADCHECK_NEURONS.includes(neuron)) throw new ConfigError(`--neuron: expected one of ${GRADCHECK_NEURONS.join(", ")}, received ${JSON.stringify(o.neuron)}`);
      const rate = flagPositive("--rate", o.rate);
      if (rate >= 1) throw new ConfigError(`--rate: expected a probability below 1, received ${o.rate}`);
      const tolerance = flagPositive("--tolerance", o.tolerance);
      const device = parseDevice(o.device);
      const r = gradcheck({
        sizes, T: flagInt("--T", o.T), batch: flagInt("--batch", o.batch), neuron, device, seed: flagInt("--seed", o.seed, 0),
        scale: flagPositive("--scale", o.scale), tauMem: flagPositive("--tau", o.tau), inputRate: rate, initScale: flagPositive("--init-scale", o.initScale),
      });
      const worst = Math.max(...r.layers.map((l) => l.deviation.exodus));
      const ok = worst <= tolerance && r.sameSpikes;
      if (o.json) console.log(JSON.stringify({ ...r, tolerance, pass: ok }, null, 2));
      else {
        console.log(`exodus gradcheck: ${neuron} network ${sizes.join("→")}, T=${r.options.T}, batch ${r.options.batch}, on ${device}\n`);
        console.log("layer  weight       spike rate  exodus vs bptt  slayer vs bptt  |∇| exodus  |∇| slayer   |∇| bptt");
        for (const l of r.layers) {
          const rate = l.spikeRate === null ? "(readout)" : `${(100 * l.spikeRate).toFixed(1)} %`;
          console.log(`${String(l.layer).padEnd(6)} ${`${l.shape[0]}×${l.shape[1]}`.padEnd(12)} ${rate.padStart(10)}  ${l.deviation.exodus.toExponential(2).padStart(14)}  ${l.deviation.slayer.toExponential(2).padStart(14)}  ${l.norm.exodus.toExponential(3).padStart(10)}  ${l.norm.slayer.toExponential(3).padStart(10)}  ${l.norm.bptt.toExponential(3).padStart(9)}`);
        }
        console.log("\nseconds  forward   backward");
        for (const [m, t] of Object.entries(r.seconds)) console.log(`${m.padEnd(8)} ${t.forward.toFixed(3).padStart(7)}   ${t.backward.toFixed(3).padStart(8)}`);
        if (!r.sameSpikes) console.log("\nexodus and bptt forwards produced different spikes (a float32 rounding flip at a threshold): gradients are not comparable");
        console.log(`\n${ok ? "PASS" : "FAIL"}: largest exodus deviation ${worst.toExponential(2)} (tolerance ${tolerance.toExponential(0)})`);
      }
      if (!ok) process.exitCode = 1;
    });
}
