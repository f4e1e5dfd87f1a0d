"""reference.nn.Cell: registration, naming, traversal, containers, modes, set_data.

Names and orders asserted here were read off MindSpore 2.10 (test_nn_mindspore.py
compares them directly where MindSpore is installed).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import reference as ms
from reference import nn
from reference.common.initializer import Normal, initializer


class Block(nn.Cell):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, has_bias=True)
        self.bn = nn.BatchNorm2d(2)

    def construct(self, x):
        return self.bn(self.conv(x))


class Net(nn.Cell):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.shared = nn.Dense(2, 2)
        self.seq = nn.SequentialCell([nn.Dense(3, 2), self.shared])
        self.head = nn.Dense(2, 1, has_bias=False)


def test_attribute_assignment_registers_and_names_parameters_by_dotted_path():
    net = Net()
    assert [n for n, _ in net.cells_and_names()] == ["", "block", "block.conv", "block.bn", "shared", "seq", "seq.0",
                                                     "head"]
    names = [n for n, _ in net.parameters_and_names()]
    assert names == [
        "block.conv.weight", "block.conv.bias",
        "block.bn.moving_mean", "block.bn.moving_variance", "block.bn.gamma", "block.bn.beta",
        "shared.weight", "shared.bias", "seq.0.weight", "seq.0.bias", "head.weight",
    ]
    # The shared cell's parameters carry the path it was attached by last (MindSpore's rule).
    assert net.shared.weight.name == "seq.1.weight"
    assert [p.name for p in net.get_parameters()][:6] == names[:6]
    assert net.block.conv is net._cells["block"]._cells["conv"]
    assert "weight" not in net.head.__dict__  # parameters live in the registry, not as plain attributes


def test_shared_parameter_is_listed_once_and_prefix_and_expand_apply():
    class Tied(nn.Cell):
        def __init__(self):
            super().__init__()
            self.d1 = nn.Dense(2, 2)
            self.d2 = nn.Dense(2, 2)
            self.d2.weight = self.d1.weight

    tied = Tied()
    assert [n for n, _ in tied.parameters_and_names()] == ["d1.weight", "d1.bias", "d2.bias"]
    assert [n for n, _ in tied.parameters_and_names(name_prefix="m")] == ["m.d1.weight", "m.d1.bias", "m.d2.bias"]
    assert list(tied.parameters_and_names(expand=False)) == []
    assert [n for n, _ in tied.d1.parameters_and_names(expand=False)] == ["weight", "bias"]


def test_parameter_without_name_takes_the_attribute_name_and_a_given_name_is_kept_at_top_level():
    class Holder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.unnamed = ms.Parameter(ms.Tensor(np.ones(2, np.float32)))
            self.named = ms.Parameter(ms.Tensor(np.ones(2, np.float32)), name="custom")

    holder = Holder()
    assert [(n, p.name) for n, p in holder.parameters_and_names()] == [("unnamed", "unnamed"), ("named", "custom")]

    class Outer(nn.Cell):
        def __init__(self):
            super().__init__()
            self.inner = Holder()

    assert [p.name for p in Outer().get_parameters()] == ["inner.unnamed", "inner.named"]


def test_trainable_and_untrainable_params_split_on_requires_grad():
    net = Net()
    untrainable = [p.name for p in net.untrainable_params()]
    assert untrainable == ["block.bn.moving_mean", "block.bn.moving_variance"]
    assert len(net.trainable_params()) + len(untrainable) == len(list(net.get_parameters()))
    frozen = nn.BatchNorm1d(3, affine=False)
    assert frozen.trainable_params() == []


def test_assigning_tensor_to_existing_parameter_sets_data_and_none_removes_it():
    cell = nn.Dense(2, 2)
    weight = cell.weight
    cell.weight = ms.Tensor(np.full((2, 2), 3, np.float32))
    assert cell.weight is weight and np.all(weight.asnumpy() == 3)
    with pytest.raises(TypeError, match="parameter 'weight' already exists"):
        cell.weight = "nonsense"
    cell.bias = None
    assert [n for n, _ in cell.parameters_and_names()] == ["weight"]


def test_cell_attributes_before_init_and_missing_attributes_are_clear_errors():
    class Forgetful(nn.Cell):
        def __init__(self):
            self.w = ms.Parameter(ms.Tensor(np.ones(1, np.float32)))

    with pytest.raises(AttributeError, match=r"Forgetful.__init__ must call Cell.__init__"):
        Forgetful()
    with pytest.raises(AttributeError, match="'Dense' object has no attribute 'gamma'"):
        _ = nn.Dense(1, 1).gamma
    with pytest.raises(NotImplementedError, match="Net does not define construct"):
        Net()(ms.Tensor(np.ones(1, np.float32)))


def test_call_runs_construct_and_set_train_propagates():
    net = Block()
    assert net.training is False and net.bn.training is False
    assert net.set_train() is net
    assert net.training and net.conv.training and net.bn.training
    x = ms.Tensor(np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32))
    before = net.bn.moving_mean.asnumpy().copy()
    out = net(x)
    assert out.shape == (2, 2, 4, 4)
    assert not np.array_equal(net.bn.moving_mean.asnumpy(), before)  # training mode updated the statistics
    net.set_train(False)
    assert not net.bn.training
    with pytest.raises(TypeError, match="mode"):
        net.set_train("yes")


def test_apply_visits_children_before_parents_once_per_parent():
    net = Net()
    visited = []
    assert net.apply(lambda cell: visited.append(type(cell).__name__)) is net
    # As in MindSpore, apply recurses into each parent's children, so the Dense shared by
    # `net` and `net.seq` is visited under both parents (cells_and_names lists it once).
    assert visited == ["Conv2d", "BatchNorm2d", "Block", "Dense", "Dense", "Dense", "SequentialCell", "Dense", "Net"]


def test_sequential_cell_forms_indexing_slicing_and_forward():
    a, b = nn.Dense(3, 4), nn.Dense(4, 2)
    seq = nn.SequentialCell([a, b])
    assert len(seq) == 2 and seq[0] is a and seq[-1] is b
    assert [n for n, _ in nn.SequentialCell(nn.Dense(1, 1), nn.Dense(1, 1)).parameters_and_names()][::2] == [
        "0.weight", "1.weight"]
    named = nn.SequentialCell(OrderedDict([("fc1", nn.Dense(3, 4)), ("fc2", nn.Dense(4, 2))]))
    assert [n for n, _ in named.cells_and_names()] == ["", "fc1", "fc2"]
    assert isinstance(seq[0:1], nn.SequentialCell) and len(seq[0:1]) == 1
    x = ms.Tensor(np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_allclose(seq(x).asnumpy(), b(a(x)).asnumpy())
    seq.append(nn.ReLU())
    assert len(seq) == 3 and np.all(seq(x).asnumpy() >= 0)
    with pytest.raises(IndexError, match=r"range \[-3, 3\).*got 3"):
        seq[3]
    with pytest.raises(TypeError, match="SequentialCell"):
        nn.SequentialCell("dense")


def test_cell_list_registers_appends_and_extends_with_prefixed_names():
    class Holder(nn.Cell):
        def __init__(self):
            super().__init__()
            self.layers = nn.CellList([nn.Dense(1, 1)])
            self.layers.append(nn.Dense(1, 2))
            self.layers += [nn.Dense(2, 3, has_bias=False)]

    holder = Holder()
    assert len(holder.layers) == 3 and [type(c).__name__ for c in holder.layers] == ["Dense"] * 3
    # A cell appended after the list hangs under `layers` gets the full path as its name.
    assert [p.name for p in holder.get_parameters()] == [
        "layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias", "layers.2.weight"]
    assert isinstance(holder.layers[1:], nn.CellList) and len(holder.layers[1:]) == 2
    with pytest.raises(TypeError, match="each cell must be a Cell"):
        holder.layers.append("not a cell")


def test_parameter_set_data_is_in_place_and_checks_shape_and_dtype():
    cell = nn.Dense(3, 2)
    weight = cell.weight
    view = weight.asnumpy()
    weight.set_data(initializer(Normal(0.5), weight.shape, weight.dtype))  # a lazy tensor is filled
    assert cell.weight is weight and np.shares_memory(view, weight.asnumpy()) and view.std() > 0.05
    weight.set_data(ms.Tensor(np.ones((2, 3), np.float16)))  # lower precision is cast
    assert weight.dtype == ms.float32 and np.all(view == 1)
    weight.set_data(2)
    assert np.all(view == 2)
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*got shape \(3, 2\)"):
        weight.set_data(ms.Tensor(np.ones((3, 2), np.float32)))
    with pytest.raises(TypeError, match="Float64"):
        weight.set_data(ms.Tensor(np.ones((2, 3), np.float64)))


def test_parameter_from_lazy_initializer_is_materialised():
    lazy = initializer("ones", (2, 3), ms.float32)
    param = ms.Parameter(lazy, name="p")
    assert param.has_init is False
    np.testing.assert_array_equal(param.asnumpy(), np.ones((2, 3), np.float32))
