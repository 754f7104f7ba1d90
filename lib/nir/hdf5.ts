// NIR graphs on disk: the HDF5 layout of the reference implementation (neuromorphs/NIR,
// nir/serialization.py): a root dataset "version" (string) and a group "node" holding the graph's
// to_dict() — every field a dataset (arrays, integers, vlen UTF-8 strings), nested dicts as groups
// ("nodes", "metadata"), "edges" an [E, 2] string dataset. The reference reader turns each node
// group into the keyword arguments of its class, so a node may hold only that class's fields
// (extras are a TypeError there); what NIR has no field for goes into the node's "metadata" group.
// Written and read with h5wasm.
import { existsSync } from "node:fs";
import { ExodusError } from "../errors.js";

/** A dataset value: float arrays keep their precision, integers are int64 as numpy writes them. */
export type NirArray = { kind: "f32" | "f64"; shape: number[]; data: Float32Array | Float64Array } | { kind: "int"; shape: number[]; data: number[] };
export type NirValue = NirArray | string | number | string[] | NirDict;
export interface NirDict {
  [key: string]: NirValue;
}

export const f32 = (data: ArrayLike<number>, shape = [data.length]): NirArray => ({ kind: "f32", shape, data: Float32Array.from(data) });
export const f64 = (data: ArrayLike<number>, shape = [data.length]): NirArray => ({ kind: "f64", shape, data: Float64Array.from(data) });
export const ints = (data: number[]): NirArray => ({ kind: "int", shape: [data.length], data });

export function isArray(v: NirValue | undefined): v is NirArray {
  return typeof v === "object" && v !== null && !Array.isArray(v) && "kind" in v && "shape" in v && "data" in v;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type H5 = any;
let lib: Promise<H5> | undefined;
async function h5(): Promise<H5> {
  lib ??= (async () => {
    const m = (await import("h5wasm/node")) as unknown as { default: H5 };
    const Module = await m.default.ready;
    Module.activate_throwing_error_handler();
    return m.default;
  })();
  return lib;
}

function writeValue(group: H5, name: string, v: NirValue): void {
  if (typeof v === "string") group.create_dataset({ name, data: v });
  // a nested graph's edges, held flat in memory, are an [E, 2] dataset as at the top level
  else if (Array.isArray(v)) group.create_dataset({ name, data: v, ...(name === "edges" && v.length % 2 === 0 ? { shape: [v.length / 2, 2] } : {}) });
  else if (typeof v === "number") {
    if (Number.isInteger(v)) group.create_dataset({ name, data: BigInt64Array.of(BigInt(v)), shape: [] });
    else group.create_dataset({ name, data: Float64Array.of(v), shape: [] });
  } else if (isArray(v)) {
    const data = v.kind === "int" ? BigInt64Array.from(v.data as number[], (x) => BigInt(x)) : v.data;
    group.create_dataset({ name, data, shape: v.shape });
  } else {
    const g = group.create_group(name);
    for (const [k, x] of Object.entries(v)) writeValue(g, k, x);
  }
}

/** Writes {version, node: graph} as the reference writer lays it out. */
export async function writeNirFile(path: string, version: string, graph: NirDict, edges: [string, string][]): Promise<void> {
  const lib = await h5();
  let f: H5;
  try {
    f = new lib.File(path, "w");
  } catch (e) {
    throw new ExodusError(`${path}: could not create the NIR file: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    f.create_dataset({ name: "version", data: version });
    const node = f.create_group("node");
    for (const [k, v] of Object.entries(graph)) writeValue(node, k, v);
    node.create_dataset({ name: "edges", data: edges.flat(), shape: [edges.length, 2] });
  } finally {
    f.close();
  }
}

function readValue(entity: H5, where: string): NirValue {
  if (entity?.constructor?.name === "Group" || typeof entity?.keys === "function") {
    const out: NirDict = {};
    for (const k of entity.keys() as string[]) out[k] = readValue(entity.get(k), `${where}/${k}`);
    return out;
  }
  const shape: number[] = entity.shape ?? [];
  const v = entity.value;
  if (typeof v === "string") return v;
  if (Array.isArray(v) && v.every((s) => typeof s === "string")) return v as string[];
  if (typeof v === "number" || typeof v === "bigint" || typeof v === "boolean") return shape.length === 0 ? Number(v) : ints([Number(v)]);
  if (v instanceof Float32Array) return { kind: "f32", shape, data: v };
  if (v instanceof Float64Array) return { kind: "f64", shape, data: v };
  if (ArrayBuffer.isView(v)) {
    const arr = Array.from(v as unknown as ArrayLike<number | bigint>, Number);
    return shape.length === 0 ? arr[0] : { kind: "int", shape, data: arr };
  }
  throw new ExodusError(`${where}: expected a number, a string or a numeric array, received an HDF5 value of type ${typeof v}`);
}

export interface NirFile {
  version: string;
  graph: NirDict;
  edges: [string, string][];
}

function h5Message(e: unknown): string {
  const text = String((e as Error)?.message ?? e);
  const m = [...text.matchAll(/in (\w+\(\)): (.*)$/gm)].map((x) => `${x[1]}: ${x[2].trim()}`);
  return m.length ? m[m.length - 1] : text.split("\n")[0];
}

/** Reads a NIR HDF5 file into plain values (no interpretation of the nodes). */
export async function readNirFile(path: string): Promise<NirFile> {
  if (!existsSync(path)) throw new ExodusError(`${path}: expected a NIR file (HDF5), received no such file`);
  const lib = await h5();
  let f: H5;
  try {
    f = new lib.File(path, "r");
  } catch (e) {
    throw new ExodusError(`${path}: expected a NIR file (HDF5), received a file HDF5 cannot open (${h5Message(e)})`);
  }
  try {
    const keys: string[] = f.keys();
    if (!keys.includes("node")) throw new ExodusError(`${path}: expected a NIR file with a group "node", received top-level entries ${keys.join(", ") || "(none)"}`);
    const version = keys.includes("version") ? String(f.get("version").value) : "unknown";
    const node = f.get("node");
    const graph: NirDict = {};
    let edges: [string, string][] = [];
    for (const k of node.keys() as string[]) {
      if (k === "edges") {
        const e = node.get("edges");
        const flat = e.value as unknown;
        if (!Array.isArray(flat) || flat.length % 2 !== 0 || !flat.every((s) => typeof s === "string"))
          throw new ExodusError(`${path}: node/edges: expected an [E, 2] dataset of node names, received ${e.shape ? `shape [${e.shape.join(", ")}]` : "something else"}`);
        edges = [];
        for (let i = 0; i < flat.length; i += 2) edges.push([flat[i], flat[i + 1]]);
      } else graph[k] = readValue(node.get(k), `${path}: node/${k}`);
    }
    return { version, graph, edges };
  } catch (e) {
    if (e instanceof ExodusError) throw e;
    throw new ExodusError(`${path}: could not read the NIR graph: ${h5Message(e)}`);
  } finally {
    f.close();
  }
}
