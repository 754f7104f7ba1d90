// `exodus info`: version, build (CUDA compiled? which architectures), devices, CPU threads.
import type { Command } from "commander";
import { runtimeInfo } from "../../lib/runtime.js";

export function register(program: Command): void {
  program
    .command("info")
    .description("show the build, the devices found and the CPU threads")
    .option("--json", "print JSON")
    .addHelpText("after", "\nExample:\n  $ exodus info --json")
    .action((opts: { json?: boolean }) => {
      const i = runtimeInfo();
      if (opts.json) {
        console.log(JSON.stringify(i, null, 2));
        return;
      }
      const gib = (b: number) => `${(b / 2 ** 30).toFixed(1)} GiB`;
      console.log(`exodus ${i.version}`);
      console.log(`CPU backend:  ${i.cpu.threads} threads, kernels: ${i.cpu.isa}`);
      if (!i.cuda.compiled) console.log("CUDA backend: not compiled (no nvcc at install time)");
      else if (i.cuda.emulated) {
        console.log("CUDA backend: EMULATED on the host CPU (an EXODUS_CUDA=emulate development build, not a GPU);");
        console.log("              used only with --device cuda, never by device auto (docs/emulated-device.md)");
        for (const d of i.cuda.devices) console.log(`  cuda:${d.index}  ${d.name}  ${d.multiprocessors} emulated SMs`);
      } else {
        console.log(`CUDA backend: compiled for ${i.cuda.archs.join(", ")}; runtime ${i.cuda.runtimeVersion}, driver ${i.cuda.driverVersion}`);
        if (i.cuda.devices.length === 0) console.log(`CUDA devices: none usable (${i.cuda.reason})`);
        for (const d of i.cuda.devices)
          console.log(`  cuda:${d.index}  ${d.name}  sm_${d.computeCapability.replace(".", "")}  ${gib(d.totalMemory)}  ${d.multiprocessors} SMs`);
      }
      console.log(`default device: ${i.cuda.usable && !i.cuda.emulated ? "cuda:0" : "cpu"}`);
    });
}
