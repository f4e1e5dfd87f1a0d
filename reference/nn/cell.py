"""``Cell``: the base of every layer and network, mirroring ``mindspore.nn.Cell``.

Assigning a ``Parameter`` or a ``Cell`` to an attribute registers it. When a cell is
attached to a parent under attribute ``key``, every parameter inside it is renamed to
``key + '.' + <its path inside the child>``, as MindSpore does; a cell reachable by
several paths therefore ends up named after the path it was attached by last, while the
traversals (``cells_and_names``, ``parameters_and_names``) yield it once, under the
first path in pre-order.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterator

from reference.common.parameter import Parameter
from reference.common.tensor import Tensor

__all__ = ["Cell"]


def _is_generated_name(name: str) -> bool:
    # A Parameter made without a name is called "Parameter" (MindSpore: "Parameter#<n>");
    # only such a placeholder is replaced by the attribute name on registration.
    return name == "Parameter" or name.startswith("Parameter#")


class Cell:
    """Base class of layers and networks.

    Subclasses call ``super().__init__()`` first, assign their parameters and child cells
    as attributes, and define the forward pass in ``construct``; calling the cell runs it.

    >>> import numpy as np, reference as ms
    >>> from reference import nn
    >>> class Net(nn.Cell):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.fc = nn.Dense(3, 2)
    ...     def construct(self, x):
    ...         return self.fc(x)
    >>> [name for name, _ in Net().parameters_and_names()]
    ['fc.weight', 'fc.bias']
    """

    def __init__(self, auto_prefix: bool = True) -> None:
        object.__setattr__(self, "_params", OrderedDict())
        object.__setattr__(self, "_cells", OrderedDict())
        object.__setattr__(self, "_auto_prefix", auto_prefix)
        object.__setattr__(self, "training", False)

    @property
    def cls_name(self) -> str:
        return type(self).__name__

    # -- registration -------------------------------------------------------------------

    def _check_entry(self, registry: str, key, value, kind: type) -> None:
        """Validate a registration of `value` (a `kind` or None) under `key`, and drop a
        plain attribute of that name so the registry entry is what attribute access finds."""
        if registry not in self.__dict__:
            raise AttributeError(
                f"{self.cls_name}.__init__ must call Cell.__init__() (super().__init__()) "
                "before assigning parameters or cells."
            )
        if not isinstance(key, str) or not key or "." in key:
            raise KeyError(
                f"For '{self.cls_name}', a {kind.__name__} name must be a non-empty str without '.', but got {key!r}."
            )
        if value is not None and not isinstance(value, kind):
            raise TypeError(
                f"For '{self.cls_name}', '{key}' must be a {kind.__name__} or None, but got {type(value).__name__}."
            )
        if key in self.__dict__:
            object.__delattr__(self, key)

    def __setattr__(self, name: str, value) -> None:
        if isinstance(value, Parameter):
            self.insert_param_to_cell(name, value)
        elif isinstance(value, Cell):
            if self._auto_prefix:
                value.update_parameters_name(name + ".")
            self.insert_child_to_cell(name, value)
        else:
            params = self.__dict__.get("_params")
            cells = self.__dict__.get("_cells")
            if params is not None and name in params:
                if value is None:
                    params[name] = None
                elif isinstance(value, Tensor):
                    params[name].set_data(value)
                else:
                    raise TypeError(
                        f"For '{self.cls_name}', parameter '{name}' already exists; "
                        f"can not assign a {type(value).__name__} to it."
                    )
                return
            if cells is not None and name in cells:
                if value is not None:
                    raise TypeError(
                        f"For '{self.cls_name}', child cell '{name}' already exists; "
                        f"can not assign a {type(value).__name__} to it."
                    )
                cells[name] = None
                return
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str):
        # Only reached when normal lookup fails: parameters and cells live in registries.
        for kind in ("_params", "_cells"):
            registry = self.__dict__.get(kind)
            if registry is not None and name in registry:
                return registry[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for kind in ("_params", "_cells"):
            registry = self.__dict__.get(kind)
            if registry is not None and name in registry:
                del registry[name]
                return
        object.__delattr__(self, name)

    def insert_param_to_cell(self, param_name: str, param: Parameter | None) -> None:
        """Register `param` under `param_name` (no dots); a placeholder name becomes `param_name`."""
        self._check_entry("_params", param_name, param, Parameter)
        if param is not None and _is_generated_name(param.name):
            param.name = param_name
        self._params[param_name] = param

    def insert_child_to_cell(self, child_name: str, child_cell: "Cell | None") -> None:
        """Register `child_cell` under `child_name` (no dots), without renaming parameters."""
        self._check_entry("_cells", child_name, child_cell, Cell)
        self._cells[child_name] = child_cell

    def update_parameters_name(self, prefix: str = "", recurse: bool = True) -> None:
        """Rename every parameter to `prefix` + its traversal name."""
        for name, param in self.parameters_and_names(expand=recurse):
            param.name = prefix + name

    # -- forward ------------------------------------------------------------------------

    def construct(self, *args, **kwargs):
        """The forward pass; subclasses define it."""
        raise NotImplementedError(f"{self.cls_name} does not define construct().")

    def __call__(self, *args, **kwargs):
        return self.construct(*args, **kwargs)

    def set_train(self, mode: bool = True) -> "Cell":
        """Put this cell and every cell below it in training (`mode=True`) or inference mode."""
        if not isinstance(mode, bool):
            raise TypeError(f"For '{self.cls_name}.set_train', 'mode' must be a bool, but got {mode!r}.")
        for _, cell in self.cells_and_names():
            object.__setattr__(cell, "training", mode)
        return self

    # -- traversal ----------------------------------------------------------------------

    def name_cells(self) -> "OrderedDict[str, Cell]":
        """Direct children by attribute name, each child once."""
        seen: set[int] = set()
        children = OrderedDict()
        for name, cell in self._cells.items():
            if cell is not None and id(cell) not in seen:
                seen.add(id(cell))
                children[name] = cell
        return children

    def cells(self):
        """Direct children, each once."""
        return self.name_cells().values()

    def cells_and_names(self, cells=None, name_prefix: str = "") -> Iterator[tuple[str, "Cell"]]:
        """Every cell in pre-order, this one first (under `name_prefix`), each cell once,
        named by the dotted path by which it is first reached."""
        visited = cells if cells is not None else set()
        if id(self) in visited:
            return
        visited.add(id(self))
        yield name_prefix, self
        for name, cell in self._cells.items():
            if cell is not None:
                path = f"{name_prefix}.{name}" if name_prefix else name
                yield from cell.cells_and_names(visited, path)

    def parameters_and_names(self, name_prefix: str = "", expand: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` for this cell's parameters (and, with `expand`, those
        of every cell below it, in pre-order), each parameter object once."""
        if expand:
            cells = self.cells_and_names(name_prefix=name_prefix)
        else:
            cells = [(name_prefix, self)]
        seen: set[int] = set()
        for cell_name, cell in cells:
            for par_name, param in cell._params.items():
                if param is not None and id(param) not in seen:
                    seen.add(id(param))
                    yield (f"{cell_name}.{par_name}" if cell_name else par_name), param

    def get_parameters(self, expand: bool = True) -> Iterator[Parameter]:
        """The parameters of ``parameters_and_names``, without names."""
        for _, param in self.parameters_and_names(expand=expand):
            yield param

    def trainable_params(self, recurse: bool = True) -> list[Parameter]:
        """Parameters with ``requires_grad=True``."""
        return [p for p in self.get_parameters(expand=recurse) if p.requires_grad]

    def untrainable_params(self, recurse: bool = True) -> list[Parameter]:
        """Parameters with ``requires_grad=False`` (e.g. BatchNorm's moving statistics)."""
        return [p for p in self.get_parameters(expand=recurse) if not p.requires_grad]

    def apply(self, fn: Callable[["Cell"], object]) -> "Cell":
        """Call `fn` on every child cell (recursively, children first) and then on this cell."""
        for cell in self.cells():
            cell.apply(fn)
        fn(self)
        return self

    # -- display ------------------------------------------------------------------------

    def extend_repr(self) -> str:
        """Extra text inside this cell's repr; layers describe their configuration."""
        return ""

    def __repr__(self) -> str:
        extra = self.extend_repr()
        children = [
            f"  ({name}): " + repr(cell).replace("\n", "\n  ")
            for name, cell in self._cells.items()
            if cell is not None
        ]
        if not children:
            return f"{self.cls_name}<{extra}>"
        return f"{self.cls_name}<{extra}\n" + "\n".join(children) + "\n  >"
