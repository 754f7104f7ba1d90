// The neuron models, one entry each: the name a config and the CLI use, the config fields it reads
// (validated here, with its defaults), its learnable parameters, the layer built from a config and
// the layer `exodus gradcheck` builds. Config validation, layer lists, the model builder, gradcheck
// and compare read this table; adding a model adds an entry, not a case in each of them. What a
// layer is in NIR, its summary line and whether it spikes the layer itself says (Module.toNir,
// describe, spiking), so the exporter and the diagnostics need no entry.
import type { DeviceLike } from "../device.js";
import { type Obj, bounded, fail } from "../validate.js";
import { ALIF, ALIF_PARAMS, type AlifParam } from "./alif.js";
import { CUBA_PARAMS, CubaLIF, type CubaParam } from "./cuba.js";
import { ADLIF_PARAMS, AdLIF, type AdlifParam } from "./adlif.js";
import { IAF, LIF } from "./lif.js";
import type { NeuronLayer } from "./neuron.js";
import type { BackwardMethod, SurrogateName } from "./options.js";
import { SRM } from "./srm.js";
import { RLIF } from "./rlif.js";
import { RCubaLIF } from "./rcuba.js";
import { RALIF } from "./ralif.js";
import { RAdLIF } from "./radlif.js";
import type { Rng } from "../random.js";

/** A validated `neuron` config section (lib/train/config.ts's NeuronConfig). */
export interface NeuronSettings {
  type: NeuronType;
  /** Membrane time constant in steps (LIF, ALIF). */
  tauMem: number;
  /** Threshold (θ0 of ALIF). */
  threshold: number;
  /** After a spike: subtract the threshold (default) or reset to 0 (exactly expressible in NIR). */
  reset: "subtract" | "zero";
  surrogate: { name: SurrogateName; scale: number; width: number };
  /** ALIF: adaptation time constant (steps) and strength. */
  tauAdapt?: number;
  beta?: number;
  /** CubaLIF: synaptic time constant (steps). */
  tauSyn?: number;
  /** adLIF: subthreshold coupling a and spike-triggered adaptation b (tauAdapt: its w's time constant). */
  a?: number;
  b?: number;
  /** SRM: SLAYER's kernels from time constants (tauSr, tauRef, scaleRef), or explicit kernels. */
  tauSr?: number;
  tauRef?: number;
  scaleRef?: number;
  epsilon?: number[];
  nu?: number[];
  /** A synaptic filter (ExpLeak) before each neuron; learn: its decay is a parameter. */
  synapse?: { tauSyn: number; learn: boolean };
  /** Parameters with a gradient (per type: NeuronModel.learnable). */
  learn?: string[];
}

/** What every model's layer takes besides its own fields. */
export interface NeuronCommon {
  threshold: number;
  surrogate: NeuronSettings["surrogate"] | { name: "exponential"; scale: number; width: number };
  backward: BackwardMethod;
  device: DeviceLike;
}

export interface NeuronModel {
  /** The layer's class name, as firing rates and the summary show it. */
  readonly layer: string;
  /** The config fields only some models read that this one does (others are rejected by name). */
  readonly fields: readonly string[];
  /** Why a field of another model is refused, where more than "no value for type …" helps. */
  readonly refuse?: Readonly<Record<string, string>>;
  /** Parameters `neuron.learn` may name. */
  readonly learnable: readonly string[];
  /** Whether reset "zero" exists for it (else only "subtract"). */
  readonly zeroReset: boolean;
  /** Its own config fields (beyond tauMem), validated, with defaults. */
  readConfig(n: Obj): Partial<NeuronSettings>;
  /** The layer of a validated config section. */
  fromConfig(n: NeuronSettings, common: NeuronCommon): NeuronLayer;
  /**
   * Its recurrent form (model.recurrent): `size` neurons whose spikes feed back through a
   * learnable size×size matrix drawn from rng with bound initScale/√size. Absent: no recurrent form.
   */
  recurrent?(n: NeuronSettings, common: NeuronCommon, o: { size: number; rng: Rng; initScale: number }): NeuronLayer;
  /** The layer `exodus gradcheck` compares (its fixed time constants are the check's defaults). */
  gradcheck(o: NeuronCommon & { tauMem: number }): NeuronLayer;
}

const pos = { min: 0, exclusiveMin: true };

