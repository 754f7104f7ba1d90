"""Reference PyTorch modules of exodus's neurons, so a network exported by exodus runs in torch
unchanged: the same equations (docs/neurons.md), the same parameter names, and the same state_dict
(only learned decays are parameters; the rest are non-persistent buffers, as exodus saves them).

    import sys; sys.path.insert(0, "benchmarks/peers")
    from exodus_torch import load_exodus
    net = load_exodus("runs/shd-exodus/model.safetensors")   # nn.Sequential, load_state_dict(strict=True)
    y = net(x)                                               # x [T, B, ...] time-major, float32

load_exodus builds the "mlp" and "conv" models of a config (lib/train/model.py's layouts); the
neuron classes (LIF, IAF, ALIF, CubaLIF, AdLIF, RLIF, ExpLeak, SRM) build anything else. Per-neuron values (a list of P
numbers) apply to neuron i of each step's flattened [B, ...] features as value[i % P], as in exodus.
The backward is autograd through the unrolled steps (BPTT) with exodus's surrogates.
Tested by test/peers/torch-reference.test.ts against exodus's own forward.
"""
import json
import math
import struct

import torch
from torch import nn

SURROGATE_WIDTH = {"exponential": 0.5, "boxcar": 1.0, "gaussian": 0.5, "fast_sigmoid": 10.0, "arctan": 1.0}


def surrogate_grad(name, scale, width, v, theta):
    """σ(v) of lib/selftest/neuron-reference.ts (the derivative used for the spike)."""
    d = v - theta
    if name == "exponential":
        tw = theta * width
        return scale / tw * torch.exp(-d.abs() / tw)
    if name == "boxcar":
        return (v >= theta - width * theta).to(v.dtype) * (scale / theta)
    if name == "gaussian":
        sd = width * theta
        return scale / (sd * math.sqrt(2 * math.pi)) * torch.exp(-(d * d) / (2 * sd * sd))
    if name == "fast_sigmoid":
        return scale / (1 + width * d.abs()) ** 2
    if name == "arctan":
        return scale / (1 + (math.pi * width * d) ** 2)
    raise ValueError(f"unknown surrogate {name!r}")


class Spike(torch.autograd.Function):
    """s = 1[v ≥ θ] (single) or clamp(floor(v/θ), 0, max) (multi); surrogate backward."""

    @staticmethod
    def forward(ctx, v, theta, sg, multi, max_spikes):
        ctx.save_for_backward(v, theta)
        ctx.sg = sg
        if multi:
            n = torch.clamp(torch.floor(v / theta), min=0)
            return torch.clamp(n, max=max_spikes) if max_spikes > 0 else n
        return (v >= theta).to(v.dtype)

    @staticmethod
    def backward(ctx, g):
        v, theta = ctx.saved_tensors
        return g * surrogate_grad(*ctx.sg, v, theta), None, None, None, None


def _values(v, dtype=torch.float32):
    return torch.tensor([v] if isinstance(v, (int, float)) else list(v), dtype=dtype)


def _decay(value, tau, dt=1.0, default=None):
    if value is not None:
        return _values(value)
    if tau is not None:
        taus = [tau] if isinstance(tau, (int, float)) else list(tau)
        return _values([math.exp(-dt / t) for t in taus])
    return _values(default)


def _sg(surrogate):
    s = surrogate if isinstance(surrogate, dict) else {"name": surrogate or "exponential"}
    name = s.get("name", "exponential")
    return (name, float(s.get("scale", 1.0)), float(s.get("width", SURROGATE_WIDTH[name])))


class _Neuron(nn.Module):
    def _param(self, name, value, learn):
        if learn:
            self.register_parameter(name, nn.Parameter(value))
        else:
            self.register_buffer(name, value, persistent=False)

    def _expand_learned(self, *names):
        """exodus keeps a learned value per neuron P (the longest of the layer's values): its state has [P]."""
        P = max(getattr(self, n).numel() for n in names)
        for n in names:
            t = getattr(self, n)
            if isinstance(t, nn.Parameter) and t.numel() == 1 and P > 1:
                setattr(self, n, nn.Parameter(t.detach().expand(P).clone()))

    @staticmethod
    def _tiled(x, p):
        """x [T, ...] as [T, N/P, P] for per-neuron values p [P]."""
        return x.reshape(x.shape[0], -1, p.numel())


