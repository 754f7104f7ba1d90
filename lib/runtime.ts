// What this build and machine offer: version, CUDA build and devices, CPU threads.
import { cudaStatus } from "./device.js";
import { expectInt } from "./errors.js";
import { native } from "./native.js";

export interface RuntimeInfo {
  version: string;
  cpu: { threads: number; isa: string };
  cuda: {
    compiled: boolean;
    archs: string[];
    runtimeVersion: string;
    driverVersion: string;
    usable: boolean;
    /** An emulated device (EXODUS_CUDA=emulate build): the CUDA code runs on the host CPU, never chosen by "auto". */
    emulated: boolean;
    reason: string;
    devices: { index: number; name: string; computeCapability: string; totalMemory: number; multiprocessors: number }[];
  };
}

function cudaVersion(v: number): string {
  return v ? `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}` : "none";
}

export function runtimeInfo(): RuntimeInfo {
  const n = native();
  const st = cudaStatus();
  // The driver-dependent fields come from the probe process (device.ts), never from this one.
  const i = st.info;
  const devices = [];
  if (st.usable) for (let d = 0; d < st.deviceCount; d++) devices.push({ index: d, ...n.cudaDeviceInfo({ index: d }) });
  return {
    version: i.version,
    cpu: { threads: i.cpuThreads, isa: i.cpuIsa },
    cuda: {
      compiled: i.cudaCompiled,
      archs: i.cudaArchs ? i.cudaArchs.split(",") : [],
      runtimeVersion: i.cudaCompiled ? cudaVersion(i.cudaRuntimeVersion) : "none",
      driverVersion: cudaVersion(i.cudaDriverVersion),
      usable: st.usable,
      emulated: st.emulated,
      reason: st.reason,
      devices,
    },
  };
}

/** Sets the number of CPU threads the native ops use (default: all cores, or OMP_NUM_THREADS). */
export function setCpuThreads(n: number): void {
  native().setThreads({ threads: expectInt("threads", n, 1) });
}
