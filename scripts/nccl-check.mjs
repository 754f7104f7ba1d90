// The NCCL path of data-parallel training on one GPU and one rank (scripts/gpu-check.sh runs it
// under `mpirun -np 1`): MPI and libnccl.so.2 dlopen'ed, the unique id broadcast over MPI,
// ncclAllReduce on device memory; and the MPI path for a CUDA tensor (through host memory).
// With one rank a sum is the identity and the weighted sum a scaling, so the expected values are
// exact. Prints one line; exit 0 when both match.
import { native } from "../dist/lib/native.js";
import { Tensor } from "../dist/lib/tensor.js";

const n = 1000003; // not a multiple of any bucket or warp size
const x = new Float32Array(n);
let s = 12345;
for (let i = 0; i < n; i++) x[i] = ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1;
const a = native();
const mpi = a.mpiInit({});
const nccl = a.ncclInit({ index: 0, timeoutS: 60 });
const t = Tensor.from(x, [n], "cuda:0");
a.ncclAllreduce({ x: t, n, timeoutS: 60 });
const y = t.toArray();
const viaMpi = Tensor.from(x, [n], "cuda:0");
a.mpiWeightedSum({ x: viaMpi, n, weights: new Float64Array([0.5]), ordered: true, bucket: 65536, timeoutS: 60 });
const z = viaMpi.toArray();
let bad = 0;
for (let i = 0; i < n; i++) if (y[i] !== x[i] || z[i] !== Math.fround(0.5 * x[i])) bad++;
a.mpiFinalize({});
console.log(`${mpi.implementation} ${mpi.version.slice(0, 40)}; NCCL ${nccl.version}: ${bad === 0 ? "all-reduce and MPI weighted sum exact" : `${bad} of ${n} values wrong`}`);
process.exit(bad === 0 ? 0 : 1);
