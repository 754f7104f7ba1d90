#!/usr/bin/env node
// The readers' fuzzer: mutates seed files of every format the library reads, reads each mutant in
// a worker process under a timeout and a memory cap, and classifies how the read ended:
//   clean    an ExodusError naming the file (the wanted outcome for bad input)
//   warning  read, with a warning          accepted  read without complaint
//   raw      any other exception (TypeError, RangeError, ENOENT …) or an error naming no file
//   hang     no answer within --timeout     crash     the worker died    oom  over the memory cap
//
//   node scripts/fuzz.mjs                       # 300 mutants per format, table on stdout
//   nice node scripts/fuzz.mjs --mutants 100000 --keep /tmp/fuzz-findings
//   node scripts/fuzz.mjs --formats h5,zip --seed 7 --json out.json
//   node scripts/fuzz.mjs --mutants 100000 --minutes 60        # stop taking mutants after an hour
// Needs the compiled library (npm run build:ts). Exit status 1 when any mutant hung, crashed or
// raised a raw error (OOM too); findings are saved with --keep for replay (--replay FILE --format F).
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync, existsSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { parseArgs } from "node:util";
import { mutate, MUTATORS } from "./fuzz/mutators.mjs";
import { Rng } from "./fuzz/rng.mjs";
import { ROOT, writeSeeds } from "./fuzz/seeds.mjs";
import { libSeeds } from "./fuzz/targets.mjs";

const usage = () => readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1).filter((l) => l.startsWith("//")).map((l) => l.slice(3)).join("\n");
let parsed;
try {
  parsed = parseArgs({ options: {
    help: { type: "boolean", default: false },
    mutants: { type: "string", default: "300" },
    formats: { type: "string", default: Object.keys(MUTATORS).join(",") },
    seed: { type: "string", default: "1" },
    timeout: { type: "string", default: "10000" },
    "mem-mb": { type: "string", default: "1536" },
    jobs: { type: "string", default: String(Math.max(1, Math.min(2, cpus().length))) },
    keep: { type: "string" },
    json: { type: "string" },
    quiet: { type: "boolean", default: false },
    "allow-raw": { type: "string", default: "" },
    minutes: { type: "string" },
    "keep-accepted": { type: "string", default: "0" },
  } });
} catch (e) {
  process.stderr.write(`fuzz: ${e.message}\n\n${usage()}\n`);
  process.exit(2);
}
const { values: a } = parsed;
if (a.help) {
  process.stdout.write(`${usage()}\n`);
  process.exit(0);
}
const N = Number(a.mutants);
const formats = a.formats.split(",").filter(Boolean);
for (const f of formats)
  if (!MUTATORS[f]) {
    process.stderr.write(`fuzz: --formats: expected some of ${Object.keys(MUTATORS).join(", ")}, received ${JSON.stringify(f)}\n`);
    process.exit(2);
  }
const TIMEOUT = Number(a.timeout);
const MEM = Number(a["mem-mb"]);
const allowRaw = new Set(a["allow-raw"].split(",").filter(Boolean));
if (!existsSync(join(ROOT, "dist", "lib", "index.js"))) {
  console.error("fuzz: dist/ is missing; run `npm run build:ts` first");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "exodus-fuzz-"));
const seeds = writeSeeds(join(work, "seeds"));
const lib = await libSeeds(join(work, "seeds"), seeds);
/** Per format: seed files, and the folder a target lays the mutant into (formats read as a folder). */
const plan = {
  h5: { files: seeds.h5 },
  aedat2: { files: seeds.aedat2 },
  aedat3: { files: seeds.aedat3, dir: join(work, "seeds", "DvsGesture") },
  labels: { files: seeds.labels, dir: join(work, "seeds", "DvsGesture"), target: "aedat3" },
  npy: { files: seeds.npy },
  zip: { files: seeds.zip },
  cache: lib.cache,
  checkpoint: lib.checkpoint,
  yaml: { files: seeds.yaml },
};
const seedBytes = Object.fromEntries(Object.entries(plan).map(([f, p]) => [f, p.files.map((x) => readFileSync(x))]));

const CLASSES = ["clean", "warning", "accepted", "raw", "hang", "crash", "oom"];
const table = Object.fromEntries(formats.map((f) => [f, Object.fromEntries(CLASSES.map((c) => [c, 0]))]));
const findings = [];

