// Module.backwardOwned: a layer may write its gradient over the caller's dy (LIF's scan, batch
// norm), and with ForwardRequest.ownsInput a LIF writes its spikes over its input; checkpointed
// segments use both to keep full-size tensors fewer in flight. They must give the same outputs
// and gradients as the out-of-place paths, bit for bit, and leave a shared input alone.
import { describe, expect, it } from "vitest";
import { Rng } from "../../lib/random.js";
import { Tensor } from "../../lib/tensor.js";
import { BatchNorm2d, Conv2d, IAF, LIF, Sequential } from "../../lib/nn/index.js";
import type { Module } from "../../lib/nn/module.js";

const shape = [6, 3, 4, 5, 5]; // [T, B, C, H, W]

function randn(seed: number, scale = 1): Tensor {
  return Tensor.randn(shape, new Rng(seed), { std: scale });
}

/** ∂x and the parameter gradients of backward and of backwardOwned after the same forward. */
function both(make: () => Module, x: Tensor, dy: Tensor) {
  const run = (owned: boolean) => {
    const m = make();
    m.forward(x).dispose();
    const g = dy.clone();
    const dx = owned ? m.backwardOwned(g) : m.backward(g);
    const out = { dx: dx.toArray(), grads: m.parameters().map((p) => p.grad.toArray()), g: g.toArray() };
    dx.dispose();
    g.dispose();
    m.dispose();
    return out;
  };
  return { plain: run(false), owned: run(true) };
}

