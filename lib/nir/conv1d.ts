// A 1-D convolution (NIR Conv1d) run by exodus's Conv2d: the input [C, L] is viewed as an image
// [C, 1, L] and the k-tap kernel sits in row p of a k×k kernel whose other rows are 0. With
// padding p on both axes, output row 0 reads input row 0 through kernel row p only (the other
// rows see the zero padding), which is the 1-D convolution exactly; for the same reason those rows
// get zero gradients, so training keeps them 0. The image has exactly one output row when
// k − 1 ≤ 2p < k − 1 + stride: "same" padding ((k − 1)/2 at stride 1) and the like; a padding below
// that (e.g. "valid" with k > 1) would need a taller image and is refused.
import { ExodusError, ShapeError, shapeStr } from "../errors.js";
import type { DeviceLike } from "../device.js";
import { Conv2d } from "../nn/conv2d.js";
import { Module, type Parameter } from "../nn/module.js";
import type { Tensor } from "../tensor.js";

export class Conv1d extends Module {
  readonly conv: Conv2d;

  constructor(readonly inChannels: number, readonly outChannels: number, readonly kernel: number, readonly padding: number, readonly stride: number, device?: DeviceLike) {
    super();
    if (!(kernel - 1 <= 2 * padding && 2 * padding < kernel - 1 + stride))
      throw new ExodusError(`Conv1d: padding ${padding} with kernel ${kernel} and stride ${stride}: exodus runs 1-D convolutions whose padding p satisfies kernel − 1 ≤ 2p < kernel − 1 + stride ("same" padding, (kernel − 1)/2 at stride 1); pad the input yourself for a smaller padding`);
    this.conv = new Conv2d(inChannels, outChannels, { kernel, padding, stride, device });
    this.conv.weight.value.set(new Float32Array(this.conv.weight.value.size));
  }

  /** The k taps [Cout, Cin, k] (row p of the 2-D kernel). */
  get weight1d(): Float32Array {
    const w = this.conv.weight.value.toArray();
    const k = this.kernel, p = this.padding;
    return Float32Array.from({ length: this.outChannels * this.inChannels * k }, (_, i) => w[Math.floor(i / k) * k * k + p * k + (i % k)]);
  }

  set weight1d(taps: ArrayLike<number>) {
    const k = this.kernel, p = this.padding;
    const w = new Float32Array(this.conv.weight.value.size);
    for (let i = 0; i < taps.length; i++) w[Math.floor(i / k) * k * k + p * k + (i % k)] = taps[i];
    this.conv.weight.value.set(w);
  }

  outLength(L: number): number {
    return Math.floor((L + 2 * this.padding - this.kernel) / this.stride) + 1;
  }

  /** One step's output shape for input [C, L] (the network summary). */
  override outputShape(s: readonly number[]): number[] {
    return [this.outChannels, this.outLength(s[s.length - 1])];
  }

  forward(x: Tensor): Tensor {
    const L = x.shape[x.rank - 1];
    if (x.rank < 3 || x.shape[x.rank - 2] !== this.inChannels) throw new ShapeError(`Conv1d: expected an input [T, B, ${this.inChannels}, L], received ${shapeStr(x.shape)}`);
    const v = x.reshape([...x.shape.slice(0, -1), 1, L]);
    const y = this.conv.forward(v);
    v.dispose();
    const out = y.reshape([...x.shape.slice(0, -2), this.outChannels, this.outLength(L)]);
    y.dispose();
    return out;
  }

  backward(dy: Tensor): Tensor {
    const g = dy.reshape([...dy.shape.slice(0, -1), 1, dy.shape[dy.rank - 1]]);
    const dx = this.conv.backward(g);
    g.dispose();
    if (dx.size === 0) return dx;
    const r = dx.reshape([...dx.shape.slice(0, -3), this.inChannels, dx.shape[dx.rank - 1]]);
    dx.dispose();
    return r;
  }

  override parameters(): Parameter[] {
    return this.conv.parameters();
  }

  override children(): Module[] {
    return [this.conv];
  }

  override dispose(): void {
    this.conv.dispose();
  }
}
