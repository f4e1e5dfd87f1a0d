"""The battery plan: coverage, fan ratios, stable ids and seeds, selection."""

import math
import shlex
from collections import defaultdict

import pytest
from independent_backend import NumpyBackend

from initcheck.battery import BUDGETS, Case, derive_seed, plan, spec_label
from initcheck.laws import fan_in_and_fan_out, law_for
from initcheck.results import CHECK_KINDS
from initcheck.spec import CATALOG, Spec

BACKEND = NumpyBackend()
QUICK = plan(BACKEND)


class Minimal:
    """Only the required protocol members: no fans, gain or layer."""

    name, version, dtypes = "minimal", "0", ("float32", "float16")

    def fill(self, spec, shape, dtype, seed):
        raise AssertionError("plan never fills")


def test_every_check_kind_and_initializer_and_dtype_is_planned():
    assert {c.check for c in QUICK} == set(CHECK_KINDS)
    assert {c.spec.name for c in QUICK if c.spec is not None} >= set(CATALOG)
    assert {c.dtype for c in QUICK if c.check == "ks"} == set(BACKEND.dtypes)
    for name in CATALOG:
        dtypes = {c.dtype for c in QUICK if c.spec is not None and c.spec.name == name and c.check != "rejects"}
        assert dtypes == set(BACKEND.dtypes), name


def test_ids_unique_stable_and_readable():
    ids = [c.id for c in QUICK]
    assert len(ids) == len(set(ids))
    assert ids == [c.id for c in plan(BACKEND)]
    assert "HeUniform(mode=fan_out,nonlinearity=relu)|ks|" in " ".join(ids)
    for i in ids:
        assert shlex.split(shlex.quote(i)) == [i]
        assert i.count("|") == 3 and " " not in i and "'" not in i


def test_seeds_derive_from_run_seed_and_fill():
    by_fill = defaultdict(set)
    for c in QUICK:
        by_fill[(c.spec, c.shape, c.dtype)].add(c.seed)
    assert all(len(s) == 1 for key, s in by_fill.items() if key[0] is not None)
    other = plan(BACKEND, seed=1)
    assert [c.id for c in other] == [c.id for c in QUICK]
    assert sum(a.seed == b.seed for a, b in zip(QUICK, other)) == 0
    assert all(0 <= c.seed < 2**31 for c in QUICK)
    assert derive_seed(0, "x") == derive_seed(0, "x") != derive_seed(0, "y")


def test_fan_ratios_both_ways_for_every_fan_based_initializer():
    ratios = defaultdict(list)
    for c in QUICK:
        if c.check == "ks" and c.spec.name in ("XavierUniform", "XavierNormal", "HeUniform", "HeNormal",
                                               "VarianceScaling"):
            fan_in, fan_out = fan_in_and_fan_out(c.shape)
            ratios[c.spec].append(fan_in / fan_out)
    assert len(ratios) >= 20
    for spec, rs in ratios.items():
        assert max(rs) >= 2 and min(rs) <= 0.5, (spec, rs)


def test_shapes_cover_ranks_kernels_and_non_square():
    shapes = {c.shape for c in QUICK if c.shape is not None and c.check not in ("rejects",)}
    assert {len(s) for s in shapes} >= {2, 3, 4, 5}
    kernels = [s[2:] for s in shapes if len(s) >= 3]
    assert any(all(k % 2 for k in ks) for ks in kernels) and any(any(k % 2 == 0 for k in ks) for ks in kernels)
    for name in ("Identity", "Orthogonal"):
        ks = {c.shape for c in QUICK if c.spec is not None and c.spec.name == name and c.check == "shape"}
        assert any(s[0] < math.prod(s[1:]) for s in ks) and any(s[0] > math.prod(s[1:]) for s in ks)
        assert any(s[0] == math.prod(s[1:]) for s in ks)


def test_parameter_settings_cover_modes_nonlinearities_distributions_groups_sparsities():
    specs = {c.spec for c in QUICK if c.spec is not None and c.check == "shape"}
    vs = {(s.params["mode"], s.params["distribution"]) for s in specs if s.name == "VarianceScaling"}
    assert len(vs) == 9
    he = {s.params["nonlinearity"] for s in specs if s.name.startswith("He")}
    assert {"leaky_relu", "relu", "tanh", "linear", "sigmoid"} <= he
    assert {s.params["mode"] for s in specs if s.name.startswith("He")} == {"fan_in", "fan_out"}
    assert len({s.params["negative_slope"] for s in specs if s.name.startswith("He")}) >= 3
    assert {s.params["groups"] for s in specs if s.name == "Dirac"} >= {1, 2, 3, 4}
    assert len({s.params["sparsity"] for s in specs if s.name == "Sparse"}) >= 4
    assert len({s.params["gain"] for s in specs if s.name.startswith("Xavier")}) >= 3


@pytest.mark.parametrize("budget", list(BUDGETS))
def test_statistical_fills_have_the_budget_sample_size(budget):
    b = BUDGETS[budget]
    sizes = [math.prod(c.shape) for c in plan(BACKEND, budget=budget, checks=["ks"], dtypes=["float32"])
             if c.spec.name not in ("Sparse",)]
    assert min(sizes) >= 0.9 * b.samples and max(sizes) <= 1.1 * b.samples, (min(sizes), max(sizes))
    for (first, second) in b.fan_shape_pairs:
        ri, ro = fan_in_and_fan_out(first), fan_in_and_fan_out(second)
        assert ri[0] / ri[1] >= 2 and ro[0] / ro[1] <= 0.5


def test_every_planned_valid_fill_has_a_law():
    for c in QUICK:
        if c.spec is not None and c.check not in ("rejects",):
            law_for(c.spec, c.shape, c.dtype)


def test_only_globs_case_insensitive():
    cases = plan(BACKEND, only="he*,SPARSE")
    assert {c.spec.name for c in cases} == {"HeUniform", "HeNormal", "Sparse"}
    assert plan(BACKEND, only=["fans"])[0].check == "fans"
    with pytest.raises(ValueError, match="'Spars'"):
        plan(BACKEND, only="He*,Spars")
    with pytest.raises(ValueError):
        plan(BACKEND, only=" , ")


def test_dtypes_and_arguments_validated():
    cases = plan(BACKEND, dtypes=["float16"])
    assert {c.dtype for c in cases if c.dtype} == {"float16"}
    assert all("--dtypes float16" in c.run_args for c in cases)
    with pytest.raises(ValueError, match="float8"):
        plan(BACKEND, dtypes=["float8"])
    with pytest.raises(ValueError, match="budget"):
        plan(BACKEND, budget="huge")
    with pytest.raises(ValueError, match="seed"):
        plan(BACKEND, seed=-1)
    with pytest.raises(ValueError, match="check kind"):
        plan(BACKEND, checks=["kss"])
    with pytest.raises(ValueError, match="float64"):
        plan(Minimal(), dtypes=["float64"])


def test_optional_capabilities_only_when_present():
    kinds = {c.check for c in plan(Minimal())}
    assert not kinds & {"fans", "gain", "layer-default"}
    assert {c.dtype for c in plan(Minimal()) if c.dtype} == {"float32", "float16"}


def test_case_labels():
    assert spec_label(Spec.make("HeUniform")) == "HeUniform"
    assert spec_label(Spec.make("Sparse", sparsity=0.1)) == "Sparse(sparsity=0.1)"
    c = QUICK[0]
    assert isinstance(c, Case) and c.budget == "quick" and c.alpha == 1e-6
    assert c.fill_key == (c.spec, c.shape, c.dtype, c.seed)
