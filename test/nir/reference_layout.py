# Checks a NIR file the way the reference reader (neuromorphs/NIR, nir/serialization.py read()
# and nir/ir/*.py) consumes it, using h5py only (the nir package is not installable offline):
#  - root dataset "version" (string) and group "node" of type "NIRGraph" with "nodes" and an
#    [E, 2] string "edges" dataset;
#  - every node group holds exactly keyword arguments of its NIR class (read() passes them all
#    to the constructor: an unknown key is a TypeError there, a missing required one too);
#  - the reference's type check: along every edge, the output shape of the source (computed with
#    the reference's formulas) equals the input shape of the target.
# Prints a JSON summary; exits non-zero with the reason on the first problem.
import json
import sys

import h5py
import numpy as np

# class → (required fields, optional fields), from nir/ir/*.py dataclasses and their from_dict
FIELDS = {
    "Input": ({"shape"}, {"metadata"}),
    "Output": ({"shape"}, {"metadata"}),
    "Linear": ({"weight"}, {"metadata"}),
    "Affine": ({"weight", "bias"}, {"metadata"}),
    "Conv2d": ({"input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"}, {"metadata"}),
    "Conv1d": ({"input_shape", "weight", "stride", "padding", "dilation", "groups", "bias"}, {"metadata"}),
    "AvgPool2d": ({"kernel_size", "stride", "padding"}, {"metadata"}),
    "SumPool2d": ({"kernel_size", "stride", "padding"}, {"metadata"}),
    "Flatten": (set(), {"input_type", "start_dim", "end_dim", "metadata"}),
    "LIF": ({"tau", "r", "v_leak", "v_threshold"}, {"v_reset", "metadata"}),
    "IF": ({"r", "v_threshold"}, {"v_reset", "metadata"}),
    "LI": ({"tau", "r", "v_leak"}, {"metadata"}),
    "I": ({"r"}, {"metadata"}),
    "CubaLIF": ({"tau_syn", "tau_mem", "r", "v_leak", "v_threshold"}, {"v_reset", "w_in", "metadata"}),
    "Scale": ({"scale"}, {"metadata"}),
    "Threshold": ({"threshold"}, {"metadata"}),
    # nir/ir/delay.py: delay in seconds, one per element of its input (input_type = delay.shape)
    "Delay": ({"delay"}, {"metadata"}),
    # a nested graph (snnTorch's recurrent layers): its own nodes and [E, 2] edges, checked below
    "NIRGraph": ({"nodes", "edges"}, {"metadata"}),
}
NEURON_PARAMS = {"LIF": "r", "IF": "r", "LI": "r", "I": "r", "CubaLIF": "r"}


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def to_dict(group):
    out = {}
    for k, v in group.items():
        if isinstance(v, h5py.Group):
            out[k] = to_dict(v)
        else:
            x = v[()]
            out[k] = x.decode("utf8") if isinstance(x, bytes) else x
    return out


def conv_out(n, pad, dil, k, stride):
    return int(np.floor((n + 2 * pad - dil * (k - 1) - 1) / stride + 1))


def shapes(name, node):
    """(input shape, output shape) as the reference infers them."""
    t = node["type"]
    if t in ("Input", "Output"):
        s = np.array(node["shape"])
        return s, s
    if t in ("Linear", "Affine"):
        w = node["weight"]
        return np.array(w.shape[-1:]), np.array(w.shape[-2:-1])
    if t == "Conv2d":
        w = node["weight"]
        ins = np.array(node["input_shape"])
        out = [conv_out(ins[i], node["padding"][i], node["dilation"][i], w.shape[2], node["stride"][i]) for i in range(2)]
        return np.array([w.shape[1], *ins]), np.array([w.shape[0], *out])
    if t == "Conv1d":
        w = node["weight"]
        ins = np.array(node["input_shape"])
        out = conv_out(ins[0], node["padding"][0], node["dilation"][0], w.shape[2], node["stride"][0])
        return np.array([w.shape[1], *ins]), np.array([w.shape[0], out])
    if t in ("AvgPool2d", "SumPool2d"):
        return None, node  # inferred from the predecessor below
    if t == "Flatten":
        s = np.array(node["input_type"])
        assert node["start_dim"] == 0 and node["end_dim"] == -1, "exodus writes whole-sample flattens"
        return s, np.array([np.prod(s)])
    if t in ("Scale", "Threshold", "Delay"):
        s = np.array(node[t.lower()].shape)
        return s, s
    if t == "NIRGraph":
        inner = node["nodes"]
        kinds = {k: v["type"] for k, v in inner.items()}
        i = [k for k, v in kinds.items() if v == "Input"]
        o = [k for k, v in kinds.items() if v == "Output"]
        if len(i) != 1 or len(o) != 1:
            fail(f"node {name}: a subgraph needs one Input and one Output, has {kinds}")
        for k, v in inner.items():
            check_fields(f"{name}.{k}", v)
        return np.array(inner[i[0]]["shape"]), np.array(inner[o[0]]["shape"])
    if t in NEURON_PARAMS:
        s = np.array(node[NEURON_PARAMS[t]].shape)
        for k, v in node.items():
            if k not in ("type", "metadata") and np.shape(v) != tuple(s):
                fail(f"node {name}: {k} has shape {np.shape(v)}, expected {tuple(s)} like r (reference asserts equal shapes)")
        return s, s
    fail(f"node {name}: type {t} not covered by this check")


