"""reference.nn layers: forward passes against direct numpy loops written here.

The oracles below compute each output element from its definition (loops over output
positions or kernel taps), independently of reference.nn's im2col kernels. Hypothesis
draws kernel sizes, strides, dilations, pad modes, explicit paddings and groups.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import reference as ms
from reference import nn

SETTINGS = settings(max_examples=40, deadline=None)


# -- oracles -------------------------------------------------------------------------------


def same_pads(length, kernel, stride, dilation):
    """TensorFlow/MindSpore 'same': output ceil(length / stride), extra padding at the end."""
    out = math.ceil(length / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - length, 0)
    return total // 2, total - total // 2


def direct_conv(x, w, stride, dilation, pads, group):
    """out[n, o, p] = sum over the group's channels c and taps t of xpad[n, c, p*s + t*d] * w[o, c, t]."""
    xp = np.pad(x.astype(np.float64), [(0, 0), (0, 0)] + list(pads))
    n, c = x.shape[:2]
    o = w.shape[0]
    kernel = w.shape[2:]
    out_shape = [
        (xp.shape[2 + i] - (kernel[i] - 1) * dilation[i] - 1) // stride[i] + 1 for i in range(len(kernel))
    ]
    out = np.zeros((n, o, *out_shape))
    cg, og = c // group, o // group
    for pos in itertools.product(*(range(m) for m in out_shape)):
        for tap in itertools.product(*(range(k) for k in kernel)):
            src = tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))
            for g in range(group):
                xs = xp[(slice(None), slice(g * cg, (g + 1) * cg)) + src]  # (N, C/g)
                ws = w[(slice(g * og, (g + 1) * og), slice(None)) + tap]  # (O/g, C/g)
                out[(slice(None), slice(g * og, (g + 1) * og)) + pos] += xs @ ws.T.astype(np.float64)
    return out


