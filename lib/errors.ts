// Error types and the validation helpers every public function uses, so messages read alike:
// "<what>: expected <expected>, received <received>".

export class ExodusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
export class ShapeError extends ExodusError {}
export class DeviceError extends ExodusError {}
export class ConfigError extends ExodusError {}
/** A data file or folder that is not there (the fix is to download it or point at it), as opposed to a bad one. */
export class MissingDataError extends ExodusError {}

export function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return `[${v.map(describe).join(", ")}]`;
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return `${v} (${typeof v})`;
  if (v instanceof Float32Array) return `Float32Array(${v.length})`;
  if (typeof v === "object") return v.constructor?.name ?? "object";
  return typeof v;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

export function expectInt(name: string, v: unknown, min = 0): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min)
    throw new ExodusError(`${name}: expected an integer >= ${min}, received ${describe(v)}`);
  return v;
}

export function expectNumber(name: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v))
    throw new ExodusError(`${name}: expected a finite number, received ${describe(v)}`);
  return v;
}
