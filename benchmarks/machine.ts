// The machine a benchmark ran on, as the fields every results file opens with; each benchmark
// adds its own (GPU, allocator, load average) after these.
import { cpus, platform, release, totalmem } from "node:os";
import type { runtimeInfo } from "../lib/runtime.js";

export function machineInfo(info: ReturnType<typeof runtimeInfo>) {
  return {
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
    threads: info.cpu.threads,
    isa: info.cpu.isa,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}
