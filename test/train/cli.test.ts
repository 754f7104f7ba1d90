// `exodus train` in-process, on the committed SHD-format fixture (a real HDF5 file, read through
// the data loader and its cache): --json output, metrics on disk, and Ctrl-C → checkpoint, exit
// code 130 → --resume.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterEach, describe, expect, it } from "vitest";
import { register } from "../../bin/commands/train.js";
import { runCommand } from "../cli-helpers.js";
import { FIXTURES, tinyShdRun, tmp } from "../data/helpers.js";
import { loadCheckpoint } from "../../lib/train/checkpoint.js";

function setup(): { root: string; out: string; cfg: string } {
  return tinyShdRun("exodus-train-cli-", "batchSize: 4, seed: 3");
}

const cli = (...args: string[]) => runCommand(register, "train", args);

afterEach(() => {
  process.exitCode = undefined;
});

describe("exodus train", () => {
  it("without a config trains the built-in task; the flags and --set land in config.yaml", async () => {
    const out = join(tmp("exodus-train-builtin-"), "run");
    const r = JSON.parse(await cli("--epochs", "1", "--limit-batches", "4", "--batch-size", "16", "--lr", "0.01", "--seed", "3", "--scale", "0.5", "--set", "model.hidden=[16]", "--out", out, "--json"));
    expect(r.epochs[0]).toMatchObject({ epoch: 1, step: 4, train: { samples: 64 } });
    const cfg = parse(readFileSync(join(out, "config.yaml"), "utf8"));
    expect(cfg).toMatchObject({ dataset: { name: "synthetic" }, model: { hidden: [16] }, neuron: { surrogate: { scale: 0.5 } }, train: { epochs: 1, batchSize: 16, lr: 0.01, seed: 3, limitBatches: 4 }, output: out });
    for (const f of ["metrics.csv", "report.html", "checkpoint.safetensors", "model.safetensors"]) expect(existsSync(join(out, f)), f).toBe(true);
    await expect(cli("--set", "train.batchSize=0", "--out", join(out, "x"))).rejects.toThrow(/--set train\.batchSize=0: train\.batchSize: expected an integer >= 1 and < 65536, received 0/);
    await expect(cli("--lr", "fast", "--out", join(out, "x"))).rejects.toThrow(/--lr: expected a number, received "fast"/);
  });

  it("trains from a YAML config on an SHD-format file and prints --json metrics", async () => {
    const { root, out, cfg } = setup();
    const stdout = await cli(cfg, "--epochs", "2", "--data-root", root, "--out", out, "--method", "slayer", "--json");
    const r = JSON.parse(stdout);
    expect(r.interrupted).toBe(false);
    expect(r.epochs).toHaveLength(2);
    expect(r.epochs[1]).toMatchObject({ epoch: 2, step: 4, method: "slayer", train: { samples: 7 }, eval: { samples: 7 } }); // the fixture's empty sample is skipped
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Linear", "2.Linear", "4.Linear"]);
    expect(readFileSync(join(out, "metrics.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
    expect(process.exitCode).toBeUndefined();
  });

  it("Ctrl-C saves a checkpoint and sets exit code 130; --resume continues the run", async () => {
    const { root, out, cfg } = setup();
    const metrics = join(out, "metrics.jsonl");
    const poll = setInterval(() => {
      if (existsSync(metrics) && readFileSync(metrics, "utf8").length > 0) {
        clearInterval(poll);
        process.emit("SIGINT");
      }
    }, 5);
    await cli(cfg, "--epochs", "100000", "--data-root", root, "--out", out);
    clearInterval(poll);
    expect(process.exitCode).toBe(130);
    const ck = loadCheckpoint(out).state;
    expect(ck.epoch).toBeLessThan(100000);
    const done = ck.epoch + (ck.batch > 0 || ck.phase === "eval" ? 1 : 0);
    process.exitCode = undefined;
    const r = JSON.parse(await cli(cfg, "--epochs", String(done + 1), "--data-root", root, "--out", out, "--resume", "--json"));
    expect(r.interrupted).toBe(false);
    const lines = readFileSync(metrics, "utf8").trim().split("\n").map((l) => JSON.parse(l));
    expect(lines.map((l) => l.epoch)).toEqual(Array.from({ length: done + 1 }, (_, i) => i + 1)); // 1-based, as printed;
  });

  it("--resume <run folder> without a config continues with the run's own config", async () => {
    const { root, out, cfg } = setup();
    await cli(cfg, "--epochs", "1", "--data-root", root, "--out", out);
    const r = JSON.parse(await cli("--resume", out, "--epochs", "2", "--data-root", root, "--json"));
    expect(r.output).toBe(out);
    expect(r.epochs.map((e: { epoch: number }) => e.epoch)).toEqual([2]); // the second epoch, numbered from 1 as on screen
    await expect(cli("--resume", cfg)).rejects.toThrow(/--resume: expected a checkpoint, a run folder, "last" or "best", received the config/);
  });

  it("trains the conv model on the DVS Gesture npy fixture (spikes through conv, pool, dropout)", async () => {
    const root = tmp("exodus-train-dvs-");
    cpSync(join(FIXTURES, "gesture_npy"), root, { recursive: true });
    const dir = tmp("exodus-train-cli-");
    const cfg = join(dir, "dvs.yaml");
    writeFileSync(cfg, "dataset: {name: dvs-gesture}\nmodel: {channels: [2, 4], extraConvs: 0, initScale: 4}\ntrain: {batchSize: 3, evalSplit: test}\ndevice: cpu\n");
    const r = JSON.parse(await cli(cfg, "--epochs", "1", "--limit-batches", "1", "--data-root", root, "--out", join(dir, "run"), "--json"));
    expect(r.epochs[0]).toMatchObject({ epoch: 1, step: 1, train: { samples: 3 }, eval: { samples: 3 } });
    expect(Object.keys(r.epochs[0].gradNorm)).toEqual(["0.Conv2d", "4.Conv2d", "10.Linear"]);
    expect(r.epochs[0].gradNorm["10.Linear"]).toBeGreaterThan(0);
  });

  it("rejects a bad flag by name", async () => {
    const { cfg } = setup();
    await expect(cli(cfg, "--epochs", "two")).rejects.toThrow(/--epochs: expected an integer >= 1, received "two"/);
    await expect(cli(cfg, "--method", "adjoint")).rejects.toThrow(/method: expected one of "exodus", "slayer", "bptt", received "adjoint"/);
  });
});