describe("backwardOwned", () => {
  const x = randn(1, 1.5);
  const dy = randn(2);

  it("LIF writes ∂x over dy with the same values; backward leaves dy alone", () => {
    for (const make of [() => new LIF({ tauMem: 4 }), () => new LIF({ alpha: [0.9, 0.8, 0.7, 0.95, 0.6], learnAlpha: true }), () => new IAF()]) {
      const { plain, owned } = both(make, x, dy);
      expect(owned.dx).toEqual(plain.dx);
      expect(owned.grads).toEqual(plain.grads);
      expect(plain.g).toEqual(dy.toArray()); // not owned: untouched
      expect(owned.g).toEqual(owned.dx); // owned: written over
      expect(plain.dx.some((v) => v !== 0)).toBe(true);
    }
  });

  it("BatchNorm2d gives the same ∂x, ∂γ and ∂β in place, in training and in evaluation", () => {
    for (const training of [true, false]) {
      const make = () => {
        const bn = new BatchNorm2d(4);
        bn.weight!.value.copyFrom(Tensor.from([0.5, -1.25, 2, 0.75], [4]));
        bn.training = training;
        return bn;
      };
      const { plain, owned } = both(make, x, dy);
      expect(owned.dx).toEqual(plain.dx);
      expect(owned.grads).toEqual(plain.grads);
      expect(plain.g).toEqual(dy.toArray());
      expect(plain.grads[0].some((v) => v !== 0)).toBe(true);
    }
  });

  it("a Sequential of Conv2d, BatchNorm2d, LIF gives the same gradients owned or not", () => {
    const make = () => {
      const rng = new Rng(7);
      return new Sequential(new Conv2d(4, 4, { rng }), new BatchNorm2d(4), new LIF({ tauMem: 3 }), new Conv2d(4, 4, { rng }), new BatchNorm2d(4), new LIF({ tauMem: 3 }));
    };
    const { plain, owned } = both(make, x, dy);
    expect(owned.dx).toEqual(plain.dx);
    expect(owned.grads).toEqual(plain.grads);
    expect(plain.g).toEqual(dy.toArray());
  });

  it("LIF's forward writes the spikes over an owned input only when nothing shares it, with the same spikes and gradients", () => {
    const run = (owns: boolean, share: boolean) => {
      const lif = new LIF({ tauMem: 4 });
      const input = x.clone();
      const other = share ? input.reshape(input.shape) : undefined;
      const y = lif.forwardActivation({ x: input }, owns ? { ownsInput: true } : {}).x;
      const out = { y: y.toArray(), input: input.toArray(), dx: [] as number[] };
      const dx = lif.backward(dy);
      out.dx = dx.toArray();
      for (const t of [dx, y, input, other]) t?.dispose();
      lif.dispose();
      return out;
    };
    const plain = run(false, false);
    const owned = run(true, false);
    const shared = run(true, true);
    expect(plain.y.some((v) => v === 1) && plain.y.some((v) => v === 0)).toBe(true);
    expect(owned.y).toEqual(plain.y);
    expect(owned.dx).toEqual(plain.dx);
    expect(owned.input).toEqual(plain.y); // written over
    expect(plain.input).toEqual(x.toArray()); // not owned: untouched
    expect(shared.input).toEqual(x.toArray()); // owned but shared with a view: untouched
    expect(shared.y).toEqual(plain.y);
  });

  it("a LIF whose output is dropped unread keeps its membrane over an owned input, with the same gradients and final state", () => {
    const run = (discard: boolean, share: boolean) => {
      const lif = new LIF({ tauMem: 4, stateful: true });
      const input = x.clone();
      const other = share ? input.reshape(input.shape) : undefined;
      const y = lif.forwardActivation({ x: input }, { ownsInput: true, ...(discard ? { discardOutput: true } : {}) }).x;
      const membraneOverInput = !share && discard && input.toArray().some((v, i) => v !== x.toArray()[i] && v !== 0 && v !== 1);
      y.dispose();
      const dx = lif.backward(dy);
      const out = { dx: dx.toArray(), dv0: lif.stateGrads[0].toArray(), state: lif.states![0].toArray(), membraneOverInput, input: input.toArray() };
      for (const t of [dx, input, other]) t?.dispose();
      lif.dispose();
      return out;
    };
    const plain = run(false, false);
    const dropped = run(true, false);
    const shared = run(true, true);
    expect(dropped.membraneOverInput).toBe(true); // the membrane went over the input
    expect(dropped.dx).toEqual(plain.dx);
    expect(dropped.dv0).toEqual(plain.dv0);
    expect(dropped.state).toEqual(plain.state);
    expect(plain.dx.some((v) => v !== 0)).toBe(true);
    expect(shared.input).toEqual(x.toArray()); // shared with a view: untouched
    expect(shared.dx).toEqual(plain.dx);
  });

  it("BatchNorm2d forms x̂ over an owned input that nothing shares, with the same output, gradients and statistics", () => {
    for (const training of [true, false]) {
      const run = (owns: boolean, share: boolean) => {
        const bn = new BatchNorm2d(4);
        bn.weight!.value.copyFrom(Tensor.from([0.5, -1.25, 2, 0.75], [4]));
        bn.runningVar.value.copyFrom(Tensor.from([0.5, 2, 1.5, 0.25], [4]));
        bn.training = training;
        const input = x.clone();
        const other = share ? input.reshape(input.shape) : undefined;
        const y = bn.forwardActivation({ x: input }, owns ? { ownsInput: true } : {}).x;
        const dx = bn.backward(dy);
        const out = { y: y.toArray(), dx: dx.toArray(), grads: bn.parameters().map((p) => p.grad.toArray()), stats: bn.buffers().map((b) => b.value.toArray()), input: input.toArray() };
        for (const t of [y, dx, input, other]) t?.dispose();
        bn.dispose();
        return out;
      };
      const plain = run(false, false);
      const owned = run(true, false);
      const shared = run(true, true);
      for (const r of [owned, shared]) {
        expect(r.y).toEqual(plain.y);
        expect(r.dx).toEqual(plain.dx);
        expect(r.grads).toEqual(plain.grads);
        expect(r.stats).toEqual(plain.stats);
      }
      expect(owned.input).not.toEqual(x.toArray()); // written over
      expect(shared.input).toEqual(x.toArray()); // shared with a view: untouched
      expect(plain.input).toEqual(x.toArray());
    }
  });
});
