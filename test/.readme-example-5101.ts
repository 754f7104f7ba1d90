import { Adam, Sequential, Linear, LIF, losses, ops, scope, data } from "/work/wt/mem/lib/index.ts";

// The built-in task's network (configs/synthetic.yaml): the paper's LIF and surrogate, sum readout.
const lif = () => new LIF({ tauMem: 30, threshold: 1, surrogate: { name: "exponential", scale: 1, width: 1 }, backward: "exodus" });
const net = new Sequential(
  new Linear(40, 64, { bias: false, seed: 1, initScale: 2 }), lif(),
  new Linear(64, 64, { bias: false, seed: 2, initScale: 2 }), lif(),
  new Linear(64, 10, { bias: false, seed: 3, initScale: 2 }),
);
const opt = new Adam(net.parameters(), { lr: 5e-3 });
const loss = losses.crossEntropyLoss({ readout: "sum" });  // cross-entropy of Σ_t y[t]
// Built in, no download; after `exodus data download shd`: { name: "shd", root: "data/shd", split: "train" }
const train = await data.openDataset({ name: "synthetic", root: "", split: "train" });
const valid = await data.openDataset({ name: "synthetic", root: "", split: "valid" });

for (let epoch = 1; epoch <= 8; epoch++) {
  for await (const { x, labels } of train.batches({ batchSize: 32, shuffle: true, seed: epoch })) {
    scope(() => {                                          // frees every intermediate tensor
      const y = net.forward(x);                            // x [60, B, 40] → y [60, B, 10], time-major
      const { dy } = loss(y, labels);                      // the loss and ∂loss/∂y through the readout
      net.backward(dy);
      opt.step();
      net.zeroGrad();
    });
  }
  let correct = 0;
  for await (const { x, labels } of valid.batches({ batchSize: 256 })) {
    const pred = scope(() => ops.argmax(ops.sum(net.forward(x), 0), 1).toArray());
    labels.forEach((label, i) => (correct += pred[i] === label ? 1 : 0));
  }
  console.log(`epoch ${epoch}: valid accuracy ${((100 * correct) / valid.size).toFixed(1)} %`);
}
