// The four data sets: files, download URLs and MD5s (docs/data.md), classes, splits and
// the default transforms of the paper's pipelines (docs/data.md).
import { join } from "node:path";
import { ExodusError, MissingDataError, describe } from "../errors.js";
import { CIFAR10_CLASSES } from "./aedat2.js";
import {
  type SampleSource,
  audioSource,
  cifarSource,
  gestureAedatSource,
  gestureNpyDir,
  gestureNpySource,
  gestureOriginalDir,
} from "./sources.js";
import { SYNTHETIC_DEFAULTS, SYNTHETIC_SPLITS, SYNTHETIC_STEP_US, openSynthetic, syntheticClasses, syntheticEvents, syntheticSample } from "./synthetic.js";
import type { Dataset, OpenDatasetOptions } from "./types.js";
import type { TransformSpec } from "./transforms.js";

export type DatasetName = "shd" | "ssc" | "dvs-gesture" | "cifar10-dvs" | "synthetic";

export interface RemoteFile {
  name: string;
  url: string;
  /** MD5 published for the file; undefined where none is published (then only the size is checked). */
  md5?: string;
  /** What to extract after the download. */
  extract?: "zip" | "tar.gz" | "gz";
}

export interface DatasetInfo {
  name: DatasetName;
  title: string;
  splits: string[];
  classes: string[];
  /** "audio": samples are [T, channels]; "dvs": [T, polarities, height, width]. */
  layout: "audio" | "dvs";
  /** The paper's pipeline. */
  defaultTransform: TransformSpec;
  files: RemoteFile[];
  /** Files that need a browser: where to get them (the download command explains and verifies). */
  manual?: { file: RemoteFile; page: string; note: string };
  source(root: string, split: string): Promise<SampleSource>;
  /** Generated in-process (nothing to download, no files, no cache): opens the data set directly. */
  open?(opts: OpenDatasetOptions): Dataset;
}

const ZENKE = "https://zenkelab.org/datasets";
const FIGSHARE = "https://figshare.com/ndownloader/files";

const digits = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
const SHD_CLASSES = [...digits.map((d) => `en-${d}`), ...digits.map((d) => `de-${d}`)];
const SSC_CLASSES = [
  "backward", "bed", "bird", "cat", "dog", "down", "eight", "five", "follow", "forward", "four", "go", "happy", "house",
  "learn", "left", "marvin", "nine", "no", "off", "on", "one", "right", "seven", "sheila", "six", "stop", "three",
  "tree", "two", "up", "visual", "wow", "yes", "zero",
];
const GESTURE_CLASSES = [
  "hand clap", "right hand wave", "left hand wave", "right arm clockwise", "right arm counter-clockwise",
  "left arm clockwise", "left arm counter-clockwise", "arm roll", "air drums", "air guitar", "other gestures",
];

// SHD/SSC: 700 channels → 100 (factor 1/7: trunc(699/7) + 1 = 100), 4 ms bins from t = 0, 250 steps.
const AUDIO_TRANSFORM: TransformSpec = { downsample: { spatial: 1 / 7 }, frame: { mode: "fixed", binUs: 4000, steps: 250 } };

function checkSplit(info: { name: string; splits: string[] }, split: string): void {
  if (!info.splits.includes(split))
    throw new ExodusError(`${info.name}: expected split ${info.splits.map((s) => JSON.stringify(s)).join(" or ")}, received ${describe(split)}`);
}

