// `exodus data inspect`: what a data file holds (samples, classes, durations, event rates) and a
// picture of one sample: a spike raster for audio, a strip of frames for DVS (ON red, OFF blue).
import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { basename, extname } from "node:path";
import { ExodusError } from "../errors.js";
import { readAedat2 } from "./aedat2.js";
import { gestureSamples, labelsPathOf, readAedat3 } from "./aedat3.js";
import type { Events, SensorSize } from "./events.js";
import { DVS128_SENSOR } from "./aedat3.js";
import { AUDIO_SENSOR, AudioH5File } from "./h5.js";
import { readGestureNpy } from "./npy.js";
import { drawText, textHeight } from "./font.js";
import { encodePng } from "./png.js";
import { FrameScratch, denseFrames, windowsOf } from "./transforms.js";
import { listZip, readZipEntry } from "./zip.js";

export interface Stats {
  min: number;
  mean: number;
  max: number;
}

export interface InspectReport {
  path: string;
  format: string;
  samples: number;
  /** Samples per class label (0-based), where the file carries labels. */
  classCounts?: Record<string, number>;
  events: Stats;
  /** Time from t = 0 to the last event, seconds. */
  durationS: Stats;
  /** Events per second of duration. */
  eventRate: Stats;
  emptySamples: number;
}

interface Loaded {
  format: string;
  sensor: SensorSize;
  /** Streamed: a whole SSC split would not fit in memory as events. */
  samples: Iterable<{ events: Events; label?: number }>;
}

function headOf(path: string): string {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(12);
    return b.subarray(0, readSync(fd, b, 0, 12, 0)).toString("latin1");
  } finally {
    closeSync(fd);
  }
}

async function load(path: string): Promise<Loaded> {
  if (!existsSync(path)) throw new ExodusError(`${path}: expected a data file, received no such file`);
  if (statSync(path).isDirectory()) throw new ExodusError(`${path}: expected a file (.h5, .aedat, .npy, .zip), received a directory`);
  const ext = extname(path).toLowerCase();
  if (ext === ".h5" || ext === ".hdf5") {
    const f = await AudioH5File.open(path);
    function* rows() {
      try {
        for (let r = 0; r < f.count; r += 512) {
          const chunk = f.readRows(r, Math.min(512, f.count - r));
          for (const [i, events] of chunk.entries()) yield { events, label: f.labels[r + i] };
        }
      } finally {
        f.close();
      }
    }
    return { format: "HDF5 (SHD/SSC)", sensor: AUDIO_SENSOR, samples: rows() };
  }
  if (ext === ".npy") return { format: "npy (tonic DVS Gesture)", sensor: DVS128_SENSOR, samples: [{ events: readGestureNpy(path), label: Number(basename(path, ".npy")) }] };
  if (ext === ".zip") {
    const entries = listZip(path).filter((e) => e.name.endsWith(".aedat"));
    if (entries.length === 0) throw new ExodusError(`${path}: expected .aedat entries (a CIFAR10-DVS class zip), received none`);
    function* read() {
      for (const e of entries) yield { events: readAedat2(`${path}: ${e.name}`, readZipEntry(path, e)) };
    }
    return { format: "zip of AEDAT 2.0 (CIFAR10-DVS)", sensor: DVS128_SENSOR, samples: read() };
  }
  const head = headOf(path);
  if (head.startsWith("#!AER-DAT3")) {
    if (existsSync(labelsPathOf(path)))
      return { format: "AEDAT 3.1 (DVS Gesture) + labels", sensor: DVS128_SENSOR, samples: gestureSamples(path) };
    return { format: "AEDAT 3.1 (no labels CSV: whole recording)", sensor: DVS128_SENSOR, samples: [{ events: readAedat3(path) }] };
  }
  if (head.startsWith("#!AER-DAT2")) return { format: "AEDAT 2.0 (CIFAR10-DVS)", sensor: DVS128_SENSOR, samples: [{ events: readAedat2(path) }] };
  throw new ExodusError(`${path}: expected .h5, .npy, .zip or an AEDAT 2.0/3.1 file, received ${JSON.stringify(head.split(/\r?\n/)[0].slice(0, 12))}`);
}

function stats(v: number[]): Stats {
  if (v.length === 0) return { min: 0, mean: 0, max: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of v) {
    min = Math.min(min, x);
    max = Math.max(max, x);
    sum += x;
  }
  return { min, mean: sum / v.length, max };
}

export interface InspectOptions {
  /** Sample to draw (default 0). */
  sample?: number;
  /** Picture format; omit for none. */
  picture?: "png" | "svg";
}

/** Summarises a data file and optionally renders one sample. */
export async function inspectPath(path: string, opts: InspectOptions = {}): Promise<{ report: InspectReport; picture?: Buffer }> {
  const d = await load(path);
  const counts: Record<string, number> = {};
  const ev: number[] = [];
  const dur: number[] = [];
  const rate: number[] = [];
  let empty = 0;
  let count = 0;
  const want = opts.sample ?? 0;
  let drawn: Events | undefined;
  for (const s of d.samples) {
    if (opts.picture && count === want) drawn = s.events;
    count++;
    if (s.label !== undefined) counts[s.label] = (counts[s.label] ?? 0) + 1;
    const n = s.events.t.length;
    ev.push(n);
    if (n === 0) {
      empty++;
      continue;
    }
    const seconds = s.events.t[n - 1] / 1e6;
    dur.push(seconds);
    if (seconds > 0) rate.push(n / seconds);
  }
  const report: InspectReport = {
    path,
    format: d.format,
    samples: count,
    ...(Object.keys(counts).length ? { classCounts: counts } : {}),
    events: stats(ev),
    durationS: stats(dur),
    eventRate: stats(rate),
    emptySamples: empty,
  };
  if (!opts.picture) return { report };
  if (!drawn) throw new ExodusError(`inspect --sample: expected an index in [0, ${count}), received ${want}`);
  return { report, picture: renderSample(drawn, d.sensor, opts.picture) };
}

