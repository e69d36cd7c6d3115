"""A stack of M multilayer perceptrons of one shape, trained as one vectorised PyTorch program.

Every parameter has a leading model dimension ``M``; a forward pass maps ``x`` of shape
``(M, B, F)`` to ``(M, B, out)``. Models of one stack share the architecture's *shape*
(layers, width, activation, normalization, embeddings, parametrization) and nothing else:
each has its own initialisation stream, and the optimizer (``advisor.trials.optim``) gives each
its own learning rate, momentum, weight decay, dropout and label smoothing.

Two parametrizations:

* ``standard``: PyTorch's defaults (``nn.Linear``'s uniform initialisation, one learning rate);
  the plain MLP of space version 1 is this setting;
* ``ntk``: RealMLP's (Holzmüller et al., 2024, "Better by Default"; pytabkit's
  ``RealMLP_TD_*`` defaults): the forward pass scales weights by ``1/sqrt(fan_in)``, weights
  start standard normal and are rescaled so that each unit's pre-activation has unit standard
  deviation on a training batch, biases start at minus a random convex combination of 5
  training pre-activations ("he+5"), a learned diagonal scale precedes the first layer (learning
  rate x6), activations are parametric (``x + a * (f(x) - x)``, ``a`` learned at x0.1), biases
  learn at x0.1 and are not decayed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["Shape", "StackedMLP", "TensorParam"]

_ACT: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "gelu": F.gelu,
    "silu": F.silu,
    "tanh": torch.tanh,
    "selu": F.selu,
    "mish": F.mish,
}
#: Periodic embeddings (PBLD): frequencies, output size per feature (incl. the raw value), sigma.
PERIODIC_FREQUENCIES = 16
PERIODIC_DIM = 4
PERIODIC_SIGMA = 0.1
#: Learned embeddings of high-cardinality categorical columns (RealMLP's ``embedding_size``).
CATEGORY_DIM = 8
#: Piecewise-linear embeddings: quantile bins per feature and output size per feature.
PL_BINS = 16
PL_DIM = 4
_BN_EPS = 1e-5
_BN_MOMENTUM = 0.1


@dataclass(frozen=True)
class Shape:
    """What models must share to be stacked (everything that changes tensor shapes or code)."""

    n_inputs: int
    n_outputs: int
    num_layers: int
    width: int
    activation: str
    normalization: str
    numerical_embedding: str
    parametrization: str
    numeric_columns: tuple[int, ...] = ()  # input columns that get numerical embeddings
    bin_edges: tuple[tuple[float, ...], ...] = ()  # per numeric column (piecewise-linear)
    categorical_columns: tuple[int, ...] = ()  # input columns holding category codes
    cardinalities: tuple[int, ...] = ()  # per categorical column; code == cardinality: unknown

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Shape:
        return cls(
            n_inputs=int(d["n_inputs"]),
            n_outputs=int(d["n_outputs"]),
            num_layers=int(d["num_layers"]),
            width=int(d["width"]),
            activation=str(d["activation"]),
            normalization=str(d["normalization"]),
            numerical_embedding=str(d["numerical_embedding"]),
            parametrization=str(d["parametrization"]),
            numeric_columns=tuple(int(j) for j in d["numeric_columns"]),
            bin_edges=tuple(tuple(float(v) for v in e) for e in d["bin_edges"]),
            categorical_columns=tuple(int(j) for j in d["categorical_columns"]),
            cardinalities=tuple(int(c) for c in d["cardinalities"]),
        )


@dataclass
class TensorParam:
    """A stacked parameter with its learning-rate and weight-decay factors."""

    name: str
    value: torch.Tensor  # (M, ...), requires_grad
    lr_factor: float = 1.0
    wd_factor: float = 1.0


@dataclass
class _Buffers:
    running_mean: list[torch.Tensor] = field(default_factory=list)
    running_var: list[torch.Tensor] = field(default_factory=list)


def _uniform(gens: Sequence[torch.Generator], shape: tuple[int, ...], bound: float) -> torch.Tensor:
    return torch.stack([(torch.rand(shape, generator=g) * 2 - 1) * bound for g in gens])


def _normal(gens: Sequence[torch.Generator], shape: tuple[int, ...], std: float) -> torch.Tensor:
    return torch.stack([torch.randn(shape, generator=g) * std for g in gens])


class StackedMLP:
    """``M`` MLPs of one :class:`Shape` (see the module docstring).

    ``init_batch`` (``(N, F)`` training rows) is needed by the ``ntk`` parametrization's
    data-dependent initialisation; ``generators`` are the models' own random streams.
    """

    def __init__(
        self,
        shape: Shape,
        generators: Sequence[torch.Generator],
        init_batch: torch.Tensor | None = None,
        device: torch.device | None = None,
        *,
        data_init: bool = True,
    ) -> None:
        if shape.activation not in _ACT:
            raise ValueError(f"unknown activation {shape.activation!r}")
        self.shape = shape
        self.M = len(generators)
        self.device = device or torch.device("cpu")
        self.params: dict[str, TensorParam] = {}
        self.buffers = _Buffers()
        self.training = True
        ntk = shape.parametrization == "ntk"
        gens = list(generators)
        num_cols = list(shape.numeric_columns) if shape.numerical_embedding != "none" else []
        cat_cols = list(shape.categorical_columns)
        self._num_idx = torch.tensor(num_cols, dtype=torch.long, device=self.device)
        self._cat_idx = torch.tensor(cat_cols, dtype=torch.long, device=self.device)
        special = set(num_cols) | set(cat_cols)
        other = [j for j in range(shape.n_inputs) if j not in special]
        self._other_idx = torch.tensor(other, dtype=torch.long, device=self.device)
        n_emb_out = 0
        if cat_cols:
            sizes = [c + 1 for c in shape.cardinalities]
            offsets = [0, *list(torch.tensor(sizes).cumsum(0)[:-1].tolist())]
            self._cat_offsets = torch.tensor(offsets, dtype=torch.long, device=self.device)
            self._add("cat_emb", _normal(gens, (sum(sizes), CATEGORY_DIM), 1.0))
        if num_cols and shape.numerical_embedding == "periodic":
            f, h, d = len(num_cols), PERIODIC_FREQUENCIES, PERIODIC_DIM - 1
            self._add("emb_w1", _normal(gens, (f, 1, h), PERIODIC_SIGMA), lr=0.1)
            self._add("emb_b1", _uniform(gens, (f, 1, h), math.pi), lr=0.1)
            self._add("emb_w2", _uniform(gens, (f, h, d), 1 / math.sqrt(h)), lr=0.1)
            self._add("emb_b2", _uniform(gens, (f, 1, d), 1 / math.sqrt(h)), lr=0.1)
            n_emb_out = f * PERIODIC_DIM
        elif num_cols and shape.numerical_embedding == "piecewise_linear":
            f = len(num_cols)
            edges = torch.full((f, PL_BINS + 1), float("inf"))
            for i, e in enumerate(shape.bin_edges):
                edges[i, : len(e)] = torch.tensor(e, dtype=torch.float32)
            self._edges = edges.to(self.device)
            self._add("emb_w", _uniform(gens, (f, PL_BINS, PL_DIM), 1 / math.sqrt(PL_BINS)))
            self._add("emb_b", _uniform(gens, (f, 1, PL_DIM), 1 / math.sqrt(PL_BINS)))
            n_emb_out = f * PL_DIM
        elif shape.numerical_embedding not in ("none", "periodic", "piecewise_linear"):
            raise ValueError(f"unknown numerical embedding {shape.numerical_embedding!r}")
        n_in = len(other) + n_emb_out + len(cat_cols) * CATEGORY_DIM
        if ntk:
            self._add("scale", torch.ones(self.M, n_in), lr=6.0, wd=0.0)
        widths = [n_in] + [shape.width] * shape.num_layers + [shape.n_outputs]
        for i in range(len(widths) - 1):
            fan_in, fan_out = widths[i], widths[i + 1]
            if ntk:
                self._add(f"w{i}", _normal(gens, (fan_in, fan_out), 1.0))
                self._add(f"b{i}", torch.zeros(self.M, 1, fan_out), lr=0.1, wd=0.0)
            else:
                bound = 1 / math.sqrt(fan_in)
                self._add(f"w{i}", _uniform(gens, (fan_in, fan_out), bound))
                self._add(f"b{i}", _uniform(gens, (1, fan_out), bound))
            last = i == len(widths) - 2
            if not last:
                if shape.normalization in ("batchnorm", "layernorm"):
                    nwd = 0.0 if ntk else 1.0  # torch's optimizers decay them too
                    self._add(f"g{i}", torch.ones(self.M, 1, fan_out), wd=nwd)
                    self._add(f"n{i}", torch.zeros(self.M, 1, fan_out), wd=nwd)
                if shape.normalization == "batchnorm":
                    self.buffers.running_mean.append(torch.zeros(self.M, 1, fan_out))
                    self.buffers.running_var.append(torch.ones(self.M, 1, fan_out))
                if ntk:
                    self._add(f"a{i}", torch.ones(self.M, 1, fan_out), lr=0.1)
        for p in self.params.values():
            p.value = p.value.to(self.device)
        self.buffers.running_mean = [t.to(self.device) for t in self.buffers.running_mean]
        self.buffers.running_var = [t.to(self.device) for t in self.buffers.running_var]
        if ntk and data_init:
            if init_batch is None:
                raise ValueError("the ntk parametrization needs an initialisation batch")
            self._data_init(init_batch.to(self.device), gens)
        for p in self.params.values():
            p.value.requires_grad_(True)

    def _add(self, name: str, value: torch.Tensor, lr: float = 1.0, wd: float = 1.0) -> None:
        self.params[name] = TensorParam(name, value.float(), lr, wd)

    @property
    def n_linear(self) -> int:
        return self.shape.num_layers + 1

    # -- forward ---------------------------------------------------------------------------------
    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        parts = [x.index_select(-1, self._other_idx)]
        if self._num_idx.numel():
            parts.append(self._embed_numeric(x.index_select(-1, self._num_idx)))
        if self._cat_idx.numel():
            codes = x.index_select(-1, self._cat_idx).long() + self._cat_offsets  # (M, B, c)
            table = self.params["cat_emb"].value  # (M, V, d)
            M, B, c = codes.shape
            rows = torch.arange(M, device=x.device)[:, None]
            emb = table[rows, codes.reshape(M, B * c)]  # (M, B * c, d)
            parts.append(emb.reshape(M, B, c * CATEGORY_DIM))
        return parts[0] if len(parts) == 1 else torch.cat(parts, dim=-1)

    def _embed_numeric(self, xn: torch.Tensor) -> torch.Tensor:
        """Embeddings of the numeric columns ``xn`` (M, B, f) -> (M, B, f * dim)."""
        kind = self.shape.numerical_embedding
        p = self.params
        if kind == "periodic":
            z = xn.transpose(1, 2).unsqueeze(-1)  # (M, f, B, 1)
            z = torch.cos(2 * math.pi * (z @ p["emb_w1"].value) + p["emb_b1"].value)
            z = z @ p["emb_w2"].value + p["emb_b2"].value  # (M, f, B, d-1)
            z = torch.cat([z, xn.transpose(1, 2).unsqueeze(-1)], dim=-1)  # densenet: raw value
        else:
            e = self._edges  # (f, T+1)
            lo, hi = e[:, :-1], e[:, 1:]
            width = torch.where(torch.isfinite(hi - lo) & (hi > lo), hi - lo, torch.ones_like(lo))
            t = (xn.unsqueeze(-1) - lo) / width  # (M, B, f, T)
            t = torch.where(torch.isfinite(hi), t, torch.zeros_like(t))
            n_bins = torch.isfinite(hi).sum(dim=1)  # (f,)
            bin_idx = torch.arange(PL_BINS, device=xn.device)
            first, lastb = bin_idx == 0, bin_idx[None, :] == (n_bins[:, None] - 1)
            t = torch.where(first, torch.clamp(t, max=1.0), t)
            t = torch.where(lastb, torch.clamp(t, min=0.0), t)
            mid = ~first[None, :] & ~lastb
            t = torch.where(mid, t.clamp(0.0, 1.0), t)
            z = t.permute(0, 2, 1, 3) @ p["emb_w"].value + p["emb_b"].value  # (M, f, B, d)
        return z.transpose(1, 2).reshape(xn.shape[0], xn.shape[1], -1)

    def forward(
        self,
        x: torch.Tensor,
        dropout: torch.Tensor | None = None,
        generators: Sequence[torch.Generator] | None = None,
        collect: list[torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """``x``: ``(M, B, F)``; ``dropout``: ``(M,)`` probabilities (training only)."""
        s = self.shape
        ntk = s.parametrization == "ntk"
        act = _ACT[s.activation]
        p = self.params
        h = self._embed(x)
        if ntk:
            h = h * p["scale"].value[:, None, :]
        for i in range(self.n_linear):
            w = p[f"w{i}"].value
            h = h @ w
            if ntk:
                h = h * (1.0 / math.sqrt(w.shape[1]))
            if collect is not None:
                collect.append(h)
            h = h + p[f"b{i}"].value
            if i == self.n_linear - 1:
                break
            h = self._normalize(h, i)
            a = act(h)
            h = h + (a - h) * p[f"a{i}"].value if ntk else a
            if self.training and dropout is not None and bool((dropout > 0).any()):
                h = _dropout(h, dropout, generators)
        return h

    def _normalize(self, h: torch.Tensor, i: int) -> torch.Tensor:
        kind = self.shape.normalization
        if kind == "none":
            return h
        g, b = self.params[f"g{i}"].value, self.params[f"n{i}"].value
        if kind == "layernorm":
            d = h - h.mean(dim=-1, keepdim=True)
            var = (d * d).mean(dim=-1, keepdim=True)
            return d / torch.sqrt(var + _BN_EPS) * g + b
        if self.training:
            # mean of squared deviations: Tensor.var's value, far cheaper over a stack's batch
            mean = h.mean(dim=1, keepdim=True)
            d = h - mean
            var = (d * d).mean(dim=1, keepdim=True)
            n = h.shape[1]
            with torch.no_grad():
                rm, rv = self.buffers.running_mean[i], self.buffers.running_var[i]
                rm.mul_(1 - _BN_MOMENTUM).add_(_BN_MOMENTUM * mean)
                unbiased = var * (n / max(n - 1, 1))
                rv.mul_(1 - _BN_MOMENTUM).add_(_BN_MOMENTUM * unbiased)
        else:
            mean, var = self.buffers.running_mean[i], self.buffers.running_var[i]
            d = h - mean
        return d / torch.sqrt(var + _BN_EPS) * g + b

    # -- the ntk parametrization's data-dependent initialisation ---------------------------------
    @torch.no_grad()
    def _data_init(self, batch: torch.Tensor, gens: Sequence[torch.Generator]) -> None:
        x = batch.unsqueeze(0).expand(self.M, -1, -1)
        was = self.training
        self.training = True
        p = self.params
        for i in range(self.n_linear):
            # one pass up to layer i with the current (already initialised) lower layers
            pre: list[torch.Tensor] = []
            self._forward_to(x, i, pre)
            z = pre[-1]  # (M, N, out): x W / sqrt(fan_in), without bias
            std = z.std(dim=1, unbiased=False, keepdim=True).clamp_min(1e-8)  # (M, 1, out)
            p[f"w{i}"].value.div_(std)
            z = z / std
            n = z.shape[1]
            bias = []
            for m, g in enumerate(gens):
                idx = torch.randint(0, n, (z.shape[2], 5), generator=g).to(z.device)
                wts = -torch.log(torch.rand((z.shape[2], 5), generator=g)).to(z.device)
                wts = wts / wts.sum(dim=1, keepdim=True)
                cols = torch.arange(z.shape[2], device=z.device)
                picked = torch.stack([z[m, idx[:, k], cols] for k in range(5)], dim=1)
                bias.append(-(picked * wts).sum(dim=1))
            p[f"b{i}"].value.copy_(torch.stack(bias)[:, None, :])
        self.training = was
        for buf in self.buffers.running_mean:
            buf.zero_()
        for buf in self.buffers.running_var:
            buf.fill_(1.0)

    def _forward_to(self, x: torch.Tensor, layer: int, pre: list[torch.Tensor]) -> None:
        s, p = self.shape, self.params
        act = _ACT[s.activation]
        h = self._embed(x) * p["scale"].value[:, None, :]
        for i in range(layer + 1):
            w = p[f"w{i}"].value
            z = (h @ w) * (1.0 / math.sqrt(w.shape[1]))
            if i == layer:
                pre.append(z)
                return
            h = self._normalize(z + p[f"b{i}"].value, i)
            a = act(h)
            h = h + (a - h) * p[f"a{i}"].value

    # -- model bookkeeping -----------------------------------------------------------------------
    def keep(self, index: torch.Tensor) -> None:
        """Keep only the models at ``index`` (drop the others from the stack)."""
        for p in self.params.values():
            p.value = p.value.detach()[index].clone().requires_grad_(True)
        self.buffers.running_mean = [b[index].clone() for b in self.buffers.running_mean]
        self.buffers.running_var = [b[index].clone() for b in self.buffers.running_var]
        self.M = int(index.numel())

    def state(self, m: int) -> dict[str, torch.Tensor]:
        """A copy of model ``m``'s parameters and buffers."""
        out = {k: p.value.detach()[m].clone() for k, p in self.params.items()}
        for i, b in enumerate(self.buffers.running_mean):
            out[f"rm{i}"] = b[m].clone()
        for i, b in enumerate(self.buffers.running_var):
            out[f"rv{i}"] = b[m].clone()
        return out

    def load_state(self, m: int, state: Mapping[str, torch.Tensor]) -> None:
        with torch.no_grad():
            for k, p in self.params.items():
                p.value[m].copy_(state[k])
            for i, b in enumerate(self.buffers.running_mean):
                b[m].copy_(state[f"rm{i}"])
            for i, b in enumerate(self.buffers.running_var):
                b[m].copy_(state[f"rv{i}"])

    def parameters(self) -> list[TensorParam]:
        return list(self.params.values())

    @classmethod
    def from_state(
        cls,
        shape: Shape,
        state: Mapping[str, torch.Tensor],
        device: torch.device | None = None,
        dtype: torch.dtype = torch.float32,
    ) -> StackedMLP:
        """One model (``M`` = 1) with the parameters of :meth:`state`, in ``dtype`` (float64:
        predictions do not depend on how rows are batched)."""
        net = cls(shape, [torch.Generator().manual_seed(0)], device=device, data_init=False)
        net.load_state(0, {k: v.to(net.device) for k, v in state.items()})
        with torch.no_grad():
            for p in net.params.values():
                p.value = p.value.detach().to(dtype)
            net.buffers.running_mean = [b.to(dtype) for b in net.buffers.running_mean]
            net.buffers.running_var = [b.to(dtype) for b in net.buffers.running_var]
            if hasattr(net, "_edges"):
                net._edges = net._edges.to(dtype)
        net.training = False
        return net


def _dropout(
    h: torch.Tensor, p: torch.Tensor, generators: Sequence[torch.Generator] | None
) -> torch.Tensor:
    """Inverted dropout with a probability per model; each model's mask from its own stream."""
    M, B, D = h.shape
    if generators is not None:
        u = torch.stack([torch.rand((B, D), generator=g, device=g.device) for g in generators])
    else:
        u = torch.rand((M, B, D), device=h.device)
    keep = 1.0 - p.view(M, 1, 1)
    return h * (u < keep) / keep.clamp_min(1e-6)
