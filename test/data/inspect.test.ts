// `exodus data inspect` and `exodus data download --help`, run in-process through commander.
import { Command } from "commander";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { inflateSync } from "node:zlib";
import { afterEach, describe, expect, it, vi } from "vitest";
import { register as registerDownload } from "../../bin/commands/data-download.js";
import { register as registerInspect } from "../../bin/commands/data-inspect.js";
import { allocEvents } from "../../lib/data/events.js";
import { inspectPath, renderSample } from "../../lib/data/inspect.js";
import { Rng } from "../../lib/random.js";
import { FIXTURES, aedat2File, aedat3File, aedat3Packet, randomEvents, tmp } from "./helpers.js";

interface Twin {
  labels: number[];
  times: number[][];
}

function cli(sink: { out: string } = { out: "" }): Command {
  const program = new Command().exitOverride().configureOutput({ writeOut: (s) => void (sink.out += s), writeErr: () => {} });
  registerDownload(program);
  registerInspect(program);
  return program;
}

afterEach(() => vi.restoreAllMocks());

describe("inspect", () => {
  it("summarises an SHD file: samples, classes, durations, rates", async () => {
    const twin = JSON.parse(readFileSync(join(FIXTURES, "shd_tiny.h5.json"), "utf8")) as Twin;
    const { report } = await inspectPath(join(FIXTURES, "shd_tiny.h5"));
    expect(report.samples).toBe(8);
    expect(report.emptySamples).toBe(1);
    expect(report.classCounts).toEqual(Object.fromEntries(twin.labels.map((l) => [String(l), 1])));
    const lens = twin.times.map((t) => t.length);
    expect(report.events.max).toBe(Math.max(...lens));
    expect(report.events.mean).toBeCloseTo(lens.reduce((a, b) => a + b, 0) / 8, 10);
    const durs = twin.times.filter((t) => t.length).map((t) => Math.trunc(Math.fround(Math.fround(t.at(-1)!) * 1e6)) / 1e6);
    expect(report.durationS.max).toBeCloseTo(Math.max(...durs), 9);
    expect(report.eventRate.min).toBeGreaterThan(0);
  });

  it("draws PNG and SVG pictures for audio and DVS samples", async () => {
    const dir = tmp();
    const rng = new Rng(1);
    writeFileSync(join(dir, "s.aedat"), aedat2File(randomEvents(rng, 3000, 1_000_000)));
    const png = (await inspectPath(join(FIXTURES, "shd_tiny.h5"), { picture: "png", sample: 1 })).picture!;
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.readUInt32BE(16)).toBe(860); // IHDR width: the raster and its axes
    const dvs = (await inspectPath(join(dir, "s.aedat"), { picture: "png" })).picture!;
    expect(dvs.readUInt32BE(16)).toBe(2 * (8 * 128 + 7 * 4)); // frames drawn at 2×
    expect(dvs.readUInt32BE(20)).toBe(2 * 128 + 24); // and a caption strip
    const svg = (await inspectPath(join(FIXTURES, "shd_tiny.h5"), { picture: "svg" })).picture!.toString();
    expect(svg).toMatch(/^<svg[\s\S]*spikes[\s\S]*<rect x=[\s\S]*time \(ms\)/);
    expect((await inspectPath(join(dir, "s.aedat"), { picture: "svg" })).picture!.toString()).toMatch(/data:image\/png;base64,/);
  });

  it("colours DVS frames: ON red, OFF blue, empty grey", () => {
    const e = allocEvents(3);
    e.t.set([0, 50, 800]);
    e.x.set([5, 9, 0]);
    e.y.set([7, 3, 0]);
    e.p.set([1, 0, 1]);
    const png = renderSample(e, { width: 128, height: 128, polarities: 2 }, "png");
    const W = 2 * (8 * 128 + 7 * 4);
    const idat = png.subarray(png.indexOf("IDAT") + 4, png.indexOf("IEND") - 8);
    const raw = inflateSync(idat);
    // (x, y) in sensor pixels of the 2× picture
    const px = (x: number, y: number) => Array.from(raw.subarray(2 * y * (W * 3 + 1) + 1 + 6 * x, 2 * y * (W * 3 + 1) + 4 + 6 * x));
    const [r1, g1, b1] = px(5, 7);
    expect(r1).toBeGreaterThan(200);
    expect(g1).toBeLessThan(100);
    expect(b1).toBeLessThan(100);
    const [r2, g2, b2] = px(9, 3);
    expect(b2).toBeGreaterThan(200);
    expect(r2).toBeLessThan(100);
    expect(g2).toBeLessThan(100);
    expect(px(0, 0)).toEqual([236, 236, 236]); // the last event is dropped by n_time_bins
    expect(px(128 + 1, 0)).toEqual([255, 255, 255]); // the gap between frames
    // The caption strip below the frames holds dark text pixels.
    const caption = raw.subarray(256 * (W * 3 + 1), 280 * (W * 3 + 1));
    expect(caption.some((v, i) => i % (W * 3 + 1) !== 0 && v < 50)).toBe(true);
  });

  it("splits an AEDAT 3.1 recording by its labels CSV", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "user01_lab.aedat"), aedat3File([aedat3Packet(randomEvents(new Rng(2), 400, 3_000_000))]));
    writeFileSync(join(dir, "user01_lab_labels.csv"), "class,startTime_usec,endTime_usec\n2,0,1000000\n5,1000000,2000000\n");
    const { report } = await inspectPath(join(dir, "user01_lab.aedat"));
    expect(report.samples).toBe(2);
    expect(report.classCounts).toEqual({ "1": 1, "4": 1 });
  });

  it("rejects what it cannot read, naming the file", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "notes.txt"), "hello");
    await expect(inspectPath(join(dir, "notes.txt"))).rejects.toThrow(/notes.txt: expected .h5, .npy, .zip or an AEDAT 2.0\/3.1 file, received "hello"/);
    await expect(inspectPath(join(dir, "nope.h5"))).rejects.toThrow(/nope.h5: expected a data file, received no such file/);
    await expect(inspectPath(join(FIXTURES, "shd_tiny.h5"), { picture: "png", sample: 8 })).rejects.toThrow(/expected an index in \[0, 8\), received 8/);
  });
});