f = h5py.File(sys.argv[1], "r")
if "version" not in f or not isinstance(f["version"][()], bytes):
    fail("no string dataset 'version' at the root")
g = to_dict(f["node"])
if g.get("type") != "NIRGraph":
    fail(f"node/type is {g.get('type')!r}, expected 'NIRGraph'")
extra = set(g) - {"type", "nodes", "edges", "metadata"}
if extra:
    fail(f"graph has fields NIRGraph does not take: {extra}")
edges = [(a.decode("utf8"), b.decode("utf8")) for a, b in f["node"]["edges"][()]]
if f["node"]["edges"].shape != (len(edges), 2):
    fail("edges is not an [E, 2] dataset")
nodes = g["nodes"]


def check_fields(name, node):
    t = node.get("type")
    if t not in FIELDS:
        fail(f"node {name}: unknown type {t!r}")
    req, opt = FIELDS[t]
    keys = set(node) - {"type"}
    if not req <= keys:
        fail(f"node {name} ({t}): missing {req - keys}")
    if not keys <= req | opt:
        fail(f"node {name} ({t}): fields the reference constructor rejects: {keys - req - opt}")
    for k, v in node.items():
        if k in ("weight", "bias", "tau", "r", "v_leak", "v_threshold", "v_reset", "scale", "threshold", "delay") and not np.issubdtype(np.asarray(v).dtype, np.floating):
            fail(f"node {name}: {k} is not a float array")
        if k in ("shape", "input_shape", "stride", "padding", "dilation", "kernel_size", "input_type") and not np.issubdtype(np.asarray(v).dtype, np.integer):
            fail(f"node {name}: {k} is not an integer array")


def check_edges(path, group):
    e = group["edges"]
    if len(e.shape) != 2 or e.shape[1] != 2:
        fail(f"{path}: edges is not an [E, 2] dataset")
    for k in group["nodes"]:
        if isinstance(group["nodes"][k], h5py.Group) and "edges" in group["nodes"][k]:
            check_edges(f"{path}/nodes/{k}", group["nodes"][k])


for name, node in nodes.items():
    check_fields(name, node)
check_edges("node", f["node"])
io = {}
for a, b in edges:
    for n in (a, b):
        if n not in nodes:
            fail(f"edge ({a}, {b}) names a missing node")
# every edge, in a topological order (a node with several inputs receives their sum: equal shapes)
preds = {n: [a for a, b in edges if b == n] for n in nodes}
order = []
def visit(n, path=()):
    if n in path:
        fail(f"a cycle through {n}")
    if n not in order:
        for p in preds[n]:
            visit(p, path + (n,))
        order.append(n)
for n in nodes:
    visit(n)
outs = {}
for name in order:
    node = nodes[name]
    ins, out = shapes(name, node)
    got = [outs[p] for p in preds[name]]
    if any(not np.array_equal(g, got[0]) for g in got[1:]):
        fail(f"summed inputs of {name} differ in shape: {got}")
    if node["type"] in ("AvgPool2d", "SumPool2d"):
        ins = got[0]
        k, st, p = node["kernel_size"], node["stride"], node["padding"]
        out = np.array([ins[0], *[conv_out(ins[1 + i], p[i], 1, k[i], st[i]) for i in range(2)]])
    if got and not np.array_equal(got[0], ins):
        fail(f"type mismatch into {name}: {got[0]} -> {ins}")
    outs[name] = out
out_node = [n for n in nodes if nodes[n]["type"] == "Output"][0]
prev_out = outs[out_node]
print(json.dumps({"version": f["version"][()].decode(), "order": order, "types": [nodes[n]["type"] for n in order],
                  "dt": float(g["metadata"]["dt"]), "output": [int(x) for x in prev_out]}))
