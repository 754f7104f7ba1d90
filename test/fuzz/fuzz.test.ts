// The bounded fuzz run of `npm test`: 200 mutants per format through scripts/fuzz.mjs (worker
// processes, timeout, memory cap). Any hang, crash, out-of-memory or raw error fails the test with
// the findings listed. The long mode is `nice node scripts/fuzz.mjs --mutants 100000`.
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDist } from "../dist.js";
import { describe, expect, it } from "vitest";
import { tmp } from "../data/helpers.js";

const ROOT = join(import.meta.dirname, "..", "..");

// The fuzzer reads the compiled library: ensureDist rebuilds dist/ when a source file is newer.

describe("fuzzer (bounded run)", () => {
  it("200 mutants per format: no hang, crash, OOM or raw error", () => {
    ensureDist();
    const out = join(tmp("exodus-fuzz-test-"), "fuzz.json");
    const keep = join(tmp("exodus-fuzz-findings-"));
    const r = spawnSync(process.execPath, [join(ROOT, "scripts", "fuzz.mjs"), "--mutants", "200", "--seed", "12", "--timeout", "20000", "--json", out, "--keep", keep, "--quiet"], {
      encoding: "utf8",
      timeout: 400_000,
    });
    expect(r.signal, `the fuzz run itself was killed:\n${r.stdout}${r.stderr}`).toBeNull();
    const report = JSON.parse(readFileSync(out, "utf8")) as { mutants: number; table: Record<string, Record<string, number>>; findings: { format: string; class: string; message: string; saved?: string }[] };
    expect(report.mutants).toBe(200 * Object.keys(report.table).length);
    expect(Object.keys(report.table)).toEqual(["h5", "aedat2", "aedat3", "labels", "npy", "zip", "cache", "checkpoint", "yaml"]);
    // Checkpoint loading is being replaced (safetensors, validated on load: issue #9). Until that
    // loader (it exports hasCheckpoint) is in, the old one's raw errors are known and only listed.
    const ck = readFileSync(join(ROOT, "dist", "lib", "train", "checkpoint.js"), "utf8");
    const oldLoader = !/export function hasCheckpoint/.test(ck);
    const known = report.findings.filter((f) => oldLoader && f.format === "checkpoint" && f.class === "raw");
    if (known.length) console.warn(`fuzz: ${known.length} raw errors of the old checkpoint loader (issue #9 replaces it), e.g. ${known[0].message}`);
    const bad = report.findings.filter((f) => !known.includes(f)).map((f) => `${f.class} ${f.format}: ${f.message} (${f.saved})`);
    expect(bad, r.stdout).toEqual([]);
    if (!known.length) expect(r.status).toBe(0);
    // Every format's mutants mostly end in a clean error or a warning: the mutators reach the checks.
    for (const [format, t] of Object.entries(report.table)) expect(t.clean + t.warning, format).toBeGreaterThan(50);
  }, 420_000);
});
