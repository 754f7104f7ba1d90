// The gradient exchange of data-parallel training alone, without the training around it:
//   mpirun -np 2 --oversubscribe node dist/benchmarks/dist/bench.js [--out FILE.json]
// For gradients of 78k (the built-in task at hidden [256, 256]), 250k (the paper's SHD network)
// and 4M floats, the median time of mpiWeightedSum over the repetitions, ordered (gather + sum in
// rank order) and MPI_Allreduce, and the bytes a rank receives. The ranks meet in a small gather
// before every repetition, so a rank's time is the exchange, not waiting for the other's step.
import { writeFileSync } from "node:fs";
import { native } from "../../lib/native.js";
import { Tensor } from "../../lib/tensor.js";

const a = native();
const mpi = a.mpiInit({});
const out = process.argv.includes("--out") ? process.argv[process.argv.indexOf("--out") + 1] : undefined;
const rows: { floats: number; mode: string; medianMs: number; bytesReceived: number }[] = [];
for (const floats of [78_000, 250_000, 4_000_000]) {
  const x = Tensor.from(Float32Array.from({ length: floats }, (_, i) => Math.sin(i + mpi.rank)), [floats]);
  const weights = new Float64Array(mpi.size).fill(1 / mpi.size);
  for (const ordered of [true, false]) {
    const times: number[] = [];
    let bytes = 0;
    const reps = floats > 1e6 ? 10 : 40;
    for (let r = 0; r < reps + 3; r++) {
      a.mpiAllgather({ data: new Float64Array(1), timeoutS: 60 }); // line the ranks up
      const t = performance.now();
      bytes = a.mpiWeightedSum({ x, n: floats, weights, ordered, bucket: 1 << 20, timeoutS: 60 });
      if (r >= 3) times.push(performance.now() - t);
    }
    times.sort((p, q) => p - q);
    rows.push({ floats, mode: ordered ? "ordered" : "allreduce", medianMs: times[times.length >> 1], bytesReceived: bytes });
  }
  x.dispose();
}
if (mpi.rank === 0) {
  for (const r of rows) console.log(`${mpi.size} ranks, ${r.floats} floats (${(r.floats * 4 / 2 ** 20).toFixed(2)} MiB), ${r.mode}: ${r.medianMs.toFixed(2)} ms, ${(r.bytesReceived / 2 ** 20).toFixed(2)} MiB received`);
  if (out) writeFileSync(out, `${JSON.stringify({ mpi: `${mpi.implementation} ${mpi.version}`, ranks: mpi.size, rows }, null, 2)}\n`);
}
a.mpiFinalize({});
