// Which process of a parallel job this is, from the variables its launcher sets. mpirun (Open
// MPI: OMPI_COMM_WORLD_*; MPICH/Hydra: PMI_*) and srun (SLURM_PROCID/SLURM_NTASKS/SLURM_LOCALID)
// are recognised; one process without any of them (or a job of one) trains alone, without MPI.
import { ExodusError } from "../errors.js";

export interface Launch {
  rank: number;
  size: number;
  /** The rank among those on this node: picks the GPU (cuda:localRank). */
  localRank: number;
  /** The launcher the variables came from, for messages. */
  launcher: string;
}

const SOURCES: { launcher: string; rank: string; size: string; local?: string }[] = [
  { launcher: "mpirun (Open MPI)", rank: "OMPI_COMM_WORLD_RANK", size: "OMPI_COMM_WORLD_SIZE", local: "OMPI_COMM_WORLD_LOCAL_RANK" },
  { launcher: "mpirun (MPICH/Hydra)", rank: "PMI_RANK", size: "PMI_SIZE", local: "MPI_LOCALRANKID" },
  { launcher: "srun", rank: "SLURM_PROCID", size: "SLURM_NTASKS", local: "SLURM_LOCALID" },
];

function integer(env: NodeJS.ProcessEnv, name: string, min: number): number {
  const v = env[name] ?? "";
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min) throw new ExodusError(`${name}: expected an integer >= ${min} from the launcher, received ${JSON.stringify(v)}`);
  return n;
}

/** The job this process belongs to, or undefined for a process training alone. */
export function detectLaunch(env: NodeJS.ProcessEnv = process.env): Launch | undefined {
  for (const s of SOURCES) {
    if (env[s.size] === undefined || env[s.rank] === undefined) continue;
    const size = integer(env, s.size, 1);
    if (size === 1) return undefined;
    const rank = integer(env, s.rank, 0);
    if (rank >= size) throw new ExodusError(`${s.rank}: expected a rank below ${s.size}=${size}, received ${rank}`);
    const localRank = s.local && env[s.local] !== undefined ? integer(env, s.local, 0) : 0;
    return { rank, size, localRank, launcher: s.launcher };
  }
  return undefined;
}