class LIF(_Neuron):
    """v = α·v + x (or (1 − α)·x with norm_input); v = max(v, v_min); s = S(v); v −= m·s (subtract) or v·(1 − s) (zero)."""

    def __init__(self, alpha=None, tau_mem=None, dt=1.0, threshold=1.0, reset="subtract", reset_amount=None, spike_fn="single",
                 max_spikes=0, v_min=None, norm_input=False, surrogate="exponential", learn_alpha=False):
        super().__init__()
        self._param("alpha", _decay(alpha, tau_mem, dt, 1.0), learn_alpha)
        self.register_buffer("threshold", _values(threshold), persistent=False)
        self.register_buffer("m", _values(reset_amount) if reset_amount is not None else self.threshold.clone(), persistent=False)
        self.reset, self.multi, self.max_spikes, self.v_min, self.norm_input = reset, spike_fn == "multi", max_spikes, v_min, norm_input
        self.sg = _sg(surrogate)
        self._expand_learned("alpha", "threshold")

    def forward(self, x):
        P = max(self.alpha.numel(), self.threshold.numel())
        a, th, m = (t.expand(P) if t.numel() == 1 else t for t in (self.alpha, self.threshold, self.m))
        xs = self._tiled(x, a)
        v = torch.zeros_like(xs[0])
        out = []
        for t in range(xs.shape[0]):
            v = a * v + ((1 - a) * xs[t] if self.norm_input else xs[t])
            if self.v_min is not None:
                v = torch.clamp(v, min=self.v_min)
            s = Spike.apply(v, th.expand_as(v), self.sg, self.multi, self.max_spikes)
            v = v - m * s if self.reset == "subtract" else v * (1 - s)
            out.append(s)
        return torch.stack(out).reshape(x.shape)


class IAF(LIF):
    """LIF without leak (α = 1)."""

    def __init__(self, threshold=1.0, reset="subtract", **kw):
        super().__init__(alpha=1.0, threshold=threshold, reset=reset, **kw)


class ALIF(_Neuron):
    """b[t] = ρ·b[t−1] + (1 − ρ)·s[t−1]; θ = θ0 + β·b; v = α·v + x; s = 1[v ≥ θ]; v −= θ·s."""

    def __init__(self, alpha=None, tau_mem=None, rho=None, tau_adapt=None, dt=1.0, beta=1.0, threshold=1.0, surrogate="exponential", learn=()):
        super().__init__()
        self._param("alpha", _decay(alpha, tau_mem, dt, 1.0), "alpha" in learn)
        default_tau = None if rho is not None or tau_adapt is not None else 200.0  # exodus's default: tauAdapt 200 steps
        self._param("rho", _decay(rho, tau_adapt if tau_adapt is not None else default_tau, dt), "rho" in learn)
        self._param("beta", _values(beta), "beta" in learn)
        self._param("threshold", _values(threshold), "threshold" in learn)
        self.sg = _sg(surrogate)
        self._expand_learned("alpha", "rho", "beta", "threshold")

    def forward(self, x):
        P = max(t.numel() for t in (self.alpha, self.rho, self.beta, self.threshold))
        a, rho, be, th0 = (t.expand(P) if t.numel() == 1 else t for t in (self.alpha, self.rho, self.beta, self.threshold))
        xs = self._tiled(x, a)
        v = torch.zeros_like(xs[0])
        b = torch.zeros_like(xs[0])
        s = None
        out = []
        for t in range(xs.shape[0]):
            if s is not None:
                b = rho * b + (1 - rho) * s
            th = th0 + be * b
            v = a * v + xs[t]
            # the surrogate is taken at v − θ + θ0 around θ0 (as exodus's kernel does)
            s = Spike.apply(v - th + th0, th0.expand_as(v), self.sg, False, 0)
            v = v - th * s
            out.append(s)
        return torch.stack(out).reshape(x.shape)