export const DATASETS: Record<DatasetName, DatasetInfo> = {
  shd: {
    name: "shd",
    title: "Spiking Heidelberg Digits",
    splits: ["train", "test"],
    classes: SHD_CLASSES,
    layout: "audio",
    defaultTransform: AUDIO_TRANSFORM,
    files: [
      { name: "shd_train.h5.zip", url: `${ZENKE}/shd_train.h5.zip`, md5: "f3252aeb598ac776c1b526422d90eecb", extract: "zip" },
      { name: "shd_test.h5.zip", url: `${ZENKE}/shd_test.h5.zip`, md5: "1503a5064faa34311c398fb0a1ed0a6f", extract: "zip" },
    ],
    async source(root, split) {
      checkSplit(this, split);
      return audioSource(join(root, `shd_${split}.h5`));
    },
  },
  ssc: {
    name: "ssc",
    title: "Spiking Speech Commands",
    splits: ["train", "valid", "test"],
    classes: SSC_CLASSES,
    layout: "audio",
    defaultTransform: AUDIO_TRANSFORM,
    files: [
      { name: "ssc_train.h5.zip", url: `${ZENKE}/ssc_train.h5.zip`, md5: "d102be95e7144fcc0553d1f45ba94170", extract: "zip" },
      { name: "ssc_valid.h5.zip", url: `${ZENKE}/ssc_valid.h5.zip`, md5: "b4eee3516a4a90dd0c71a6ac23a8ae43", extract: "zip" },
      { name: "ssc_test.h5.zip", url: `${ZENKE}/ssc_test.h5.zip`, md5: "a35ff1e9cffdd02a20eb850c17c37748", extract: "zip" },
    ],
    async source(root, split) {
      checkSplit(this, split);
      return audioSource(join(root, `ssc_${split}.h5`));
    },
  },
  "dvs-gesture": {
    name: "dvs-gesture",
    title: "IBM DVS Gesture",
    splits: ["train", "test"],
    classes: GESTURE_CLASSES,
    layout: "dvs",
    // First 1.5 s, 128×128 → 64×64, 5 ms bins from t = 0, 300 steps, both polarities.
    defaultTransform: { cropTime: { start: 0, end: 1_500_000 }, downsample: { spatial: 0.5 }, frame: { mode: "fixed", binUs: 5000, steps: 300 } },
    // tonic's preprocessed npy variant is downloadable without a browser.
    files: [
      { name: "ibmGestureTrain.tar.gz", url: `${FIGSHARE}/38022171`, md5: "3a8f0d4120a166bac7591f77409cb105", extract: "tar.gz" },
      { name: "ibmGestureTest.tar.gz", url: `${FIGSHARE}/38020584`, md5: "56070e45dadaa85fff82e0fbfbc06de5", extract: "tar.gz" },
    ],
    manual: {
      file: { name: "DvsGesture.tar.gz", url: "", md5: "8a5c71fb11e24e5ca5b11866ca6c00a1", extract: "tar.gz" },
      page: "https://research.ibm.com/interactive/dvsgesture/",
      note: "IBM's original AEDAT 3.1 release needs a browser: download DvsGesture.tar.gz from the page, put it in the data directory and run the command again to verify and extract it.",
    },
    async source(root, split) {
      checkSplit(this, split);
      // The original recordings win when both variants are present: they are the reference.
      const orig = gestureOriginalDir(root);
      if (orig) return gestureAedatSource(orig, split as "train" | "test");
      const npy = gestureNpyDir(root, split as "train" | "test");
      if (npy) return gestureNpySource(npy);
      throw new MissingDataError(
        `${root}: expected DVS Gesture (DvsGesture/trials_to_${split}.txt, or tonic's ${split === "train" ? "ibmGestureTrain" : "ibmGestureTest"}/), received neither`,
      );
    },
  },
  "cifar10-dvs": {
    name: "cifar10-dvs",
    title: "CIFAR10-DVS",
    splits: ["train", "test"],
    classes: [...CIFAR10_CLASSES],
    layout: "dvs",
    defaultTransform: { frame: { mode: "timeBins", nTimeBins: 8 } },
    files: (
      [
        ["airplane", 7712788], ["automobile", 7712791], ["bird", 7712794], ["cat", 7712812], ["deer", 7712815],
        ["dog", 7712818], ["frog", 7712842], ["horse", 7712851], ["ship", 7712836], ["truck", 7712839],
      ] as const
    ).map(([c, id]) => ({ name: `${c}.zip`, url: `${FIGSHARE}/${id}`, extract: "zip" as const })),
    async source(root, split) {
      checkSplit(this, split);
      return cifarSource(root, split as "train" | "test");
    },
  },
  // Built in: generated from a seed in-process (lib/data/synthetic.ts); `root` is not used.
  synthetic: {
    name: "synthetic",
    title: "built-in synthetic spike-timing task (no download)",
    splits: [...SYNTHETIC_SPLITS],
    classes: syntheticClasses(),
    layout: "audio",
    defaultTransform: { frame: { mode: "fixed", binUs: SYNTHETIC_STEP_US, steps: SYNTHETIC_DEFAULTS.steps } },
    files: [],
    async source(_root, split) {
      checkSplit(this, split);
      const spec = SYNTHETIC_DEFAULTS;
      const count = spec.sizes[split as keyof typeof spec.sizes];
      return {
        sensor: { width: spec.groups * spec.channelsPerGroup, height: 1, polarities: 1 },
        count,
        files: [],
        async *samples() {
          for (let i = 0; i < count; i++) {
            const s = syntheticSample(spec, split, i);
            yield { label: s.label, events: syntheticEvents(s), id: `synthetic ${split} sample ${i}` };
          }
        },
      };
    },
    open(opts) {
      checkSplit(this, opts.split);
      if (opts.transform !== undefined)
        throw new ExodusError(`synthetic: expected no transform (the task is generated as ${SYNTHETIC_DEFAULTS.steps} steps of 1 ms), received ${describe(opts.transform)}`);
      return openSynthetic({ split: opts.split });
    },
  },
};

export function datasetInfo(name: string): DatasetInfo {
  const info = DATASETS[name as DatasetName];
  if (!info) throw new ExodusError(`data set: expected one of ${Object.keys(DATASETS).join(", ")}, received ${describe(name)}`);
  return info;
}
