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
import type { TrainPart } from "./holdout.js";
import type { SensorSize } from "./events.js";
import { NMNIST_SENSOR, nmnistSource } from "./nmnist.js";
import { eventFolderSource, readEventFolder } from "./event-folder.js";

export type DatasetName = "shd" | "ssc" | "dvs-gesture" | "cifar10-dvs" | "nmnist" | "events" | "synthetic";

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
  /** The sensor, where not the layout's usual one (700 channels for audio, DVS128 for dvs). */
  sensor?: SensorSize;
  files: RemoteFile[];
  /** Files that need a browser: where to get them (the download command explains and verifies). */
  manual?: { file: RemoteFile; page: string; note: string };
  source(root: string, split: string): Promise<SampleSource>;
  /** A data set described by its folder (classes, sensor): read from root. */
  folder?(root: string): { title: string; classes: string[]; sensor: SensorSize };
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

/** Splits of a data set whose validation split is held out of its training set (holdout.ts). */
const HELD_OUT_SPLITS = ["train", "valid", "test", "trainval"];

/** The official file set ("train" or "test") a split reads, and which part of it. */
function heldOut(split: string): { files: "train" | "test"; part?: TrainPart } {
  return split === "test" ? { files: "test" } : { files: "train", part: split as TrainPart };
}

function checkSplit(info: { name: string; splits: string[] }, split: string): void {
  if (!info.splits.includes(split))
    throw new ExodusError(`${info.name}: expected split ${info.splits.map((s) => JSON.stringify(s)).join(" or ")}, received ${describe(split)}`);
}

export const DATASETS: Record<DatasetName, DatasetInfo> = {
  shd: {
    name: "shd",
    title: "Spiking Heidelberg Digits",
    splits: HELD_OUT_SPLITS,
    classes: SHD_CLASSES,
    layout: "audio",
    defaultTransform: AUDIO_TRANSFORM,
    files: [
      { name: "shd_train.h5.zip", url: `${ZENKE}/shd_train.h5.zip`, md5: "f3252aeb598ac776c1b526422d90eecb", extract: "zip" },
      { name: "shd_test.h5.zip", url: `${ZENKE}/shd_test.h5.zip`, md5: "1503a5064faa34311c398fb0a1ed0a6f", extract: "zip" },
    ],
    async source(root, split) {
      checkSplit(this, split);
      const { files, part } = heldOut(split);
      return audioSource(join(root, `shd_${files}.h5`), part);
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
    splits: HELD_OUT_SPLITS,
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
      const { files, part } = heldOut(split);
      // The original recordings win when both variants are present: they are the reference.
      const orig = gestureOriginalDir(root);
      if (orig) return gestureAedatSource(orig, files, part);
      const npy = gestureNpyDir(root, files);
      if (npy) return gestureNpySource(npy, part);
      throw new MissingDataError(
        `${root}: expected DVS Gesture (DvsGesture/trials_to_${files}.txt, or tonic's ${files === "train" ? "ibmGestureTrain" : "ibmGestureTest"}/), received neither`,
      );
    },
  },
  "cifar10-dvs": {
    name: "cifar10-dvs",
    title: "CIFAR10-DVS",
    splits: HELD_OUT_SPLITS,
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
      const { files, part } = heldOut(split);
      return cifarSource(root, files, part);
    },
  },
  // N-MNIST in tonic's layout (nmnist.ts); the files are tonic's, from Mendeley Data (doi 10.17632/468j46mzdv.1).
  nmnist: {
    name: "nmnist",
    title: "N-MNIST",
    splits: HELD_OUT_SPLITS,
    classes: digits,
    layout: "dvs",
    sensor: NMNIST_SENSOR,
    // exodus's choice (no paper pipeline to follow): one step per ms over the ~300 ms of the three saccades.
    defaultTransform: { frame: { mode: "fixed", binUs: 1000, steps: 300 } },
    files: [
      { name: "train.zip", url: "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/39c25547-014b-4137-a934-9d29fa53c7a0/file_downloaded", md5: "20959b8e626244a1b502305a9e6e2031", extract: "zip" },
      { name: "test.zip", url: "https://data.mendeley.com/public-files/datasets/468j46mzdv/files/05a4d654-7e03-4c15-bdfa-9bb2bcbea494/file_downloaded", md5: "69ca8762b2fe404d9b9bad1103e97832", extract: "zip" },
    ],
    async source(root, split) {
      checkSplit(this, split);
      const { files, part } = heldOut(split);
      return nmnistSource(root, files, part);
    },
  },
  // Your own: a folder of event files, a label table and dataset.yaml (event-folder.ts).
  events: {
    name: "events",
    title: "event files of a folder (dataset.yaml)",
    splits: HELD_OUT_SPLITS,
    classes: [],
    layout: "dvs",
    // Unknown recordings: their duration cut into 16 frames (set dataset.transform for fixed bins).
    defaultTransform: { frame: { mode: "timeBins", nTimeBins: 16 } },
    files: [],
    folder(root) {
      const f = readEventFolder(root);
      return { title: f.title, classes: f.classes, sensor: f.sensor };
    },
    async source(root, split) {
      checkSplit(this, split);
      return eventFolderSource(root, split);
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

/** The data set's description for a root: a folder-described one's classes and sensor filled in. */
export function infoFor(info: DatasetInfo, root: string): DatasetInfo {
  return info.folder ? { ...info, ...info.folder(root) } : info;
}

export function datasetInfo(name: string): DatasetInfo {
  const info = DATASETS[name as DatasetName];
  if (!info) throw new ExodusError(`data set: expected one of ${Object.keys(DATASETS).join(", ")}, received ${describe(name)}`);
  return info;
}