class ExpLeak(_Neuron):
    """A synaptic current filter: i = β·i + x (output: the current)."""

    def __init__(self, beta=None, tau_syn=None, dt=1.0, learn_beta=False):
        super().__init__()
        self._param("beta", _decay(beta, tau_syn, dt), learn_beta)

    def forward(self, x):
        xs = self._tiled(x, self.beta)
        i = torch.zeros_like(xs[0])
        out = []
        for t in range(xs.shape[0]):
            i = self.beta * i + xs[t]
            out.append(i)
        return torch.stack(out).reshape(x.shape)


def _reset(v, s, th, reset):
    return v - th * s if reset == "subtract" else v * (1 - s)


class CubaLIF(_Neuron):
    """i = α_s·i + x; v = α·v + i; s = 1[v ≥ θ]; v −= θ·s (subtract) or v·(1 − s) (zero)."""

    def __init__(self, alpha_syn=None, tau_syn=None, alpha=None, tau_mem=None, dt=1.0, threshold=1.0, reset="subtract",
                 surrogate="exponential", learn=()):
        super().__init__()
        self._param("alphaSyn", _decay(alpha_syn, tau_syn, dt), "alphaSyn" in learn)
        self._param("alpha", _decay(alpha, tau_mem, dt, 1.0), "alpha" in learn)
        self.register_buffer("threshold", _values(threshold), persistent=False)
        self.reset, self.sg = reset, _sg(surrogate)
        self._expand_learned("alphaSyn", "alpha", "threshold")

    def forward(self, x):
        P = max(self.alphaSyn.numel(), self.alpha.numel(), self.threshold.numel())
        a_s, a, th = (t.expand(P) if t.numel() == 1 else t for t in (self.alphaSyn, self.alpha, self.threshold))
        xs = self._tiled(x, a)
        i = v = torch.zeros_like(xs[0])
        out = []
        for t in range(xs.shape[0]):
            i = a_s * i + xs[t]
            v = a * v + i
            s = Spike.apply(v, th.expand_as(v), self.sg, False, 0)
            v = _reset(v, s, th, self.reset)
            out.append(s)
        return torch.stack(out).reshape(x.shape)


class AdLIF(_Neuron):
    """u = α·v + (1 − α)·(x − w); s = 1[u ≥ θ]; v = u − θ·s (or u·(1 − s)); w = β·w + (1 − β)·(a·v + b·s)."""

    def __init__(self, alpha=None, tau_mem=None, beta=None, tau_adapt=None, dt=1.0, a=0.5, b=1.0, threshold=1.0, reset="subtract",
                 surrogate="exponential", learn=()):
        super().__init__()
        self._param("alpha", _decay(alpha, tau_mem if alpha is not None or tau_mem is not None else 20.0, dt), "alpha" in learn)
        self._param("beta", _decay(beta, tau_adapt if beta is not None or tau_adapt is not None else 150.0, dt), "beta" in learn)
        self._param("a", _values(a), "a" in learn)
        self._param("b", _values(b), "b" in learn)
        self.register_buffer("threshold", _values(threshold), persistent=False)
        self.reset, self.sg = reset, _sg(surrogate)
        self._expand_learned("alpha", "beta", "a", "b", "threshold")

    def forward(self, x):
        P = max(t.numel() for t in (self.alpha, self.beta, self.a, self.b, self.threshold))
        al, be, A, B, th = (t.expand(P) if t.numel() == 1 else t for t in (self.alpha, self.beta, self.a, self.b, self.threshold))
        xs = self._tiled(x, al)
        v = w = torch.zeros_like(xs[0])
        out = []
        for t in range(xs.shape[0]):
            u = al * v + (1 - al) * (xs[t] - w)
            s = Spike.apply(u, th.expand_as(u), self.sg, False, 0)
            v = _reset(u, s, th, self.reset)
            w = be * w + (1 - be) * (A * v + B * s)
            out.append(s)
        return torch.stack(out).reshape(x.shape)


