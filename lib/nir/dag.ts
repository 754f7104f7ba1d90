// A network whose layers form a directed acyclic graph (a NIR graph that is not a chain): each node
// runs its layers on the sum of the outputs of the nodes feeding it (NIR's fan-in semantics; a SEW
// ADD block is such a sum). forward visits the nodes in topological order, releasing an output once
// every consumer has read it; backward visits them in reverse, summing the gradients a node's output
// receives from its consumers before passing them through its layers.
import * as ops from "../ops.js";
import type { Tensor } from "../tensor.js";
import type { Activation, ForwardRequest } from "../nn/activation.js";
import { noForward } from "../nn/common.js";
import { type Buffer, Module, type Parameter, prefixed } from "../nn/module.js";
import { Sequential } from "../nn/sequential.js";

export interface DagNode {
  name: string;
  /** The node's layers (empty: the identity). */
  layers: Sequential;
  /** Nodes whose outputs are summed into this node's input; [] for the graph's input. */
  inputs: string[];
}

/** Sum of tensors into a new tensor the caller owns. */
function sum(ts: Tensor[]): Tensor {
  if (ts.length === 1) return ts[0].reshape(ts[0].shape);
  const acc = ops.add(ts[0], ts[1]);
  for (let i = 2; i < ts.length; i++) ops.add(acc, ts[i], acc);
  return acc;
}

export class Dag extends Module {
  /** In topological order: the input node first, the output node last. */
  readonly nodes: DagNode[];
  private ran = false;
  /** Called with every layer's output when set (exodus run records traces this way; layers then run one by one). */
  observer?: (node: string, layer: Module, y: Tensor) => void;

  constructor(nodes: DagNode[]) {
    super();
    this.nodes = nodes;
  }

  /** One step's output shape (the network summary): each node's layers on the summed inputs' shape. */
  override outputShape(s: readonly number[]): number[] {
    const shapes = new Map<string, number[]>();
    for (const n of this.nodes) shapes.set(n.name, n.layers.outputShape(n.inputs.length ? shapes.get(n.inputs[0])! : s));
    return shapes.get(this.nodes[this.nodes.length - 1].name)!;
  }

  forward(x: Tensor): Tensor {
    return this.run(x, {});
  }

  /** As forward, each node's layers reporting their outputs to req.observe (the trainer's firing rates). */
  override forwardActivation(a: Activation, req: ForwardRequest = {}): Activation {
    return { x: this.run(a.x, req.observe ? { observe: req.observe } : {}) };
  }

  /** Each node's layers, named by the node: "fc1.0", as the parameters are. */
  override namedLayers(): (readonly [string, Module])[] {
    return this.nodes.map((n) => [n.name, n.layers] as const);
  }

  private run(x: Tensor, req: ForwardRequest): Tensor {
    const out = new Map<string, Tensor>();
    const uses = new Map<string, number>();
    for (const n of this.nodes) for (const p of n.inputs) uses.set(p, (uses.get(p) ?? 0) + 1);
    const release = (p: string) => {
      const left = uses.get(p)! - 1;
      uses.set(p, left);
      if (left === 0) out.get(p)!.dispose();
    };
    let last: Tensor | undefined;
    for (const n of this.nodes) {
      const inputs = n.inputs.length ? n.inputs.map((p) => out.get(p)!) : [x];
      const h = sum(inputs);
      for (const p of n.inputs) release(p);
      const y = this.observer ? this.observed(n, h) : n.layers.layers.length ? n.layers.forwardActivation({ x: h }, req).x : h.reshape(h.shape);
      h.dispose();
      out.set(n.name, y);
      last = y;
    }
    this.ran = true;
    return last!;
  }

  private observed(n: DagNode, x: Tensor): Tensor {
    let h = x.reshape(x.shape);
    for (const l of n.layers.layers) {
      const y = l.forward(h);
      h.dispose();
      this.observer!(n.name, l, y);
      h = y;
    }
    return h;
  }

  backward(dy: Tensor): Tensor {
    if (!this.ran) noForward("Dag");
    const grads = new Map<string, Tensor[]>();
    const last = this.nodes[this.nodes.length - 1];
    grads.set(last.name, [dy.reshape(dy.shape)]);
    let dx: Tensor | undefined;
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const n = this.nodes[i];
      const gs = grads.get(n.name) ?? [];
      grads.delete(n.name);
      const g = sum(gs);
      for (const t of gs) t.dispose();
      const dh = n.layers.layers.length ? n.layers.backward(g) : g.reshape(g.shape);
      g.dispose();
      if (!n.inputs.length) {
        dx = dh;
        continue;
      }
      for (const p of n.inputs) grads.set(p, [...(grads.get(p) ?? []), dh.reshape(dh.shape)]);
      dh.dispose();
    }
    return dx!;
  }

  /** Names "<node>.<layer index>.<name>", e.g. "fc1.0.weight". */
  override parameters(): Parameter[] {
    return this.nodes.flatMap((n) => prefixed(n.name, n.layers.parameters()));
  }

  override buffers(): Buffer[] {
    return this.nodes.flatMap((n) => prefixed(n.name, n.layers.buffers()));
  }

  override children(): Module[] {
    return this.nodes.map((n) => n.layers);
  }

  override zeroGrad(): void {
    for (const n of this.nodes) n.layers.zeroGrad();
  }

  override dispose(): void {
    for (const n of this.nodes) n.layers.dispose();
  }
}
