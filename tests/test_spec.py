"""Spec (SPEC §5), the report schema (SPEC §7) and the backend loader."""

import json
import math
import sys
import types

import pytest

from initcheck.backends import BackendLoadError, available_backends, load_backend, validate_backend
from initcheck.results import CHECK_KINDS, SCHEMA, CheckResult, Report
from initcheck.spec import ALIASES, CATALOG, Spec, canonical_name


# -- Spec -----------------------------------------------------------------------


def test_catalog_has_the_fifteen_initializers_of_spec_section_2():
    assert list(CATALOG) == ["Zero", "One", "Constant", "Normal", "Uniform", "TruncatedNormal",
                             "XavierUniform", "XavierNormal", "HeUniform", "HeNormal",
                             "VarianceScaling", "Orthogonal", "Identity", "Dirac", "Sparse"]
    assert dict(CATALOG["TruncatedNormal"]) == {"sigma": 0.01, "mean": 0.0, "a": -2.0, "b": 2.0}
    assert dict(CATALOG["VarianceScaling"]) == {"scale": 1.0, "mode": "fan_in",
                                                "distribution": "truncated_normal"}


def test_defaults_filled_and_str():
    s = Spec.make("he_uniform", mode="fan_out")
    assert s.name == "HeUniform"
    assert s.params == {"negative_slope": 0, "mode": "fan_out", "nonlinearity": "leaky_relu"}
    assert str(s) == "HeUniform(negative_slope=0, mode='fan_out', nonlinearity='leaky_relu')"
    s.params["mode"] = "changed"  # a fresh dict: the spec is immutable
    assert s.params["mode"] == "fan_out"


def test_hashable_and_equal_by_value():
    a, b = Spec.make("Normal", sigma=0.2), Spec.make("normal", sigma=0.2)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Spec.make("Normal", sigma=0.3)
    assert a.replace(sigma=0.3) == Spec.make("Normal", sigma=0.3)


@pytest.mark.parametrize("spec", [Spec.make("Sparse", sparsity=0.1), Spec.make("Constant", value=-2),
                                  Spec.make("VarianceScaling", mode="fan_avg"), Spec.make("Dirac", groups=3)])
def test_json_and_parse_round_trip(spec):
    assert Spec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
    assert Spec.parse(str(spec)) == spec


def test_parse_bare_name_and_nonfinite():
    assert Spec.parse("Zero") == Spec.make("Zero")
    assert math.isinf(Spec.parse("Normal(sigma=inf)").params["sigma"])
    with pytest.raises(ValueError):
        Spec.parse("Normal(sigma=abs(1))")
    with pytest.raises(ValueError):
        Spec.parse("Normal(")


def test_make_errors_name_the_argument():
    with pytest.raises(ValueError, match="'kaiming'"):
        Spec.make("kaiming")
    with pytest.raises(TypeError, match="scale"):
        Spec.make("Normal", scale=1.0)
    with pytest.raises(TypeError, match="sparsity"):
        Spec.make("Sparse")
    with pytest.raises(TypeError):
        Spec.make("Normal", sigma=[0.1])
    with pytest.raises(TypeError):
        canonical_name(3)


def test_aliases():
    assert ALIASES["zeros"] == "Zero" and ALIASES["xavier_normal"] == "XavierNormal"
    assert all(ALIASES[name.lower()] == name for name in CATALOG)


# -- results --------------------------------------------------------------------


def _result(**kw):
    fields = dict(id="Normal|ks|4x4|float32", spec="Normal(sigma=0.01, mean=0.0)", initializer="Normal",
                  params={"sigma": 0.01, "mean": 0.0}, shape=[4, 4], dtype="float32", check="ks",
                  outcome="passed", statistic=0.01, threshold=0.02, n=16, seed=3,
                  detectable="CDF off by >= 0.5", message="ok")
    fields.update(kw)
    return CheckResult(**fields)


def test_check_result_validates_kind_and_outcome():
    with pytest.raises(ValueError, match="check"):
        _result(check="kss")
    with pytest.raises(ValueError, match="outcome"):
        _result(outcome="maybe")
    assert _result(outcome="skipped").ok and not _result(outcome="error").ok
    assert len(CHECK_KINDS) == 20


def test_report_json_schema_and_round_trip(tmp_path):
    report = Report("torch", "2.13.0", {"budget": "quick", "seed": 0, "alpha": 1e-6},
                    [_result(), _result(outcome="failed", statistic=math.inf, params={"sigma": math.nan}),
                     _result(outcome="error"), _result(outcome="skipped")])
    assert report.summary == {"passed": 1, "failed": 1, "skipped": 1, "errors": 1}
    assert not report.ok
    path = tmp_path / "r.json"
    report.write_json(path)
    data = json.loads(path.read_text())  # strict JSON: no NaN/Infinity tokens
    assert list(data)[:5] == ["schema", "backend", "settings", "summary", "results"]
    assert data["schema"] == SCHEMA and data["backend"] == {"name": "torch", "version": "2.13.0"}
    assert data["results"][1]["statistic"] == "inf"
    back = Report.from_json(data)
    assert back.results[1].statistic == math.inf
    assert [r.outcome for r in back.results] == [r.outcome for r in report.results]
    with pytest.raises(ValueError):
        Report.from_json({**data, "schema": "other/1"})


# -- backends loader ----------------------------------------------------------------


class _Good:
    name, version, dtypes = "good", "1", ("float32",)

    def fill(self, spec, shape, dtype, seed):
        raise NotImplementedError


@pytest.fixture
def fake_module(monkeypatch):
    module = types.ModuleType("h3_fake_backends")
    module.instance = _Good()
    module.Klass = _Good
    module.factory = lambda: _Good()
    module.not_a_backend = object()

    class BadDtypes(_Good):
        dtypes = ("float8",)

    module.BadDtypes = BadDtypes

    def broken_import():
        raise ImportError("no libfoo")

    module.broken_import = broken_import
    monkeypatch.setitem(sys.modules, "h3_fake_backends", module)
    return module


@pytest.mark.parametrize("attr", ["instance", "Klass", "factory"])
def test_load_by_module_attr(fake_module, attr):
    assert load_backend(f"h3_fake_backends:{attr}").name == "good"


@pytest.mark.parametrize(
    "name, needle",
    [("h3_fake_backends:missing", "no attribute"), ("h3_fake_backends:not_a_backend", "lacks"),
     ("h3_fake_backends:BadDtypes", "float8"), ("h3_fake_backends:broken_import", "no libfoo"),
     ("no_such_module_h3:X", "cannot import"), ("nosuch", "registered backends"), ("", "non-empty")],
)
def test_load_errors_say_why(fake_module, name, needle):
    with pytest.raises(BackendLoadError, match=needle):
        load_backend(name)


def test_registered_backends_and_reference_loads():
    assert {"reference", "torch", "jax", "mindspore"} <= set(available_backends())
    ref = load_backend("reference")
    assert ref.name == "reference" and set(ref.dtypes) == {"float16", "bfloat16", "float32", "float64"}
    assert validate_backend(ref) is ref