class RLIF(_Neuron):
    """LIF with recurrent spikes: v = α·v + x + s[t−1]·Wᵀ (+ bias); s = 1[v ≥ θ]; v −= θ·s or v·(1 − s). x [T, ..., H]."""

    def __init__(self, size, alpha=None, tau_mem=None, dt=1.0, threshold=1.0, reset="subtract", bias=False, learn_alpha=False,
                 surrogate="exponential"):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(size, size))
        a = _decay(alpha, tau_mem, dt)
        self._param("alpha", a.expand(size).clone() if learn_alpha else a, learn_alpha)
        self.register_buffer("threshold", _values(threshold), persistent=False)
        self._param("bias", torch.zeros(size), bias)
        self.reset, self.sg, self.has_bias = reset, _sg(surrogate), bias

    def forward(self, x):
        H = self.weight.shape[0]
        xs = x.reshape(x.shape[0], -1, H)
        v = s = torch.zeros_like(xs[0])
        th = self.threshold.expand(H) if self.threshold.numel() == 1 else self.threshold
        out = []
        for t in range(xs.shape[0]):
            v = self.alpha * v + xs[t] + s @ self.weight.T + (self.bias if self.has_bias else 0)
            s = Spike.apply(v, th.expand_as(v), self.sg, False, 0)
            v = _reset(v, s, th, self.reset)
            out.append(s)
        return torch.stack(out).reshape(x.shape)


def _truncated(f, cut=0.01, max_len=10000):
    out, peaked, prev = [], False, 0.0
    for k in range(max_len):
        v = f(k)
        if k > 0 and abs(v) < abs(prev):
            peaked = True
        if peaked and abs(v) < cut:
            break
        out.append(v)
        prev = v
    return out


class SRM(_Neuron):
    """u[t] = Σ_k ε[k]·x[t−k] + Σ_k ν[k]·s[t−1−k]; s = S(u). Kernels given, or SLAYER's from tau_sr / tau_ref / scale_ref."""

    def __init__(self, epsilon=None, nu=None, tau_sr=10.0, tau_ref=1.0, scale_ref=2.0, threshold=1.0, spike_fn="single", max_spikes=0, surrogate="exponential"):
        super().__init__()
        if epsilon is None:
            epsilon = _truncated(lambda k: (k / tau_sr) * math.exp(1 - k / tau_sr))
        if nu is None:
            nu = _truncated(lambda k: -scale_ref * threshold * ((k + 1) / tau_ref) * math.exp(1 - (k + 1) / tau_ref))
        self.register_buffer("epsilon", _values(epsilon), persistent=False)
        self.register_buffer("nu", _values(nu), persistent=False)
        self.register_buffer("theta", _values(threshold), persistent=False)
        self.multi, self.max_spikes, self.sg = spike_fn == "multi", max_spikes, _sg(surrogate)

    def forward(self, x):
        xs = x.reshape(x.shape[0], -1)
        T = xs.shape[0]
        out = []
        for t in range(T):
            u = torch.zeros_like(xs[0])
            for k in range(min(self.epsilon.numel(), t + 1)):
                u = u + self.epsilon[k] * xs[t - k]
            for k in range(min(self.nu.numel(), t)):
                u = u + self.nu[k] * out[t - 1 - k]
            out.append(Spike.apply(u, self.theta.expand_as(u), self.sg, self.multi, self.max_spikes))
        return torch.stack(out).reshape(x.shape)


def folded(module):
    """module (Conv2d, AvgPool2d, Flatten) applied per frame to [T, B, ...] by folding T into the
    batch; its parameters keep their names ("0.weight"), as exodus writes them."""
    base = type(module)

    class Folded(base):
        def forward(self, x):
            y = base.forward(self, x.reshape(x.shape[0] * x.shape[1], *x.shape[2:]))
            return y.reshape(x.shape[0], x.shape[1], *y.shape[1:])

    module.__class__ = Folded
    return module


