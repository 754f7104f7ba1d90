// scripts/gpu-check.sh as on the GPU machine, which has no Node.js: node hidden from PATH, the
// carried .gpu/node.xz unpacked (by xz, or by python3's lzma where xz is missing too) outside
// what is packed, so the returned tarball stays small. With the emulated build (test/emu) the
// steps run for real on the emulated device: a selected step passes, a large check skipped for
// want of (stated) memory is "part", not "pass", and a compute-sanitizer that refuses the machine
// is a skip, not a failure.
import { spawnSync } from "node:child_process";
import {
  chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../lib/native.js";

const root = packageRoot();
const built = existsSync(join(root, "dist/bin/exodus.js"));
const emuAddon = process.env.EXODUS_EMU_ADDON ?? join(root, "build-emu", "Release", "exodus.node");
const emu = existsSync(emuAddon);
// Without the emulated build the script loads the ordinary one (or, failing that, would rebuild).
const loadable = emu || existsSync(join(root, "build", "Release", "exodus.node"));
const hasXz = spawnSync("xz", ["--version"]).status === 0;
const hasLzma = spawnSync("python3", ["-c", "import lzma"]).status === 0;
if (!built || !hasXz || !loadable) console.log("gpu-check carry test skipped: needs dist/ (npm run build:ts), an addon build and xz");

// A PATH of links to every program on the real PATH except node (and, when asked, xz).
function pathWithout(dir: string, hide: string[]): string {
  mkdirSync(dir);
  const seen = new Set(hide);
  for (const d of (process.env.PATH ?? "").split(delimiter)) {
    if (!d || !existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      if (seen.has(name)) continue;
      seen.add(name);
      symlinkSync(join(d, name), join(dir, name));
    }
  }
  return dir;
}

describe.skipIf(!built || !hasXz || !loadable)("gpu-check.sh without node on PATH", () => {
  const dir = mkdtempSync(join(tmpdir(), "exodus-gpu-carry-"));
  const tree = join(dir, "tree");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    // The carried tree: the script, links to what it runs, and a node.xz of this node (fast preset).
    mkdirSync(join(tree, "scripts"), { recursive: true });
    mkdirSync(join(tree, ".gpu"));
    copyFileSync(join(root, "scripts/gpu-check.sh"), join(tree, "scripts/gpu-check.sh"));
    for (const p of ["dist", "node_modules", "build", "configs", "test", "benchmarks"])
      if (existsSync(join(root, p))) symlinkSync(join(root, p), join(tree, p));
    const fd = openSync(join(tree, ".gpu/node.xz"), "w");
    const r = spawnSync("xz", ["-0", "-T2", "-c", process.execPath], { stdio: ["ignore", fd, "pipe"] });
    closeSync(fd);
    expect(r.status, String(r.stderr)).toBe(0);
  }, 300_000);

  function check(bin: string, env: Record<string, string>) {
    const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
    const r = spawnSync("bash", [join(tree, "scripts/gpu-check.sh"), out], {
      encoding: "utf8",
      timeout: 240_000,
      env: { ...process.env, PATH: bin, EXODUS_EMU_DEFERRED: "1", ...env },
    });
    const summary = readFileSync(join(out, "summary.txt"), "utf8");
    const tgz = join(out, "gpu-check.tgz");
    const files = spawnSync("tar", ["-tzf", tgz], { encoding: "utf8" }).stdout;
    return { status: r.status, summary, size: statSync(tgz).size, files, log: `${summary}\n${r.stderr}` };
  }

  it("unpacks node with xz outside the tarball, which stays under 1 MiB", () => {
    const bin = pathWithout(join(dir, "bin-no-node"), ["node", "nodejs"]);
    expect(spawnSync("bash", ["-c", "command -v node"], { env: { PATH: bin } }).status).not.toBe(0);
    // Without the emulated build: no GPU, the script stops after `info`, as on a broken GPU box.
    const env: Record<string, string> = emu
      ? { EXODUS_ADDON: emuAddon, GPU_CHECK_ONLY: "^(gradcheck-cuda|large-cuda|memcheck)$", GPU_CHECK_HOST_MEM_GB: "0.00002" }
      : { EXODUS_ADDON: "" };
    if (emu)
      // A compute-sanitizer that refuses this machine, as some GPU hosts do.
      writeFileSync(join(bin, "compute-sanitizer"),
        '#!/bin/bash\nprev=""; for a; do [ "$prev" = --log-file ] && echo "========= Error: Device not supported" > "$a"; prev=$a; done; exit 1\n');
    if (emu) chmodSync(join(bin, "compute-sanitizer"), 0o755);
    const r = check(bin, env);
    expect(r.size).toBeLessThan(1 << 20);
    expect(r.files).not.toMatch(/(^|\/)node(\.tmp)?$/m);
    expect(r.summary).not.toMatch(/^node +FAIL/m);
    expect(r.files).toMatch(/info\.json/);
    if (!emu) {
      expect(r.summary, r.log).toMatch(/NO GPU FOUND/);
      return;
    }
    expect(r.summary, r.log).toMatch(/^info +pass +EMULATED CUDA device/m);
    expect(r.summary, r.log).toMatch(/^gradcheck-cuda +pass .*PASS: largest exodus deviation/m);
    expect(r.summary, r.log).toMatch(/^large-cuda +part .*\d+ checked, [1-9]\d* SKIPPED \(.*EXODUS_HOST_MEMORY_GB/m);
    expect(r.summary, r.log).toMatch(/^memcheck +skip .*refused on this machine: =+ Error: Device not supported/m);
    expect(r.summary, r.log).toMatch(/^selftest-cuda +skip +not selected/m);
    expect(r.status, r.log).toBe(0);
  }, 300_000);

  it.skipIf(!hasLzma)("unpacks node with python3's lzma where xz is missing too", () => {
    const bin = pathWithout(join(dir, "bin-no-node-no-xz"), ["node", "nodejs", "xz", "unxz", "xzcat"]);
    const r = check(bin, { EXODUS_ADDON: emu ? emuAddon : "", GPU_CHECK_ONLY: "^nothing$" });
    expect(r.summary, r.log).not.toMatch(/^node +FAIL/m);
    expect(r.summary, r.log).toMatch(emu ? /^info +pass/m : /NO GPU FOUND/);
    expect(r.size).toBeLessThan(1 << 20);
  }, 300_000);
});
