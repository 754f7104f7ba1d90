// A rank's share of a global batch: contiguous, sizes differing by at most one (later ranks take
// the extra samples; a rank's share of a short last batch may be empty). Rank r of N gets samples [⌊r·B/N⌋, ⌊(r+1)·B/N⌋) of every batch in the
// order one process would see them, so N ranks together see exactly one process's batches.
export interface Shard {
  rank: number;
  size: number;
}

/** [start, end) of a batch of B samples that `shard` takes. */
export function shardRange(B: number, shard: Shard): [number, number] {
  return [Math.floor((shard.rank * B) / shard.size), Math.floor(((shard.rank + 1) * B) / shard.size)];
}

/** The samples of a global batch (indices in batch order) that this rank reads; all of them without a shard. */
export function shardOf(indices: Int32Array, shard: Shard | undefined): Int32Array {
  if (!shard || shard.size === 1) return indices;
  const [a, b] = shardRange(indices.length, shard);
  return indices.subarray(a, b);
}