def read_safetensors(path):
    """(tensors, metadata) of a safetensors file, per its spec (no safetensors package needed)."""
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    header = json.loads(b[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for k, e in header.items():
        if e["dtype"] != "F32":
            raise ValueError(f"{path}: tensor {k}: expected F32, got {e['dtype']}")
        s, t = e["data_offsets"]
        tensors[k] = torch.frombuffer(bytearray(b[8 + n + s:8 + n + t]), dtype=torch.float32).reshape(e["shape"])
    return tensors, meta


def neuron_layers(cfg):
    """The neuron section of an exodus config as modules (lib/train/neurons.ts)."""
    n = cfg["neuron"]
    common = {"threshold": n.get("threshold", 1.0), "surrogate": n.get("surrogate", "exponential")}
    learn = n.get("learn") or []
    layers = []
    if n.get("synapse"):
        layers.append(ExpLeak(tau_syn=n["synapse"]["tauSyn"], learn_beta=bool(n["synapse"].get("learn"))))
    t = n["type"]
    if t == "lif":
        layers.append(LIF(tau_mem=n["tauMem"], reset=n.get("reset", "subtract"), learn_alpha="alpha" in learn, **common))
    elif t == "iaf":
        layers.append(IAF(reset=n.get("reset", "subtract"), **common))
    elif t == "alif":
        layers.append(ALIF(tau_mem=n["tauMem"], tau_adapt=n.get("tauAdapt", 200.0), beta=n.get("beta", 1.0), learn=learn, **common))
    elif t == "srm":
        kernels = {"epsilon": n["epsilon"], "nu": n.get("nu", [])} if n.get("epsilon") else \
            {"tau_sr": n.get("tauSr", 10.0), "tau_ref": n.get("tauRef", 1.0), "scale_ref": n.get("scaleRef", 2.0)}
        layers.append(SRM(**kernels, **common))
    else:
        raise ValueError(f"neuron type {t!r}")
    return layers


def load_exodus(path):
    """The nn.Sequential of an exodus model file (mlp or conv config), with its weights (strict)."""
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    model = cfg["model"]
    wn = model.get("weightNorm", False)
    if wn:
        raise ValueError("weight-normalised models: build the modules yourself (torch.nn.utils.parametrizations.weight_norm)")
    layers = []
    if model["kind"] == "mlp":
        width = tensors["0.weight"].shape[1]
        for h in model["hidden"]:
            layers += [nn.Linear(width, h, bias=False), *neuron_layers(cfg)]
            width = h
        classes = tensors[f"{len(layers)}.weight"].shape[0]
        layers.append(nn.Linear(width, classes, bias=False))
    elif model["kind"] == "conv":
        pos = json.loads(meta.get("exodus.position", "{}")).get("data")
        if not pos:
            raise ValueError(f"{path}: the input shape is not recorded; build the conv net yourself")
        c, h, w = pos["sampleShape"][1:]
        widths = model["channels"] + [model["channels"][-1]] * model.get("extraConvs", 0)
        for out in widths:
            layers += [folded(nn.Conv2d(c, out, model["kernel"], padding=model["kernel"] // 2, bias=False)), *neuron_layers(cfg)]
            c = out
            if min(h, w) > model["poolUntil"] and min(h, w) >= model["pool"]:
                layers.append(folded(nn.AvgPool2d(model["pool"])))
                h, w = h // model["pool"], w // model["pool"]
            if model["dropout"] > 0:
                layers.append(nn.Dropout(model["dropout"]))
        layers.append(folded(nn.Flatten()))
        if model["readoutDropout"] > 0:
            layers.append(nn.Dropout(model["readoutDropout"]))
        layers.append(nn.Linear(c * h * w, pos["numClasses"], bias=False))
    else:
        raise ValueError(f"model kind {model['kind']!r}: build the modules yourself from the classes above")
    net = nn.Sequential(*layers)
    net.load_state_dict(tensors, strict=True)
    return net.eval()
