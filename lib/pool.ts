// 2-D average and max pooling over the last two axes of [..., H, W] (no padding), with backward.
import { ExodusError, ShapeError, shapeStr } from "./errors.js";
import { type PoolGeom, native } from "./native.js";
import { Tensor, sizeOf } from "./tensor.js";

export interface PoolResult {
  y: Tensor;
  /** Max pooling: the winning input index (within its plane) of every output. */
  indices?: Tensor;
}

function geometry(x: Tensor, kernel: number, stride: number): { planes: number; h: number; w: number; ho: number; wo: number; geom: PoolGeom } {
  if (x.rank < 2) throw new ShapeError(`pool2d: expected input [..., H, W], received ${shapeStr(x.shape)}`);
  const [h, w] = x.shape.slice(-2);
  if (!Number.isInteger(kernel) || kernel < 1 || kernel > h || kernel > w)
    throw new ExodusError(`pool2d: expected a window between 1 and ${Math.min(h, w)} for input ${shapeStr(x.shape)}, received ${kernel}`);
  if (!Number.isInteger(stride) || stride < 1) throw new ExodusError(`pool2d: expected a stride >= 1, received ${stride}`);
  const ho = Math.floor((h - kernel) / stride) + 1;
  const wo = Math.floor((w - kernel) / stride) + 1;
  return { planes: sizeOf(x.shape.slice(0, -2)), h, w, ho, wo, geom: { h, w, k: kernel, s: stride } };
}

export function pool2d(mode: "avg" | "max", x: Tensor, kernel: number, stride = kernel): PoolResult {
  const g = geometry(x, kernel, stride);
  const shape = [...x.shape.slice(0, -2), g.ho, g.wo];
  const y = Tensor.empty(shape, x.device);
  const indices = mode === "max" ? Tensor.empty(shape, x.device) : undefined;
  native().pool2d({ max: mode === "max", x, y, indices, geom: g.geom, planes: g.planes });
  return { y, indices };
}

export const avgPool2d = (x: Tensor, kernel: number, stride = kernel) => pool2d("avg", x, kernel, stride).y;
export const maxPool2d = (x: Tensor, kernel: number, stride = kernel) => pool2d("max", x, kernel, stride);

/** dx [..., H, W] from dy [..., Ho, Wo]; max pooling needs the indices of the forward pass. */
export function pool2dBackward(mode: "avg" | "max", dy: Tensor, inputShape: readonly number[], kernel: number, stride = kernel, indices?: Tensor): Tensor {
  const dx = Tensor.empty(inputShape, dy.device);
  const g = geometry(dx, kernel, stride);
  const want = [...inputShape.slice(0, -2), g.ho, g.wo];
  if (dy.size !== sizeOf(want)) {
    dx.dispose();
    throw new ShapeError(`pool2dBackward: expected dy ${shapeStr(want)}, received ${shapeStr(dy.shape)}`);
  }
  if (mode === "max" && (!indices || indices.size !== dy.size)) {
    dx.dispose();
    throw new ExodusError("pool2dBackward: max pooling needs the indices returned by its forward pass");
  }
  native().pool2dBackward({ max: mode === "max", dy, indices, dx, geom: g.geom, planes: g.planes });
  return dx;
}
