// Validation splits held out of an official training set, for the data sets that publish none
// (SSC publishes one and uses it). Model selection on the test split inflates published numbers by
// a point or two (the clean protocol at the SHD frontier selects on a validation split held out of
// train and reports test once), so every data set gets a "valid" split, and "train" is the rest:
//   SHD          10 % of the training samples of each class, seeded (samples, not speakers: the
//                test split is where unseen speakers are measured; holding out whole speakers of
//                the ten in train would take a tenth of the voices the model learns from)
//   DVS Gesture  the recordings of training users 21, 22 and 23 (held-out users, as its test split
//                holds users 24–29)
//   CIFAR10-DVS  10 % of the training recordings of each class, seeded
//   N-MNIST      10 % of the training recordings of each digit, seeded
// "trainval" is the whole official training set (train + valid): what the paper's protocol trains
// on when it selects on test.
import { Rng } from "../random.js";

export const HOLDOUT_FRACTION = 0.1;
export const HOLDOUT_SEED = 20231;
/** DVS Gesture users (1–23 train, 24–29 test) held out for validation. */
export const GESTURE_VALID_USERS = [21, 22, 23];

export type TrainPart = "train" | "valid" | "trainval";

/** The rule of stratifiedHoldout's defaults, as recorded in cache keys. */
export const FRACTION_RULE = `${HOLDOUT_FRACTION} of each class, seed ${HOLDOUT_SEED}`;

/**
 * Which samples are validation: per class, round(fraction × count) of its samples, chosen by a
 * seeded shuffle of that class's indices. Exact per-class counts (the split is stratified) and
 * independent of the order of classes.
 */
export function stratifiedHoldout(labels: ArrayLike<number>, fraction = HOLDOUT_FRACTION, seed = HOLDOUT_SEED): Uint8Array {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i];
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  }
  const valid = new Uint8Array(labels.length);
  for (const [c, idx] of byClass) {
    const order = Int32Array.from(idx);
    new Rng(seed + 7919 * (c + 1)).shuffle(order);
    const n = Math.round(fraction * idx.length);
    for (let k = 0; k < n; k++) valid[order[k]] = 1;
  }
  return valid;
}

/** Keep sample i of an official training set in this part? */
export function inPart(part: TrainPart, isValid: boolean): boolean {
  return part === "trainval" || (part === "valid") === isValid;
}

/** The user number of a DVS Gesture recording path (user07_fluorescent.aedat, tonic's user07_fluorescent/). */
export function gestureUser(path: string): number | undefined {
  const m = /user(\d+)_/.exec(path);
  return m ? Number(m[1]) : undefined;
}

/** What the cache key records about a part, so a "train" cache never serves the whole set. */
export function partKey(part: TrainPart, rule: string): string {
  return `${part} (${rule})`;
}