class Worker {
  constructor() {
    this.spawn();
  }
  spawn() {
    this.stderr = "";
    this.killedForMemory = false;
    this.child = fork(join(ROOT, "scripts", "fuzz", "child.mjs"), [], {
      execArgv: [`--max-old-space-size=${Math.floor(MEM / 2)}`],
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.child.stderr.on("data", (d) => (this.stderr = (this.stderr + d).slice(-4000)));
    this.ready = new Promise((res) => this.child.once("message", res));
    this.exited = new Promise((res) => this.child.once("exit", (code, signal) => res({ code, signal })));
  }
  rss() {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${this.child.pid}/status`, "utf8"));
      return m ? Number(m[1]) / 1024 : 0;
    } catch {
      return 0;
    }
  }
  async run(msg) {
    await this.ready;
    const reply = new Promise((res) => {
      const on = (m) => m.id === msg.id && (this.child.off("message", on), res(m));
      this.child.on("message", on);
    });
    this.child.send(msg);
    let timer;
    let poll;
    const timeout = new Promise((res) => (timer = setTimeout(() => res({ outcome: "hang" }), TIMEOUT)));
    const memory = new Promise((res) => {
      poll = setInterval(() => {
        if (this.rss() > MEM) {
          this.killedForMemory = true;
          res({ outcome: "oom", message: `resident memory above ${MEM} MB` });
        }
      }, 50);
    });
    const died = this.exited.then(({ code, signal }) => {
      const oom = this.killedForMemory || /heap out of memory|Allocation failed|Cannot allocate/i.test(this.stderr);
      return { outcome: oom ? "oom" : "crash", message: `worker exited (code ${code}, signal ${signal}): ${this.stderr.trim().split("\n").slice(-3).join(" | ")}` };
    });
    const r = await Promise.race([reply, timeout, memory, died]);
    clearTimeout(timer);
    clearInterval(poll);
    if (r.outcome === "hang" || r.outcome === "oom" || r.outcome === "crash") {
      this.child.kill("SIGKILL");
      await this.exited;
      this.spawn();
    }
    return r;
  }
  close() {
    this.child.kill("SIGKILL");
  }
}

function classify(r, dir) {
  if (r.outcome !== "error") return r.outcome;
  // A clean error is the library's own, and says which file (everything the mutant touches is in dir).
  return r.exodus && r.message.includes(dir) && !/\n\s+at /.test(r.message) ? "clean" : "raw";
}

const started = Date.now();
const jobs = [];
for (const [fi, format] of formats.entries()) for (let k = 0; k < N; k++) jobs.push({ format, k, fi });
// Interleave formats, so a time-limited run still covers all of them.
jobs.sort((x, y) => x.k - y.k || x.fi - y.fi);
let next = 0;
let done = 0;
const deadline = a.minutes ? started + Number(a.minutes) * 60e3 : Infinity;
const acceptedKept = {};
const seed = Number(a.seed);

async function loop(w, slot) {
  while (next < jobs.length && Date.now() < deadline) {
    const { format, k, fi } = jobs[next++];
    const r = new Rng(seed * 1000003 + k * 131 + fi * 7919 + 1);
    const p = plan[format];
    const si = r.int(p.files.length);
    const others = Object.entries(seedBytes).filter(([f]) => f !== format).flatMap(([, b]) => b);
    const bytes = mutate(format, r, seedBytes[format][si], { otherSeeds: others });
    const dir = join(work, `m${slot}-${done}`);
    mkdirSync(dir);
    const file = join(dir, `m-${basename(p.files[si])}`);
    writeFileSync(file, bytes);
    const res = await w.run({ id: `${format}/${k}`, format: p.target ?? format, file, dir, seedDir: p.dir });
    const cls = classify(res, dir);
    table[format][cls]++;
    if (["raw", "hang", "crash", "oom"].includes(cls)) {
      const f = { format, mutant: k, class: cls, seedFile: basename(p.files[si]), name: res.name, message: String(res.message ?? "").replaceAll(dir, "<dir>").slice(0, 300) };
      if (a.keep) {
        mkdirSync(a.keep, { recursive: true });
        f.saved = join(a.keep, `${format}-${seed}-${k}-${basename(file)}`);
        copyFileSync(file, f.saved);
      }
      findings.push(f);
      if (!a.quiet) console.error(`fuzz: ${cls} ${format} #${k}: ${f.name ?? ""} ${f.message}`);
    }
    // --keep-accepted N: the first N accepted mutants per format, to look for silently wrong reads.
    if (cls === "accepted" && a.keep && (acceptedKept[format] = (acceptedKept[format] ?? 0) + 1) <= Number(a["keep-accepted"])) {
      mkdirSync(join(a.keep, "accepted"), { recursive: true });
      copyFileSync(file, join(a.keep, "accepted", `${format}-${seed}-${k}-${basename(file)}`));
    }
    rmSync(dir, { recursive: true, force: true });
    done++;
    if (!a.quiet && done % 1000 === 0) console.error(`fuzz: ${done}/${jobs.length} mutants, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
}

const workers = Array.from({ length: Number(a.jobs) }, () => new Worker());
await Promise.all(workers.map((w, i) => loop(w, i)));
workers.forEach((w) => w.close());
rmSync(work, { recursive: true, force: true });

const seconds = (Date.now() - started) / 1000;
const pad = (s, n) => String(s).padStart(n);
console.log(`fuzz: ${done} mutants (${done < jobs.length ? `stopped after --minutes ${a.minutes}, ` : ""}${N} per format, seed ${seed}) in ${seconds.toFixed(0)} s, timeout ${TIMEOUT} ms, memory cap ${MEM} MB`);
console.log(`${"format".padEnd(11)}${CLASSES.map((c) => pad(c, 9)).join("")}`);
for (const f of formats) console.log(`${f.padEnd(11)}${CLASSES.map((c) => pad(table[f][c], 9)).join("")}`);
const bad = findings.filter((f) => !(f.class === "raw" && allowRaw.has(f.format)));
if (a.json) writeFileSync(a.json, JSON.stringify({ mutants: done, perFormat: N, seed, seconds, table, findings }, null, 1));
const unique = new Map();
for (const f of findings) {
  const key = `${f.format} ${f.class} ${f.name ?? ""} ${f.message.replace(/\d+/g, "N").slice(0, 80)}`;
  if (!unique.has(key)) unique.set(key, { ...f, count: 0 });
  unique.get(key).count++;
}
for (const [, f] of unique) console.log(`  ${f.class} ×${f.count} ${f.format} (#${f.mutant} of ${f.seedFile}): ${f.name ?? ""} ${f.message.slice(0, 200)}${f.saved ? ` [${f.saved}]` : ""}`);
process.exit(bad.length ? 1 : 0);
