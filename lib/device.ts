// Devices: "cpu", "cuda", "cuda:N". The default is CUDA when a GPU really works (a probe
// allocation and kernel succeed, in a child process), otherwise the CPU, with the reason kept for
// `exodus info`.
import { compiledModule } from "./compiled.js";
import { DeviceError, describe } from "./errors.js";
import { spawnSync } from "node:child_process";
import { type NativeInfo, addonPath, native } from "./native.js";

export class Device {
  private constructor(
    readonly type: "cpu" | "cuda",
    readonly index: number,
  ) {}
  static readonly cpu = new Device("cpu", 0);
  private static cudaDevices: Device[] = [];
  static cuda(index: number): Device {
    return (Device.cudaDevices[index] ??= new Device("cuda", index));
  }
  get isCuda(): boolean {
    return this.type === "cuda";
  }
  /** The numeric device type of the native API. */
  get code(): number {
    return this.type === "cpu" ? 0 : 1;
  }
  equals(o: Device): boolean {
    return this.type === o.type && this.index === o.index;
  }
  toString(): string {
    return this.type === "cpu" ? "cpu" : `cuda:${this.index}`;
  }
}

export type DeviceLike = Device | string;

export interface CudaStatus {
  compiled: boolean;
  usable: boolean;
  /** The build runs the CUDA backend on an emulated device (EXODUS_CUDA=emulate), not a GPU. */
  emulated: boolean;
  deviceCount: number;
  reason: string;
  /** The addon's runtime information, as the probe process saw it. */
  info: NativeInfo;
}

let cudaStatusCache: CudaStatus | undefined;


/**
 * Runs the CUDA probe (cuda-probe.ts, from its compiled file) in a child process, or a probe
 * given as source (the tests feed one that crashes); what it prints, or why it printed nothing.
 */
export function runCudaProbe(source?: string, timeoutMs = 120_000): { info?: NativeInfo; usable: boolean; reason: string } {
  let args: string[];
  try {
    args = source === undefined ? [compiledModule("cuda-probe.js"), addonPath()] : ["-e", source, addonPath()];
  } catch (e) {
    return { usable: false, reason: `the CUDA probe could not start: ${(e as Error).message}; the CPU is used` };
  }
  const r = spawnSync(process.execPath, args, { encoding: "utf8", timeout: timeoutMs, maxBuffer: 1 << 20 });
  const tail = (r.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
  const why = (what: string) => `the CUDA probe process ${what}${tail ? ` (${tail})` : ""}; the CPU is used`;
  if (r.error && (r.error as NodeJS.ErrnoException).code === "ETIMEDOUT")
    return { usable: false, reason: why(`did not finish within ${timeoutMs / 1000} s (a hung driver?)`) };
  if (r.error) return { usable: false, reason: why(`could not start: ${r.error.message}`) };
  if (r.signal) return { usable: false, reason: why(`was killed by ${r.signal} (a broken CUDA driver?)`) };
  if (r.status !== 0) return { usable: false, reason: why(`exited with code ${r.status}`) };
  try {
    const out = JSON.parse(r.stdout) as { info: NativeInfo; usable: boolean; reason: string };
    return { info: out.info, usable: out.usable === true, reason: String(out.reason ?? "") };
  } catch {
    return { usable: false, reason: why(`printed no result: ${JSON.stringify(r.stdout.slice(0, 200))}`) };
  }
}

/** Whether CUDA is compiled in and works, and if not, why not. Probes once per process. */
export function cudaStatus(): CudaStatus {
  if (cudaStatusCache) return cudaStatusCache;
  const build = native().buildInfo();
  if (!build.cudaCompiled) {
    // No CUDA in this build: info() touches no driver.
    const info = native().info();
    cudaStatusCache = { compiled: false, usable: false, emulated: false, deviceCount: 0, reason: info.cudaReason, info };
    return cudaStatusCache;
  }
  const p = runCudaProbe();
  const info: NativeInfo = p.info ?? {
    ...build, cudaArchs: "", cudaRuntimeVersion: 0, cudaDriverVersion: 0, cudaDeviceCount: 0, cudaReason: p.reason,
  };
  const emulated = p.info?.cudaArchs === "emulated";
  cudaStatusCache = { compiled: true, usable: p.usable, emulated, deviceCount: p.usable ? info.cudaDeviceCount : 0, reason: p.reason, info };
  return cudaStatusCache;
}

export function cudaAvailable(): boolean {
  return cudaStatus().usable;
}

/**
 * The device used when none is given: EXODUS_DEVICE if set, else cuda:0 when usable, else cpu.
 * An emulated device (a development build) is used only when asked for by name.
 */
export function defaultDevice(): Device {
  const env = process.env.EXODUS_DEVICE;
  if (env) return parseDevice(env);
  return cudaAvailable() && !cudaStatus().emulated ? Device.cuda(0) : Device.cpu;
}

/** Parses "cpu", "cuda", "cuda:N" (or passes a Device through), checking that it can be used. */
export function parseDevice(spec?: DeviceLike): Device {
  if (spec === undefined) return defaultDevice();
  if (spec instanceof Device) return spec;
  if (typeof spec !== "string")
    throw new DeviceError(`device: expected "cpu", "cuda" or "cuda:N", received ${describe(spec)}`);
  const s = spec.trim().toLowerCase();
  if (s === "cpu") return Device.cpu;
  const m = /^cuda(?::(\d+))?$/.exec(s);
  if (!m) throw new DeviceError(`device: expected "cpu", "cuda" or "cuda:N", received ${JSON.stringify(spec)}`);
  const index = m[1] === undefined ? 0 : Number(m[1]);
  const st = cudaStatus();
  if (!st.usable) throw new DeviceError(`device ${JSON.stringify(spec)}: CUDA is not available: ${st.reason}`);
  if (index >= st.deviceCount)
    throw new DeviceError(`device ${JSON.stringify(spec)}: expected an index below ${st.deviceCount} (CUDA devices found), received ${index}`);
  return Device.cuda(index);
}

export function synchronize(device: Device): void {
  native().synchronize({ device: device.code, index: device.index });
}