def direct_conv_transpose(x, w, stride, dilation, pad_low, out_shape, group):
    """Scatter: every input element x[n, c, i] adds x * w[c, o, t] at full[n, o, i*s + t*d];
    output element p is full[p + pad_low] (zero beyond the full result)."""
    n, c = x.shape[:2]
    kernel = w.shape[2:]
    og = w.shape[1]
    cg = c // group
    full_shape = [(x.shape[2 + i] - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 for i in range(len(kernel))]
    full = np.zeros((n, og * group, *full_shape))
    for pos in itertools.product(*(range(m) for m in x.shape[2:])):
        for tap in itertools.product(*(range(k) for k in kernel)):
            dst = tuple(p * s + t * d for p, s, t, d in zip(pos, stride, tap, dilation))
            for g in range(group):
                xs = x[(slice(None), slice(g * cg, (g + 1) * cg)) + pos].astype(np.float64)  # (N, C/g)
                ws = w[(slice(g * cg, (g + 1) * cg), slice(None)) + tap]  # (C/g, O/g)
                full[(slice(None), slice(g * og, (g + 1) * og)) + dst] += xs @ ws
    out = np.zeros((n, og * group, *out_shape))
    for pos in itertools.product(*(range(m) for m in out_shape)):
        src = tuple(p + lo for p, lo in zip(pos, pad_low))
        if all(s < f for s, f in zip(src, full_shape)):
            out[(slice(None), slice(None)) + pos] = full[(slice(None), slice(None)) + src]
    return out


def with_bias(out, cell):
    if cell.has_bias:
        out = out + cell.bias.asnumpy().astype(np.float64).reshape((1, -1) + (1,) * (out.ndim - 2))
    return out


def tensor(rng, shape):
    return ms.Tensor(rng.standard_normal(shape).astype(np.float32))


def assert_close(actual, expected):
    __tracebackhide__ = True
    actual = np.asarray(actual)
    assert actual.shape == expected.shape, f"shape {actual.shape}, expected {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5)


# -- convolution ---------------------------------------------------------------------------


@st.composite
def conv_configs(draw, nd):
    group = draw(st.sampled_from([1, 2]))
    cfg = dict(
        in_channels=group * draw(st.integers(1, 2)),
        out_channels=group * draw(st.integers(1, 2)),
        kernel=tuple(draw(st.integers(1, 3)) for _ in range(nd)),
        stride=tuple(draw(st.integers(1, 3)) for _ in range(nd)),
        dilation=tuple(draw(st.integers(1, 2)) for _ in range(nd)),
        pad_mode=draw(st.sampled_from(["same", "valid", "pad"])),
        group=group,
        has_bias=draw(st.booleans()),
        seed=draw(st.integers(0, 2**16)),
    )
    pads = [(draw(st.integers(0, 2)), draw(st.integers(0, 2))) for _ in range(nd)]
    cfg["pads"] = pads if cfg["pad_mode"] == "pad" else [(0, 0)] * nd
    # Inputs at least as long as the dilated kernel, so 'valid' has an output.
    cfg["spatial"] = tuple(
        (k - 1) * d + 1 + draw(st.integers(0, 3)) for k, d in zip(cfg["kernel"], cfg["dilation"])
    )
    return cfg


def explicit_pads(cfg):
    if cfg["pad_mode"] == "same":
        return [same_pads(n, k, s, d) for n, k, s, d in zip(cfg["spatial"], cfg["kernel"], cfg["stride"], cfg["dilation"])]
    return cfg["pads"]


@pytest.mark.parametrize("nd, layer", [(2, nn.Conv2d), (3, nn.Conv3d)])
@SETTINGS
@given(data=st.data())
def test_conv_forward_matches_direct_loops(nd, layer, data):
    cfg = data.draw(conv_configs(nd))
    ms.set_seed(cfg["seed"])
    padding = tuple(v for pair in cfg["pads"] for v in pair)
    cell = layer(cfg["in_channels"], cfg["out_channels"], cfg["kernel"], stride=cfg["stride"],
                 pad_mode=cfg["pad_mode"], padding=padding if cfg["pad_mode"] == "pad" else 0,
                 dilation=cfg["dilation"], group=cfg["group"], has_bias=cfg["has_bias"])
    x = tensor(np.random.default_rng(cfg["seed"]), (2, cfg["in_channels"], *cfg["spatial"]))
    expected = direct_conv(x.asnumpy(), cell.weight.asnumpy(), cfg["stride"], cfg["dilation"], explicit_pads(cfg),
                           cfg["group"])
    assert_close(cell(x).asnumpy(), with_bias(expected, cell))


@SETTINGS
@given(cfg=conv_configs(1))
def test_conv1d_forward_matches_direct_loops(cfg):
    ms.set_seed(cfg["seed"])
    lo, hi = cfg["pads"][0]
    # Conv1d takes one symmetric int padding.
    pad = lo if cfg["pad_mode"] == "pad" else 0
    cfg["pads"] = [(pad, pad)]
    cell = nn.Conv1d(cfg["in_channels"], cfg["out_channels"], cfg["kernel"][0], stride=cfg["stride"][0],
                     pad_mode=cfg["pad_mode"], padding=pad, dilation=cfg["dilation"][0], group=cfg["group"],
                     has_bias=cfg["has_bias"])
    weight = cell.weight.asnumpy()
    assert weight.shape == (cfg["out_channels"], cfg["in_channels"] // cfg["group"], 1, cfg["kernel"][0])
    x = tensor(np.random.default_rng(cfg["seed"]), (2, cfg["in_channels"], cfg["spatial"][0]))
    expected = direct_conv(x.asnumpy(), weight[:, :, 0, :], cfg["stride"], cfg["dilation"], explicit_pads(cfg),
                           cfg["group"])
    assert_close(cell(x).asnumpy(), with_bias(expected, cell))


def transpose_geometry(cfg, output_padding):
    """MindSpore's Conv2dTranspose output length and offset into the full result, per axis."""
    lengths, lows = [], []
    for n, k, s, d, (lo, hi) in zip(cfg["spatial"], cfg["kernel"], cfg["stride"], cfg["dilation"], cfg["pads"]):
        extent = (k - 1) * d + 1
        if cfg["pad_mode"] == "same":
            lengths.append(n * s)
            lows.append(same_pads(n * s, k, s, d)[0])
        elif cfg["pad_mode"] == "valid":
            lengths.append(n * s + max(extent - s, 0))
            lows.append(0)
        else:
            lengths.append((n - 1) * s + extent - lo - hi)
            lows.append(lo)
    return lengths, lows


@SETTINGS
@given(cfg=conv_configs(2), extra=st.integers(0, 2))
def test_conv2d_transpose_forward_matches_scatter(cfg, extra):
    ms.set_seed(cfg["seed"])
    output_padding = 0
    if cfg["pad_mode"] == "pad":
        output_padding = min(extra, max(cfg["stride"][0], cfg["dilation"][0]) - 1,
                             max(cfg["stride"][1], cfg["dilation"][1]) - 1)
    padding = tuple(v for pair in cfg["pads"] for v in pair)
    cell = nn.Conv2dTranspose(cfg["in_channels"], cfg["out_channels"], cfg["kernel"], stride=cfg["stride"],
                              pad_mode=cfg["pad_mode"], padding=padding if cfg["pad_mode"] == "pad" else 0,
                              output_padding=output_padding, dilation=cfg["dilation"], group=cfg["group"],
                              has_bias=cfg["has_bias"])
    weight = cell.weight.asnumpy()
    assert weight.shape == (cfg["in_channels"], cfg["out_channels"] // cfg["group"], *cfg["kernel"])
    lengths, lows = transpose_geometry(cfg, output_padding)
    x = tensor(np.random.default_rng(cfg["seed"]), (2, cfg["in_channels"], *cfg["spatial"]))
    if min(lengths) < 1:
        with pytest.raises(ValueError, match="Conv2dTranspose"):
            cell(x)
        return
    expected = with_bias(direct_conv_transpose(x.asnumpy(), weight, cfg["stride"], cfg["dilation"], lows, lengths,
                                               cfg["group"]), cell)
    # MindSpore appends output_padding as zeros after the bias.
    expected = np.pad(expected, [(0, 0), (0, 0), (0, output_padding), (0, output_padding)])
    assert_close(cell(x).asnumpy(), expected)


def test_conv_pad_tuple_order_is_low_high_per_axis():
    # (top, bottom, left, right): padding only the bottom adds one output row at the end.
    ms.set_seed(1)
    x = tensor(np.random.default_rng(1), (1, 1, 3, 3))
    cell = nn.Conv2d(1, 1, 1, pad_mode="pad", padding=(0, 1, 0, 0), weight_init="ones")
    out = cell(x).asnumpy()
    assert out.shape == (1, 1, 4, 3)
    np.testing.assert_array_equal(out[0, 0, :3], x.asnumpy()[0, 0])
    np.testing.assert_array_equal(out[0, 0, 3], 0)


# -- Dense, Embedding, normalisation --------------------------------------------------------


@SETTINGS
@given(batch_shape=st.lists(st.integers(1, 3), min_size=0, max_size=2), n_in=st.integers(1, 4),
       n_out=st.integers(1, 4), has_bias=st.booleans(), activation=st.sampled_from([None, "relu", "tanh", "sigmoid"]),
       seed=st.integers(0, 2**16))
def test_dense_forward_matches_direct_sum(batch_shape, n_in, n_out, has_bias, activation, seed):
    ms.set_seed(seed)
    cell = nn.Dense(n_in, n_out, has_bias=has_bias, activation=activation)
    x = tensor(np.random.default_rng(seed), (*batch_shape, n_in))
    w = cell.weight.asnumpy().astype(np.float64)
    xs = x.asnumpy().astype(np.float64)
    expected = np.zeros((*batch_shape, n_out))
    for j in range(n_out):
        expected[..., j] = (xs * w[j]).sum(axis=-1) + (cell.bias.asnumpy()[j] if has_bias else 0.0)
    expected = {None: lambda v: v, "relu": lambda v: np.where(v > 0, v, 0.0), "tanh": np.tanh,
                "sigmoid": lambda v: 1 / (1 + np.exp(-v))}[activation](expected)
    assert_close(cell(x).asnumpy(), expected)


def test_embedding_looks_up_rows_and_zeroes_padding_row():
    ms.set_seed(3)
    cell = nn.Embedding(6, 4, padding_idx=2)
    table = cell.embedding_table.asnumpy()
    assert table.shape == (6, 4) and table.dtype == np.float32
    np.testing.assert_array_equal(table[2], 0)
    ids = np.array([[0, 2, 5], [5, 1, 1]], np.int32)
    out = cell(ms.Tensor(ids)).asnumpy()
    assert out.shape == (2, 3, 4)
    for i, j in np.ndindex(ids.shape):
        np.testing.assert_array_equal(out[i, j], table[ids[i, j]])
    with pytest.raises(ValueError, match=r"Embedding.*\[0, 6\).*got ids from 0 to 6"):
        cell(ms.Tensor(np.array([0, 6], np.int32)))
    with pytest.raises(TypeError, match="Embedding.*integers"):
        cell(ms.Tensor(np.array([0.0], np.float32)))


def channel_stats(x):
    """Per-channel mean, biased and unbiased variance by explicit loops over channels."""
    c = x.shape[1]
    values = [np.moveaxis(x, 1, 0)[k].astype(np.float64).ravel() for k in range(c)]
    mean = np.array([v.sum() / v.size for v in values])
    biased = np.array([((v - m) ** 2).sum() / v.size for v, m in zip(values, mean)])
    unbiased = np.array([((v - m) ** 2).sum() / (v.size - 1) for v, m in zip(values, mean)])
    return mean, biased, unbiased


def normalise(x, mean, var, gamma, beta, eps):
    shape = (1, -1) + (1,) * (x.ndim - 2)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) + beta.reshape(shape)


@pytest.mark.parametrize("layer, shape", [(nn.BatchNorm1d, (5, 3)), (nn.BatchNorm1d, (4, 3, 2)),
                                          (nn.BatchNorm2d, (2, 3, 2, 3))])
def test_batchnorm_training_uses_batch_stats_and_updates_moving_stats(layer, shape):
    rng = np.random.default_rng(5)
    cell = layer(3, momentum=0.8, gamma_init=ms.Tensor(rng.uniform(0.5, 2, 3).astype(np.float32)),
                 beta_init=ms.Tensor(rng.standard_normal(3).astype(np.float32)))
    gamma, beta = cell.gamma.asnumpy().copy(), cell.beta.asnumpy().copy()
    cell.set_train(True)
    x = ms.Tensor((rng.standard_normal(shape) * 3 + 1).astype(np.float32))
    mean, biased, unbiased = channel_stats(x.asnumpy())
    assert_close(cell(x).asnumpy(), normalise(x.asnumpy(), mean, biased, gamma, beta, 1e-5))
    # MindSpore's convention: moving = momentum * moving + (1 - momentum) * batch (unbiased variance).
    assert_close(cell.moving_mean.asnumpy(), 0.8 * 0 + 0.2 * mean)
    assert_close(cell.moving_variance.asnumpy(), 0.8 * 1 + 0.2 * unbiased)
    moving_mean, moving_var = cell.moving_mean.asnumpy().copy(), cell.moving_variance.asnumpy().copy()
    cell.set_train(False)
    assert_close(cell(x).asnumpy(), normalise(x.asnumpy(), moving_mean, moving_var, gamma, beta, 1e-5))
    np.testing.assert_array_equal(cell.moving_mean.asnumpy(), moving_mean)  # inference leaves them alone


def test_batchnorm_use_batch_statistics_overrides_mode():
    x = ms.Tensor(np.arange(12, dtype=np.float32).reshape(4, 3))
    frozen = nn.BatchNorm1d(3, use_batch_statistics=False).set_train(True)
    np.testing.assert_allclose(frozen(x).asnumpy(), x.asnumpy() / np.sqrt(1 + 1e-5), rtol=1e-6)
    forced = nn.BatchNorm1d(3, use_batch_statistics=True)
    assert abs(forced(x).asnumpy().mean()) < 1e-6 and forced.moving_mean.asnumpy().any()


@pytest.mark.parametrize("shape, normalized_shape, begin_norm_axis, begin_params_axis", [
    ((2, 3, 4), (4,), -1, -1),
    ((2, 3, 4), (3, 4), 1, 1),
    ((2, 3, 4), (4,), 1, -1),
    ((3, 5), (5,), 0, 1),
])
def test_layernorm_matches_rowwise_loops(shape, normalized_shape, begin_norm_axis, begin_params_axis):
    rng = np.random.default_rng(7)
    cell = nn.LayerNorm(normalized_shape, begin_norm_axis, begin_params_axis,
                        gamma_init=ms.Tensor(rng.uniform(0.5, 2, normalized_shape).astype(np.float32)),
                        beta_init=ms.Tensor(rng.standard_normal(normalized_shape).astype(np.float32)))
    x = (rng.standard_normal(shape) * 2 + 3).astype(np.float32)
    axis = begin_norm_axis % len(shape)
    rows = x.astype(np.float64).reshape(math.prod(shape[:axis]), -1)
    normed = np.stack([(r - r.mean()) / np.sqrt(((r - r.mean()) ** 2).mean() + 1e-7) for r in rows]).reshape(shape)
    expected = normed * cell.gamma.asnumpy() + cell.beta.asnumpy()
    assert_close(cell(ms.Tensor(x)).asnumpy(), expected)


# -- input validation ----------------------------------------------------------------------


@pytest.mark.parametrize("cell, shape, pattern", [
    (lambda: nn.Conv2d(3, 4, 3), (3, 8, 8), r"Conv2d.*4-D.*\(N, C_in, H, W\).*got a 3-D tensor of shape \(3, 8, 8\)"),
    (lambda: nn.Conv2d(3, 4, 3), (1, 2, 8, 8), r"Conv2d.*3 channels.*got 2"),
    (lambda: nn.Conv1d(3, 4, 3), (1, 3, 8, 8), r"Conv1d.*3-D.*got a 4-D"),
    (lambda: nn.Conv3d(2, 4, 3), (1, 3, 4, 4, 4), r"Conv3d.*2 channels.*got 3"),
    (lambda: nn.Conv2dTranspose(2, 4, 3), (1, 3, 4, 4), r"Conv2dTranspose.*2 channels.*got 3"),
    (lambda: nn.Dense(3, 4), (2, 5), r"Dense.*3 channels.*got 5"),
    (lambda: nn.BatchNorm2d(3), (2, 3, 4), r"BatchNorm2d.*4-D.*got a 3-D"),
    (lambda: nn.BatchNorm1d(3), (2, 4), r"BatchNorm1d.*3 channels.*got 4"),
    (lambda: nn.LayerNorm((4,)), (2, 5), r"LayerNorm.*shape of gamma and beta \(4,\).*\(2, 5\)"),
    (lambda: nn.Conv2d(1, 1, 5, pad_mode="valid"), (1, 1, 3, 8), r"Conv2d.*too small.*kernel_size=\(5, 5\)"),
])
def test_wrong_input_is_a_value_error_naming_layer_expectation_and_input(cell, shape, pattern):
    with pytest.raises(ValueError, match=pattern):
        cell()(ms.Tensor(np.zeros(shape, np.float32)))


@pytest.mark.parametrize("make, exc, pattern", [
    (lambda: nn.Conv2d(3, 4, 3, pad_mode="full"), ValueError, r"pad_mode.*'full'"),
    (lambda: nn.Conv2d(3, 4, 3, padding=1), ValueError, r"padding.*0 when 'pad_mode' is not 'pad'"),
    (lambda: nn.Conv2d(3, 4, 3, pad_mode="pad", padding=(1, 1)), ValueError, r"4 elements"),
    (lambda: nn.Conv2d(3, 4, 3, group=2), ValueError, r"divisible by 'group'"),
    (lambda: nn.Conv2d(3, 4, (3, 0)), ValueError, r"kernel_size.*\(3, 0\)"),
    (lambda: nn.Conv2d(3, 4, 3.0), TypeError, r"kernel_size"),
    (lambda: nn.Conv1d(3, 4, (3,)), TypeError, r"Conv1d.*kernel_size"),
    (lambda: nn.Conv1d(3, 4, 0), ValueError, r"Conv1d.*'kernel_size' must be >= 1, but got 0"),
    (lambda: nn.Conv1d(3, 4, 3, pad_mode="pad", padding=-1), ValueError, r"Conv1d.*'padding' must be >= 0"),
    (lambda: nn.Conv2dTranspose(3, 4, 3, stride=2, output_padding=1), ValueError, r"output_padding.*pad_mode='pad'"),
    (lambda: nn.Conv2dTranspose(3, 4, 3, stride=2, pad_mode="pad", output_padding=2), ValueError,
     r"output_padding.*< max\(stride, dilation\)"),
    (lambda: nn.Dense(0, 4), ValueError, r"in_channels.*0"),
    (lambda: nn.Dense(3, 4, activation="swish"), ValueError, r"swish"),
    (lambda: nn.BatchNorm2d(3, momentum=1.5), ValueError, r"momentum.*1.5"),
    (lambda: nn.Embedding(4, 2, padding_idx=4), ValueError, r"padding_idx.*\[0, 4\).*4"),
    (lambda: nn.LayerNorm(4), TypeError, r"normalized_shape"),
])
def test_invalid_layer_arguments_are_rejected_by_name(make, exc, pattern):
    with pytest.raises(exc, match=pattern):
        make()


@pytest.mark.parametrize("make, shape", [
    (lambda: nn.Conv2d(2, 3, 3), (1, 2, 4, 4)),
    (lambda: nn.Conv2dTranspose(2, 3, 3), (1, 2, 4, 4)),
    (lambda: nn.Dense(2, 3), (4, 2)),
])
def test_input_dtype_must_match_weight_dtype_as_in_mindspore(make, shape):
    with pytest.raises(TypeError, match=r"dtype must be the weight's dtype Float32, but got Float64"):
        make()(ms.Tensor(np.ones(shape, np.float64)))


@pytest.mark.parametrize("dtype", [ms.float16, ms.bfloat16, ms.float64])
def test_layers_created_in_another_dtype_compute_in_it(dtype):
    ms.set_seed(11)
    rng = np.random.default_rng(11)
    conv = nn.Conv2d(2, 3, 3, has_bias=True, dtype=dtype)
    x = ms.Tensor(rng.standard_normal((1, 2, 5, 5)), dtype)
    out = conv(x)
    assert out.dtype == dtype
    expected = with_bias(direct_conv(x.asnumpy().astype(np.float64), conv.weight.asnumpy().astype(np.float64),
                                     (1, 1), (1, 1), [(1, 1), (1, 1)], 1), conv)
    # Products accumulate in float32 (or better); only the final rounding is in `dtype`.
    tolerance = {ms.float16: 2e-3, ms.bfloat16: 1e-2, ms.float64: 1e-12}[dtype]
    np.testing.assert_allclose(out.asnumpy().astype(np.float64), expected, rtol=tolerance, atol=tolerance)


def test_batchnorm_training_needs_two_values_per_channel():
    cell = nn.BatchNorm1d(3).set_train(True)
    with pytest.raises(ValueError, match=r"BatchNorm1d.*more than one value per channel.*\(1, 3\)"):
        cell(ms.Tensor(np.ones((1, 3), np.float32)))