/** A picture of one sample: raster (audio: height 1) or 8 frames (DVS). */
export function renderSample(e: Events, sensor: SensorSize, format: "png" | "svg"): Buffer {
  return sensor.height === 1 ? raster(e, sensor, format) : frameStrip(e, sensor, format);
}

function raster(e: Events, sensor: SensorSize, format: "png" | "svg"): Buffer {
  const n = e.t.length;
  const tMax = n ? e.t[n - 1] : 1;
  const W = 800;
  const H = Math.min(sensor.width, 700);
  const px = (t: number) => Math.min(W - 1, Math.floor((t / (tMax || 1)) * (W - 1)));
  const py = (x: number) => H - 1 - Math.floor((x * H) / sensor.width);
  const caption = `${n} spikes, ${(tMax / 1e3).toFixed(1)} ms; y: channel 0-${sensor.width - 1}`;
  if (format === "png") {
    // The raster, a frame around it, and a caption strip below (no font library: lib/data/font.ts).
    const capH = textHeight(2) + 10;
    const rgb = new Uint8Array(W * (H + capH) * 3).fill(255);
    // 2×2 dots: single pixels vanish when the picture is scaled down
    for (let i = 0; i < n; i++)
      for (let dy = 0; dy < 2; dy++) {
        const y = Math.min(H - 1, py(e.x[i]) + dy);
        const x = px(e.t[i]);
        rgb.fill(0, (y * W + x) * 3, (y * W + Math.min(W, x + 2)) * 3);
      }
    for (let x = 0; x < W; x++) rgb.fill(160, ((H - 1) * W + x) * 3, ((H - 1) * W + x) * 3 + 3);
    drawText(rgb, W, H + capH, 4, H + 5, caption, 2);
    return encodePng(W, H + capH, rgb);
  }
  const dots: string[] = [];
  for (let i = 0; i < n; i++) dots.push(`<rect x="${px(e.t[i])}" y="${py(e.x[i])}" width="1.5" height="1.5"/>`);
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20}" viewBox="0 0 ${W} ${H + 20}">` +
      `<rect width="100%" height="100%" fill="white"/><g fill="black">${dots.join("")}</g>` +
      `<text x="4" y="${H + 15}" font-size="12" font-family="sans-serif">${caption}</text></svg>`,
  );
}

function frameStrip(e: Events, sensor: SensorSize, format: "png" | "svg"): Buffer {
  const nFrames = 8;
  const { width: w, height: h } = sensor;
  const gap = 4;
  const W = nFrames * w + (nFrames - 1) * gap;
  const rgb = new Uint8Array(W * h * 3).fill(255);
  // light grey frames on white gaps, so the frames read as separate pictures
  for (let y = 0; y < h; y++) for (let k = 0; k < nFrames; k++) rgb.fill(236, (y * W + k * (w + gap)) * 3, (y * W + k * (w + gap) + w) * 3);
  if (e.t.length > 0) {
    const win = windowsOf(e, { mode: "timeBins", nTimeBins: nFrames })!;
    const f = new FrameScratch().frames(e, win, sensor);
    const F = sensor.polarities * h * w;
    const dense = denseFrames(f, F);
    let max = 1;
    for (const v of dense) max = Math.max(max, v);
    for (let k = 0; k < nFrames; k++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const off = k * F + y * w + x;
          const on = sensor.polarities > 1 ? dense[off + h * w] : dense[off];
          const offC = sensor.polarities > 1 ? dense[off] : 0;
          if (!on && !offC) continue;
          const o = (y * W + k * (w + gap) + x) * 3;
          const s = (v: number) => Math.round(255 * Math.min(1, Math.sqrt(v / max) * 1.5));
          rgb[o] = 236 - Math.round((236 / 255) * s(offC));
          rgb[o + 1] = 236 - Math.round((236 / 255) * Math.max(s(on), s(offC)));
          rgb[o + 2] = 236 - Math.round((236 / 255) * s(on));
        }
  }
  const caption = `${e.t.length} events in 8 time bins; red on, blue off`;
  const png = encodePng(W, h, rgb);
  if (format === "png") {
    // Frames at 2× with a caption strip (the sensor is small: 128 or 64 pixels high).
    const W2 = W * 2;
    const capH = textHeight(2) + 10;
    const out = new Uint8Array(W2 * (h * 2 + capH) * 3).fill(255);
    for (let y = 0; y < h * 2; y++)
      for (let x = 0; x < W2; x++) out.set(rgb.subarray((((y >> 1) * W) + (x >> 1)) * 3, (((y >> 1) * W) + (x >> 1)) * 3 + 3), (y * W2 + x) * 3);
    drawText(out, W2, h * 2 + capH, 4, h * 2 + 5, caption, 2);
    return encodePng(W2, h * 2 + capH, out);
  }
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W * 2}" height="${h * 2 + 24}">` +
      `<image width="${W * 2}" height="${h * 2}" style="image-rendering:pixelated" href="data:image/png;base64,${png.toString("base64")}"/>` +
      `<text x="4" y="${h * 2 + 17}" font-size="12" font-family="sans-serif">${caption}</text></svg>`,
  );
}
