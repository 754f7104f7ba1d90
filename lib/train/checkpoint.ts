// Checkpoints: <out>/checkpoint.json (position, config, tensor table) and the tensors' float32
// bytes in <out>/checkpoint-<step>.bin. The .bin is written first under a step-unique name and
// the .json renamed over the old one last, so a crash at any point leaves one complete
// checkpoint (the old or the new); older .bin files are removed only after the switch.
import { crc32 } from "node:zlib";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExodusError } from "../errors.js";

export interface CheckpointState {
  version: 1;
  /** Epoch being run (0-based) and how far: batches done, and whether its training part is over. */
  epoch: number;
  batch: number;
  phase: "train" | "eval";
  /** Optimiser steps so far (also drives the dropout seeds). */
  step: number;
  /** All randomness derives from the seed and the position above (see trainer.ts). */
  seed: number;
  /** Running sums of the epoch in progress. */
  partial: {
    lossSum: number; correct: number; seen: number; seconds: number; gradNormSums: number[]; gradSteps: number;
    /** Spikes and possible spikes of each spiking layer, and seconds per phase (absent in older checkpoints). */
    spikeSums?: number[]; possibleSums?: number[]; phaseSeconds?: { data: number; forward: number; backward: number; optimizer: number };
  };
  config: unknown;
  tensors: { name: string; shape: number[]; offset: number; length: number }[];
  bin: string;
  crc32: number;
}

export function checkpointPath(dir: string): string {
  return join(dir, "checkpoint.json");
}

export function saveCheckpoint(dir: string, state: Omit<CheckpointState, "tensors" | "bin" | "crc32" | "version">, tensors: { name: string; data: Float32Array; shape: readonly number[] }[]): void {
  mkdirSync(dir, { recursive: true });
  let offset = 0;
  const table = tensors.map((t) => {
    const e = { name: t.name, shape: [...t.shape], offset, length: t.data.length };
    offset += t.data.length;
    return e;
  });
  const all = new Float32Array(offset);
  for (const [i, t] of tensors.entries()) all.set(t.data, table[i].offset);
  const bytes = Buffer.from(all.buffer, all.byteOffset, all.byteLength);
  const bin = `checkpoint-${state.step}.bin`;
  writeFileSync(join(dir, `${bin}.tmp`), bytes);
  renameSync(join(dir, `${bin}.tmp`), join(dir, bin));
  const json: CheckpointState = { version: 1, ...state, tensors: table, bin, crc32: crc32(bytes) >>> 0 };
  writeFileSync(join(dir, "checkpoint.json.tmp"), `${JSON.stringify(json, null, 1)}\n`);
  renameSync(join(dir, "checkpoint.json.tmp"), checkpointPath(dir));
  for (const f of readdirSync(dir)) if (/^checkpoint-\d+\.bin(\.tmp)?$/.test(f) && f !== bin) rmSync(join(dir, f), { force: true });
}

export function loadCheckpoint(dir: string): { state: CheckpointState; tensors: Map<string, Float32Array> } {
  const path = checkpointPath(dir);
  if (!existsSync(path)) throw new ExodusError(`--resume: expected a checkpoint at ${path}, received no such file`);
  const state = JSON.parse(readFileSync(path, "utf8")) as CheckpointState;
  if (state.version !== 1) throw new ExodusError(`${path}: expected checkpoint version 1, received ${state.version}`);
  const bytes = readFileSync(join(dir, state.bin));
  if ((crc32(bytes) >>> 0) !== state.crc32) throw new ExodusError(`${join(dir, state.bin)}: checksum mismatch (the file is damaged)`);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const tensors = new Map<string, Float32Array>();
  for (const t of state.tensors) tensors.set(t.name, all.slice(t.offset, t.offset + t.length));
  return { state, tensors };
}
