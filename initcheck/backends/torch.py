"""Adapter for PyTorch's ``torch.nn.init`` (SPEC §5).

How each catalog initializer (SPEC §2) is expressed in ``torch.nn.init``:

===================  ===========================================================
catalog spec         torch call (``t`` is a fresh CPU tensor of the target dtype)
===================  ===========================================================
Zero / One           ``zeros_(t)`` / ``ones_(t)``
Constant(value)      ``constant_(t, value)``
Normal(sigma, mean)  ``normal_(t, mean, sigma)``
Uniform(scale)       ``uniform_(t, -scale, scale)``
TruncatedNormal      ``trunc_normal_(t, mean, sigma, a, b)``: torch's bounds are
                     absolute values, as in the catalog, so they pass unchanged
XavierUniform/Normal ``xavier_uniform_(t, gain)`` / ``xavier_normal_(t, gain)``
HeUniform/HeNormal   ``kaiming_uniform_(t, a=negative_slope, mode, nonlinearity)``
                     / ``kaiming_normal_(...)``
VarianceScaling      not provided: ``torch.nn.init`` has no variance scaling
Orthogonal(gain)     ``orthogonal_(t, gain)``; torch's CPU QR has no float16 or
                     bfloat16 kernel, so those dtypes raise torch's own
                     NotImplementedError (shown as not provided)
Identity             ``eye_(t)``
Dirac(groups)        ``dirac_(t, groups)``
Sparse(sparsity, σ)  ``sparse_(t, sparsity, std=sigma)``
unknown names        not provided: torch has no string aliases
===================  ===========================================================

Layout: torch weights are ``(out, in, *kernel)``, the reference layout; no
transpose. Seeds: every random fill gets its own
``torch.Generator().manual_seed(seed)`` as ``generator=``, so a fill never reads
or advances torch's global RNG. Where torch itself ignores ``generator`` (its
``sparse_`` draws the zero rows from the global RNG) the adapter does not paper
over it: the determinism check is meant to see that.

``layer`` builds ``torch.nn.Linear`` / ``torch.nn.Conv2d`` from MindSpore config
names (``in_channels``, ``out_channels``, ``kernel_size``, ``has_bias``,
``group``; MindSpore's defaults: Dense has a bias, Conv2d has none). Module
constructors take no generator, so the global RNG is seeded inside
``torch.random.fork_rng`` and restored afterwards. bfloat16 results are
converted to numpy through float32, which holds every bfloat16 value exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TorchBackend"]

# MindSpore layer config keys that do not change which parameters a layer has
# or how they are initialised.
_SHAPE_NEUTRAL_CONV_KEYS = ("stride", "pad_mode", "padding", "dilation", "data_format")


class TorchBackend:
    """``torch.nn.init`` as an initcheck backend (see the module docstring)."""

    name = "torch"
    dtypes = ("float16", "bfloat16", "float32", "float64")

    def __init__(self) -> None:
        import torch
        import torch.nn.init

        self._torch = torch
        self._init = torch.nn.init
        self.version = torch.__version__
        self._torch_dtypes = {
            "float16": torch.float16,
            "bfloat16": torch.bfloat16,
            "float32": torch.float32,
            "float64": torch.float64,
        }

    def _to_numpy(self, tensor, dtype: str) -> np.ndarray:
        if dtype == "bfloat16":
            import ml_dtypes

            return tensor.float().numpy().astype(ml_dtypes.bfloat16)
        return tensor.numpy()

    def fill(self, spec, shape, dtype, seed):
        torch_dtype = self._torch_dtypes.get(dtype)
        if torch_dtype is None:
            raise ValueError(f"dtype must be one of {self.dtypes}, got {dtype!r}")
        torch, init, p = self._torch, self._init, spec.params
        tensor = torch.empty(tuple(shape), dtype=torch_dtype)
        generator = torch.Generator().manual_seed(int(seed))
        name = spec.name
        with torch.no_grad():
            if name == "Zero":
                init.zeros_(tensor)
            elif name == "One":
                init.ones_(tensor)
            elif name == "Constant":
                init.constant_(tensor, p["value"])
            elif name == "Normal":
                init.normal_(tensor, p["mean"], p["sigma"], generator=generator)
            elif name == "Uniform":
                init.uniform_(tensor, -p["scale"], p["scale"], generator=generator)
            elif name == "TruncatedNormal":
                init.trunc_normal_(
                    tensor, p["mean"], p["sigma"], p["a"], p["b"], generator=generator
                )
            elif name == "XavierUniform":
                init.xavier_uniform_(tensor, p["gain"], generator=generator)
            elif name == "XavierNormal":
                init.xavier_normal_(tensor, p["gain"], generator=generator)
            elif name in ("HeUniform", "HeNormal"):
                kaiming = init.kaiming_uniform_ if name == "HeUniform" else init.kaiming_normal_
                kaiming(
                    tensor,
                    a=p["negative_slope"],
                    mode=p["mode"],
                    nonlinearity=p["nonlinearity"],
                    generator=generator,
                )
            elif name == "Orthogonal":
                init.orthogonal_(tensor, p["gain"], generator=generator)
            elif name == "Identity":
                init.eye_(tensor)
            elif name == "Dirac":
                init.dirac_(tensor, p["groups"])
            elif name == "Sparse":
                init.sparse_(tensor, p["sparsity"], std=p["sigma"], generator=generator)
            elif name == "VarianceScaling":
                raise NotImplementedError("torch.nn.init has no variance-scaling initializer")
            else:
                raise NotImplementedError(
                    f"torch.nn.init has no initializer called {name!r} (and no string aliases)"
                )
        return self._to_numpy(tensor, dtype)

    def fans(self, shape):
        # A meta tensor has a shape but no storage: fans of huge shapes cost nothing.
        tensor = self._torch.empty(tuple(shape), device="meta")
        return self._init._calculate_fan_in_and_fan_out(tensor)

    def gain(self, nonlinearity, param=None):
        return self._init.calculate_gain(nonlinearity, param)

    def layer(self, kind, config, seed):
        torch = self._torch
        config = dict(config)
        if kind == "Dense":
            allowed = ("in_channels", "out_channels", "has_bias")
        elif kind == "Conv2d":
            allowed = ("in_channels", "out_channels", "kernel_size", "has_bias", "group")
            allowed += _SHAPE_NEUTRAL_CONV_KEYS
        else:
            raise NotImplementedError(f"the torch adapter has no layer kind {kind!r}")
        unknown = sorted(set(config) - set(allowed))
        if unknown:
            raise NotImplementedError(
                f"torch adapter: {kind} config keys {unknown} have no torch translation "
                "(it builds default-initialised layers only)"
            )
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            if kind == "Dense":
                module = torch.nn.Linear(
                    config["in_channels"],
                    config["out_channels"],
                    bias=config.get("has_bias", True),
                )
            else:
                module = torch.nn.Conv2d(
                    config["in_channels"],
                    config["out_channels"],
                    config["kernel_size"],
                    groups=config.get("group", 1),
                    bias=config.get("has_bias", False),
                )
        return {
            name: param.detach().numpy().copy() for name, param in module.named_parameters()
        }
