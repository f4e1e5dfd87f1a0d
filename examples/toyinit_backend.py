"""initcheck adapter for toyinit: ``initcheck run --backend toyinit_backend:ToyBackend``."""

import numpy as np

import toyinit


class ToyBackend:
    name = "toyinit"
    version = toyinit.__version__
    dtypes = ("float32", "float64")

    def fill(self, spec, shape, dtype, seed):
        rng = np.random.default_rng(seed)  # a pure function of the seed (SPEC §5)
        p = spec.params
        if spec.name in ("Zero", "One", "Constant"):
            value = {"Zero": 0.0, "One": 1.0, "Constant": p.get("value")}[spec.name]
            return toyinit.constant(shape, value, dtype)
        if spec.name == "Normal":
            return toyinit.normal(shape, p["sigma"], rng, dtype, mean=p["mean"])
        if spec.name == "Uniform":
            return toyinit.uniform(shape, p["scale"], rng, dtype)
        if spec.name in ("HeUniform", "HeNormal"):
            gain = toyinit.gain(p["nonlinearity"], p["negative_slope"])
            law = "uniform" if spec.name == "HeUniform" else "normal"
            return toyinit.kaiming(shape, rng, dtype, gain, p["mode"], law)
        if spec.name == "XavierNormal":
            return toyinit.glorot_normal(shape, rng, dtype, p["gain"])
        raise NotImplementedError(f"toyinit has no {spec.name}")

    def fans(self, shape):
        return toyinit.fans(shape)

    def gain(self, nonlinearity, param=None):
        return toyinit.gain(nonlinearity, param)


class ToyBackendWithABug(ToyBackend):
    """What a red run looks like: HeUniform filled as if fan_in and fan_out were swapped."""

    def fill(self, spec, shape, dtype, seed):
        if spec.name == "HeUniform" and len(shape) >= 2:
            swapped = (shape[1], shape[0], *shape[2:])
            return super().fill(spec, swapped, dtype, seed).reshape(shape)
        return super().fill(spec, shape, dtype, seed)
