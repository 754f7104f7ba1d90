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
import { DATASETS } from "./registry.js";
import { axesFrame, fmtTick, niceTicks } from "../plot.js";
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

/** A label's class name where the file name tells the data set (shd_*.h5, ssc_*.h5, gesture files), else the number. */
function classNameOf(path: string, label: number): string {
  const b = basename(path).toLowerCase();
  const names = b.startsWith("shd") ? DATASETS.shd.classes : b.startsWith("ssc") ? DATASETS.ssc.classes
    : /\.(npy|aedat)$/.test(b) && !b.startsWith("cifar") ? DATASETS["dvs-gesture"].classes : undefined;
  return names?.[label] !== undefined ? `${label} (${names[label]})` : String(label);
}

export function stats(v: number[]): Stats {
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
  let drawnLabel: number | undefined;
  for (const s of d.samples) {
    if (opts.picture && count === want) {
      drawn = s.events;
      drawnLabel = s.label;
    }
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
  const cls = drawnLabel === undefined ? "" : `, class ${classNameOf(path, drawnLabel)}`;
  return { report, picture: renderSample(drawn, d.sensor, opts.picture, `${basename(path)} sample ${want}${cls}`) };
}

/** A picture of one sample: raster (audio: height 1) or 8 frames (DVS); `title` names it (class). */
export function renderSample(e: Events, sensor: SensorSize, format: "png" | "svg", title = ""): Buffer {
  return sensor.height === 1 ? raster(e, sensor, format, title) : frameStrip(e, sensor, format, title);
}

/** Time axis of a raster in ms: whole bins of the recording, at least 1 ms. */
function rasterSpan(e: Events): number {
  const n = e.t.length;
  return Math.max(1, Math.ceil((n ? e.t[n - 1] : 0) / 1e3));
}

function raster(e: Events, sensor: SensorSize, format: "png" | "svg", title: string): Buffer {
  const n = e.t.length;
  const tMs = rasterSpan(e);
  const heading = `${title ? `${title}: ` : ""}${n} spikes in ${tMs >= 1000 ? `${(tMs / 1000).toFixed(2)} s` : `${tMs} ms`}`;
  if (format === "svg") {
    const H = Math.min(Math.max(240, sensor.width * 2 + 80), 700);
    return Buffer.from(
      axesFrame({ width: 860, height: H }, heading, { lo: 0, hi: tMs, label: "time (ms)" }, { lo: 0, hi: sensor.width, label: "channel" }, (px, py) => {
        const h = Math.max(1, Math.abs(py(1) - py(0)));
        let dots = "";
        for (let i = 0; i < n; i++) dots += `<rect x="${px(e.t[i] / 1e3).toFixed(1)}" y="${(py(e.x[i] + 1)).toFixed(1)}" width="1.6" height="${Math.min(h, 3).toFixed(1)}"/>`;
        return `<g fill="black">${dots}</g>`;
      }),
    );
  }
  // PNG: the raster in a plot area with axes, ticks and labels in the bitmap font (lib/data/font.ts).
  const [L, R, T, B] = [84, 16, 34, 52];
  const pw = 760;
  const ph = Math.min(Math.max(200, sensor.width), 700);
  const W = L + pw + R;
  const H = T + ph + B;
  const rgb = new Uint8Array(W * H * 3).fill(255);
  const dot = (x: number, y: number, c = 0) => {
    if (x >= 0 && y >= 0 && x < W && y < H) rgb.fill(c, (y * W + x) * 3, (y * W + x) * 3 + 3);
  };
  const px = (ms: number) => L + Math.min(pw - 1, Math.floor((ms / tMs) * (pw - 1)));
  const py = (ch: number) => T + ph - 1 - Math.floor((ch * ph) / sensor.width);
  for (let i = 0; i < n; i++) {
    const x = px(e.t[i] / 1e3);
    const y = py(e.x[i]);
    for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) dot(x + dx, y - dy); // 2×2: single pixels vanish when scaled down
  }
  for (let x = L - 1; x < L + pw; x++) dot(x, T + ph, 60);
  for (let y = T; y <= T + ph; y++) dot(L - 1, y, 60);
  const tx = niceTicks(0, tMs, 8).ticks.filter((v) => v <= tMs);
  for (const v of tx) {
    for (let k = 1; k <= 5; k++) dot(px(v), T + ph + k, 60);
    const label = fmtTick(v);
    drawText(rgb, W, H, px(v) - label.length * 6 + 1, T + ph + 9, label, 2);
  }
  const ty = niceTicks(0, sensor.width, 6).ticks.filter((v) => v <= sensor.width);
  for (const v of ty) {
    const y = Math.max(T, py(v));
    for (let k = 2; k <= 6; k++) dot(L - k, y, 60);
    const label = fmtTick(v);
    drawText(rgb, W, H, L - 10 - label.length * 12, y - 7, label, 2);
  }
  drawText(rgb, W, H, L + pw / 2 - 54, H - textHeight(2) - 4, "TIME (MS)", 2);
  drawText(rgb, W, H, 4, T - 14, "CHANNEL", 2);
  const hs = heading.length * 12 > W - 200 ? 1 : 2; // long titles in the small font rather than cut off
  drawText(rgb, W, H, Math.max(100, Math.round((W - heading.length * 6 * hs) / 2)), 4, heading, hs);
  return encodePng(W, H, rgb);
}

function frameStrip(e: Events, sensor: SensorSize, format: "png" | "svg", title = ""): Buffer {
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
  const span = e.t.length ? e.t[e.t.length - 1] / 1e3 : 0;
  const caption = `${title ? `${title}: ` : ""}${e.t.length} events, 8 bins of ${(span / nFrames).toFixed(0)} ms (0-${span.toFixed(0)} ms, left to right); red on, blue off`;
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