describe("CLI", () => {
  it("exodus data inspect --json --out writes the picture and prints the report", async () => {
    const out = join(tmp(), "p.svg");
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void logs.push(s));
    await cli().parseAsync(["node", "exodus", "data", "inspect", join(FIXTURES, "ssc_tiny.h5"), "--out", out, "--json"]);
    const report = JSON.parse(logs.join("\n"));
    expect(report).toMatchObject({ samples: 5, picture: out, format: "HDF5 (SHD/SSC)" });
    expect(readFileSync(out, "utf8")).toMatch(/^<svg/);
  });

  it("rejects an --out that is neither .png nor .svg", async () => {
    await expect(cli().parseAsync(["node", "exodus", "data", "inspect", join(FIXTURES, "ssc_tiny.h5"), "--out", "x.jpg"])).rejects.toThrow(
      /--out: expected a file name ending in .png or .svg, received "x.jpg"/,
    );
  });

  it("download --help shows an example", () => {
    const sink = { out: "" };
    const program = cli(sink);
    const help = program.commands.find((c) => c.name() === "data")!.commands.find((c) => c.name() === "download")!.helpInformation();
    expect(help.replace(/\s+/g, " ")).toMatch(/Arguments: name shd \| ssc \| dvs-gesture \| cifar10-dvs/);
    expect(() => program.parse(["node", "exodus", "data", "download", "--help"])).toThrow();
    expect(sink.out).toMatch(/exodus data download shd --dir data\/shd/);
  });
});
