// `exodus compare` in-process on the committed SHD-format fixture (a real HDF5 file through the
// data loader): the run folders, compare.html, the --json summary, and errors that name the flag.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { register } from "../../bin/commands/compare.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tmp } from "../data/helpers.js";

function setup(): { out: string; cfg: string } {
  const root = tmp("exodus-compare-data-");
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_train.h5"));
  copyFileSync(join(FIXTURES, "shd_tiny.h5"), join(root, "shd_test.h5"));
  const dir = tmp("exodus-compare-cli-");
  const cfg = join(dir, "tiny.yaml");
  writeFileSync(cfg, `dataset: {name: shd, root: ${root}}\nmodel: {hidden: [16, 16], initScale: 3}\ntrain: {batchSize: 4, evalSplit: test}\ndevice: cpu\n`);
  return { out: join(dir, "cmp"), cfg };
}

const cli = (...args: string[]) => runCommand(register, "compare", args);

afterEach(() => {
  process.exitCode = undefined;
});

describe("exodus compare (CLI)", () => {
  it("runs methods × scales × seeds on an SHD-format file and prints the --json summary", async () => {
    const { out, cfg } = setup();
    const r = JSON.parse(await cli(cfg, "--methods", "exodus,slayer", "--scales", "0.5,1", "--seeds", "3", "--epochs", "1", "--timing-repeats", "1", "--out", out, "--json"));
    expect(r.status).toEqual({ runs: 4, done: 4, interrupted: false });
    expect(r.cells.map((c: { method: string; scale: number }) => `${c.method}@${c.scale}`)).toEqual(["exodus@0.5", "slayer@0.5", "exodus@1", "slayer@1"]);
    expect(r.layers).toEqual(["0.Linear", "2.Linear", "4.Linear"]);
    expect(r.cells[0].bestAcc.n).toBe(1);
    expect(Object.keys(r.timing)).toEqual(["exodus", "slayer"]);
    for (const name of ["exodus-scale0.5-seed3", "slayer-scale1-seed3"]) {
      expect(readFileSync(join(out, name, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(1);
      expect(readFileSync(join(out, name, "config.yaml"), "utf8")).toMatch(/method: (exodus|slayer)/);
    }
    expect(existsSync(join(out, "compare.html"))).toBe(true);
    expect(process.exitCode).toBeUndefined();
  });

  it.each([
    [["--methods", "exodus,adjoint"], /--methods: expected items among exodus, slayer, bptt, received "adjoint"/],
    [["--scales", "0.1,-1"], /--scales: expected surrogate scales > 0 \(e.g. 0.01,0.1,1\), received "-1"/],
    [["--seeds", "1,1"], /--seeds: expected distinct items, received "1,1"/],
    [["--jobs", "0"], /--jobs: expected an integer >= 1, received "0"/],
  ])("rejects %j with a message naming the flag", async (flags, msg) => {
    const { out, cfg } = setup();
    await expect(cli(cfg, "--out", out, ...flags)).rejects.toThrow(msg);
  });

  it("refuses to mix a folder's runs of other settings, naming the field and the way out", async () => {
    const { out, cfg } = setup();
    await cli(cfg, "--methods", "exodus", "--scales", "1", "--seeds", "1", "--epochs", "1", "--timing-repeats", "0", "--out", out);
    writeFileSync(cfg, readFileSync(cfg, "utf8").replace("batchSize: 4", "batchSize: 2"));
    // Finished (1 epoch) or to be continued (2): either way the folder's run is not this one.
    for (const epochs of ["1", "2"])
      await expect(cli(cfg, "--methods", "exodus", "--scales", "1", "--seeds", "1", "--epochs", epochs, "--timing-repeats", "0", "--out", out)).rejects.toThrow(
        /compare: .*exodus-scale1-seed1 holds a run of other settings \(its train.batchSize differs from this compare's\); choose another --out, or remove that folder/,
      );
  });
});
