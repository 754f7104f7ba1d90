// A fuzz worker process: reads one mutant per message through its format's target and reports how
// the read ended. The parent enforces the timeout and the memory cap and restarts a dead worker.
import { join } from "node:path";
import { ROOT } from "./seeds.mjs";
import { TARGETS } from "./targets.mjs";

const { ExodusError } = await import(join(ROOT, "dist", "lib", "errors.js"));
let warnings = [];
const note = (...a) => warnings.push(a.map(String).join(" "));
console.warn = note;
console.error = note;
process.emitWarning = (w) => note(String(w?.message ?? w));
process.stderr.write = (s) => (note(String(s)), true);

process.on("message", async (m) => {
  warnings = [];
  let reply;
  try {
    await TARGETS[m.format](m.file, m.dir, note, m.seedDir);
    reply = { outcome: warnings.length ? "warning" : "accepted", message: warnings[0] };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = { outcome: "error", exodus: err instanceof ExodusError, name: err.name, message: err.message, stack: err.stack };
  }
  process.send({ id: m.id, ...reply });
});
process.on("disconnect", () => process.exit(0)); // the fuzzer is gone: so is its worker
process.send({ ready: true });
