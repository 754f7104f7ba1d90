// Devices: "cpu", "cuda", "cuda:N". The default is CUDA when a GPU really works (a probe
// allocation and kernel succeed), otherwise the CPU, with the reason kept for `exodus info`.
import { DeviceError, describe } from "./errors.js";
import { native } from "./native.js";

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
  deviceCount: number;
  reason: string;
}

let cudaStatusCache: CudaStatus | undefined;

/** Whether CUDA is compiled in and works, and if not, why not. Probes once per process. */
export function cudaStatus(): CudaStatus {
  if (cudaStatusCache) return cudaStatusCache;
  const info = native().info();
  let status: CudaStatus = {
    compiled: info.cudaCompiled,
    usable: false,
    deviceCount: info.cudaDeviceCount,
    reason: info.cudaReason,
  };
  if (info.cudaCompiled && info.cudaDeviceCount > 0) {
    try {
      const addon = native();
      const b = new addon.NativeBuffer(1, 0, 4);
      addon.fill(b, 0, 4, 2);
      const back = addon.read(b, 0, 4);
      b.dispose();
      if (back[3] !== 2) throw new Error(`probe kernel returned ${back[3]} instead of 2`);
      status = { ...status, usable: true, reason: "" };
    } catch (e) {
      status = { ...status, reason: `a GPU was found but a probe kernel failed: ${(e as Error).message}` };
    }
  }
  cudaStatusCache = status;
  return status;
}

export function cudaAvailable(): boolean {
  return cudaStatus().usable;
}

/** The device used when none is given: EXODUS_DEVICE if set, else cuda:0 when usable, else cpu. */
export function defaultDevice(): Device {
  const env = process.env.EXODUS_DEVICE;
  if (env) return parseDevice(env);
  return cudaAvailable() ? Device.cuda(0) : Device.cpu;
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
  native().synchronize(device.code, device.index);
}