export const NEURON_MODELS = {
  lif: {
    layer: "LIF", fields: ["tauMem"], learnable: ["alpha"], zeroReset: true,
    readConfig: () => ({}),
    fromConfig: (n, c) => new LIF({ ...c, reset: n.reset, tauMem: n.tauMem, learnAlpha: (n.learn ?? []).includes("alpha") }),
    recurrent: (n, c, o) => new RLIF({ ...c, ...o, reset: n.reset, tauMem: n.tauMem, learnAlpha: (n.learn ?? []).includes("alpha") }),
    gradcheck: ({ tauMem, surrogate, backward, device }) => new LIF({ tauMem, surrogate, backward, device }),
  },
  iaf: {
    layer: "IAF", fields: [], refuse: { tauMem: "no leak" }, learnable: [], zeroReset: true,
    readConfig: () => ({}),
    fromConfig: (n, c) => new IAF({ ...c, reset: n.reset }),
    gradcheck: ({ surrogate, backward, device }) => new IAF({ surrogate, backward, device }),
  },
  alif: {
    layer: "ALIF", fields: ["tauMem", "tauAdapt", "beta"], learnable: ALIF_PARAMS, zeroReset: false,
    readConfig: (n) => ({ tauAdapt: bounded("neuron.tauAdapt", n.tauAdapt, 200, pos), beta: bounded("neuron.beta", n.beta, 1, { min: 0 }) }),
    fromConfig: (n, c) => new ALIF({ ...c, tauMem: n.tauMem, tauAdapt: n.tauAdapt, beta: n.beta, learn: (n.learn ?? []) as AlifParam[] }),
    recurrent: (n, c, o) => new RALIF({ ...c, ...o, tauMem: n.tauMem, tauAdapt: n.tauAdapt, beta: n.beta, learn: (n.learn ?? []) as AlifParam[] }),
    gradcheck: ({ tauMem, surrogate, backward, device }) => new ALIF({ tauMem, tauAdapt: 100, beta: 0.5, surrogate, backward, device }),
  },
  srm: {
    layer: "SRM", fields: ["tauSr", "tauRef", "scaleRef", "epsilon", "nu"], learnable: [], zeroReset: false,
    readConfig: srmConfig,
    fromConfig: (n, c) => new SRM({ ...c, ...(n.epsilon ? { epsilon: n.epsilon, nu: n.nu } : { tauSr: n.tauSr, tauRef: n.tauRef, scaleRef: n.scaleRef }) }),
    gradcheck: ({ surrogate, backward, device }) => new SRM({ tauSr: 4, tauRef: 2, surrogate, backward, device }),
  },
  cubalif: {
    layer: "CubaLIF", fields: ["tauMem", "tauSyn"], learnable: CUBA_PARAMS, zeroReset: true,
    readConfig: (n) => ({ tauSyn: bounded("neuron.tauSyn", n.tauSyn, 5, pos) }),
    fromConfig: (n, c) => new CubaLIF({ ...c, reset: n.reset, tauMem: n.tauMem, tauSyn: n.tauSyn, learn: (n.learn ?? []) as CubaParam[] }),
    recurrent: (n, c, o) => new RCubaLIF({ ...c, ...o, reset: n.reset, tauMem: n.tauMem, tauSyn: n.tauSyn, learn: (n.learn ?? []) as CubaParam[] }),
    gradcheck: ({ tauMem, surrogate, backward, device }) => new CubaLIF({ tauMem, tauSyn: 5, surrogate, backward, device }),
  },
  adlif: {
    layer: "AdLIF", fields: ["tauMem", "tauAdapt", "a", "b"], learnable: ADLIF_PARAMS, zeroReset: true,
    readConfig: (n) => ({ tauAdapt: bounded("neuron.tauAdapt", n.tauAdapt, 150, pos), a: bounded("neuron.a", n.a, 0.5, {}), b: bounded("neuron.b", n.b, 1, {}) }),
    fromConfig: (n, c) => new AdLIF({ ...c, reset: n.reset, tauMem: n.tauMem, tauAdapt: n.tauAdapt, a: n.a, b: n.b, learn: (n.learn ?? []) as AdlifParam[] }),
    recurrent: (n, c, o) => new RAdLIF({ ...c, ...o, reset: n.reset, tauMem: n.tauMem, tauAdapt: n.tauAdapt, a: n.a, b: n.b, learn: (n.learn ?? []) as AdlifParam[] }),
    gradcheck: ({ tauMem, surrogate, backward, device }) => new AdLIF({ tauMem, tauAdapt: 100, a: 0.2, b: 0.3, surrogate, backward, device }),
  },
} as const satisfies Record<string, NeuronModel>;

export type NeuronType = keyof typeof NEURON_MODELS;
/** The models' names, in the table's order. */
export const NEURON_TYPES = Object.keys(NEURON_MODELS) as NeuronType[];

/** The entry of a model by name, or an error listing the names. */
export function neuronModel(type: string, field = "neuron.type"): NeuronModel {
  if (!Object.hasOwn(NEURON_MODELS, type)) fail(field, `one of ${NEURON_TYPES.map((t) => JSON.stringify(t)).join(", ")}`, type);
  return NEURON_MODELS[type as NeuronType];
}

/** The models that have a recurrent form (model.recurrent). */
export const RECURRENT_TYPES = NEURON_TYPES.filter((t) => (NEURON_MODELS[t] as NeuronModel).recurrent !== undefined);

/** The config fields some model reads, each refused for the models that do not. */
export const MODEL_FIELDS = [...new Set(Object.values(NEURON_MODELS).flatMap((m) => m.fields))];

/** SRM's kernels: explicit (epsilon, nu) or SLAYER's from time constants (tauSr, tauRef, scaleRef). */
function srmConfig(n: Obj): Partial<NeuronSettings> {
  if (n.epsilon !== undefined) {
    for (const k of ["tauSr", "tauRef", "scaleRef"]) if (n[k] !== undefined) fail(`neuron.${k}`, "no value with explicit kernels (epsilon, nu)", n[k]);
    const list = (f: string, v: unknown, min: number) => {
      if (!Array.isArray(v) || v.length < min) fail(f, `a list of at least ${min} numbers`, v);
      return v.map((x, i) => bounded(`${f}[${i}]`, x, 0));
    };
    return { epsilon: list("neuron.epsilon", n.epsilon, 1), nu: n.nu === undefined ? [] : list("neuron.nu", n.nu, 0) };
  }
  if (n.nu !== undefined) fail("neuron.nu", "no value without epsilon (give both kernels, or tauSr/tauRef)", n.nu);
  return { tauSr: bounded("neuron.tauSr", n.tauSr, 10, pos), tauRef: bounded("neuron.tauRef", n.tauRef, 1, pos), scaleRef: bounded("neuron.scaleRef", n.scaleRef, 2, {}) };
}
