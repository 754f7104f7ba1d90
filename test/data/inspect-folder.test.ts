// `exodus data inspect <folder>` on whole data-set folders built from the committed fixtures (SHD
// and SSC folders, the DVS Gesture npy root) and on the built-in `synthetic`: data set and format
// found, samples per split, class histogram by name, and a titled sample picture with axes.
import { copyFileSync, cpSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { register as registerInspect } from "../../bin/commands/data-inspect.js";
import { detectDataset, inspectFolder } from "../../lib/data/inspect-folder.js";
import { FIXTURES, tmp } from "./helpers.js";

function shdFolder(): string {
  const root = tmp("exodus-inspect-shd-");
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
  return root;
}

describe("inspect a data-set folder", () => {
  it("an SHD folder: splits, class histogram by name, a raster with axes and the class name", async () => {
    const twin = JSON.parse(readFileSync(join(FIXTURES, "shd_tiny.h5.json"), "utf8")) as { labels: number[] };
    const { report, picture } = await inspectFolder(shdFolder(), { picture: "svg", sample: 2 });
    expect(report).toMatchObject({ dataset: "shd", format: expect.stringMatching(/HDF5/) });
    const train = report.splits.train as { samples: number; classCounts: Record<string, number> };
    expect(train.samples).toBe(8);
    expect(Object.keys(train.classCounts)).toHaveLength(20);
    expect(train.classCounts[["en-0", "en-1", "en-2", "en-3", "en-4", "en-5", "en-6", "en-7", "en-8", "en-9"][twin.labels[0]] ?? "de-0"]).toBeGreaterThanOrEqual(1);
    const svg = picture!.toString();
    expect(svg).toMatch(/time \(ms\)/);
    expect(svg).toMatch(/>channel</);
    expect(svg).toContain(`class ${twin.labels[2]} (${report.picture!.class})`);
    expect([...svg.matchAll(/text-anchor="middle">(\d+)<\/text>/g)].length).toBeGreaterThanOrEqual(3); // time tick labels
  });

  it("an SSC folder with one split present says which are missing", async () => {
    const root = tmp("exodus-inspect-ssc-");
    copyFileSync(join(FIXTURES, "ssc_tiny.h5"), join(root, "ssc_test.h5"));
    const { report } = await inspectFolder(root);
    expect(report.dataset).toBe("ssc");
    expect(report.splits.test).toMatchObject({ samples: 5 });
    expect(report.splits.train).toMatchObject({ missing: expect.stringMatching(/ssc_train\.h5: expected the HDF5 file of this split/) });
  });

  it("the DVS Gesture npy root and the built-in synthetic task", async () => {
    const root = tmp("exodus-inspect-dvs-");
    cpSync(join(FIXTURES, "gesture_npy"), root, { recursive: true });
    const { report, picture } = await inspectFolder(root, { picture: "png", split: "test" });
    expect(report).toMatchObject({ dataset: "dvs-gesture", splits: { train: { samples: 6 }, test: { samples: 3 } }, picture: { split: "test", class: "hand clap" } });
    expect((report.splits.train as { classCounts: Record<string, number> }).classCounts).toMatchObject({ "hand clap": 2, "other gestures": 2, "right arm counter-clockwise": 2 });
    expect(picture!.subarray(1, 4).toString()).toBe("PNG");
    const syn = await inspectFolder("synthetic");
    expect(syn.report).toMatchObject({ dataset: "synthetic", splits: { train: { samples: 1536 }, valid: { samples: 512 }, test: { samples: 512 } } });
    expect(syn.report.events).toMatchObject({ min: 200, max: 200 }); // 40 channels × 5 spikes, every sample
    expect(detectDataset(tmp())).toBeUndefined();
    await expect(inspectFolder(tmp())).rejects.toThrow(/expected a data-set folder \(shd_train\.h5/);
  });

  it("exodus data inspect <folder> prints the splits and the histogram and writes the picture", async () => {
    const out = join(tmp(), "s.png");
    const logs: string[] = [];
    vi.spyOn(console, "log").mockImplementation((s: string) => void logs.push(s));
    const program = new Command().exitOverride();
    registerInspect(program);
    await program.parseAsync(["node", "exodus", "data", "inspect", shdFolder(), "--out", out]);
    vi.restoreAllMocks();
    const text = logs.join("\n");
    expect(text).toMatch(/Spiking Heidelberg Digits \(shd\)/);
    expect(text).toMatch(/train: 8 samples \(1 without events\)/);
    expect(text).toMatch(/class histogram:\n\s+class\s+train\s+valid\s+test/);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe("PNG");
  });
});
