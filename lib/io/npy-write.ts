// Writes a float32 .npy file (format 1.0, little-endian, C order), readable by numpy.load and by
// lib/data/npy.ts. The header is padded so the data starts 64-byte aligned, as numpy writes it.
import { writeFileSync } from "node:fs";

export function encodeNpy(data: Float32Array, shape: readonly number[]): Buffer {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += " ".repeat(pad % 64) + "\n";
  const head = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, "latin1"), body]);
}

export function writeNpy(path: string, data: Float32Array, shape: readonly number[]): void {
  writeFileSync(path, encodeNpy(data, shape));
}
