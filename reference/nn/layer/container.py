"""``SequentialCell`` and ``CellList``, mirroring ``mindspore.nn``'s containers.

Children are named ``'0'``, ``'1'``, ... (or by the keys of an OrderedDict given to
``SequentialCell``), so their parameters are called ``'0.weight'`` and so on.
"""

from __future__ import annotations

from collections import OrderedDict

from reference.nn.cell import Cell

__all__ = ["CellList", "SequentialCell"]


def _check_cell(owner: str, cell) -> Cell:
    if not isinstance(cell, Cell):
        raise TypeError(f"For '{owner}', each cell must be a Cell, but got {type(cell).__name__}.")
    return cell


def _check_index(owner: str, length: int, index) -> int:
    if isinstance(index, bool) or not isinstance(index, int):
        raise TypeError(f"For '{owner}', the type of 'index' must be int, but got {type(index).__name__}.")
    if not -length <= index < length:
        raise IndexError(
            f"For '{owner}', the value of 'index' must be a number in range [{-length}, {length}), "
            f"but got {index}."
        )
    return index % length


class _IndexedContainer(Cell):
    """Shared indexing and naming of the two containers."""

    def _name_prefix(self) -> str:
        # When the container already hangs under a parent, its parameters carry the
        # parent's path in front of the child key; a newly added child gets the same path.
        # MindSpore recovers it from the first registered parameter's name; so do we.
        for key, cell in self._cells.items():
            for _, param in cell.parameters_and_names():
                parts = param.name.split(".")
                if key in parts:
                    return "".join(part + "." for part in parts[: parts.index(key)])
                return ""
        return ""

    def _add(self, key: str, cell: Cell) -> None:
        _check_cell(self.cls_name, cell)
        if self._auto_prefix:
            cell.update_parameters_name(self._name_prefix() + key + ".")
        self.insert_child_to_cell(key, cell)

    def __len__(self) -> int:
        return len(self._cells)

    def __bool__(self) -> bool:
        return len(self._cells) != 0

    def __iter__(self):
        return iter(self._cells.values())

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self._from_slice(list(self._cells.items())[index])
        return list(self._cells.values())[_check_index(self.cls_name, len(self), index)]

    def append(self, cell: Cell) -> None:
        """Add `cell` at the end, under the next index."""
        self._add(str(len(self)), cell)


class SequentialCell(_IndexedContainer):
    """Cells run one after another: ``SequentialCell([a, b])``, ``SequentialCell(a, b)`` or
    ``SequentialCell(OrderedDict(name=cell, ...))``.

    >>> from reference import nn
    >>> seq = nn.SequentialCell([nn.Dense(3, 4), nn.Dense(4, 2)])
    >>> [name for name, _ in seq.parameters_and_names()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            items = list(args[0].items())
        elif len(args) == 1 and isinstance(args[0], list):
            items = [(str(i), cell) for i, cell in enumerate(args[0])]
        elif all(isinstance(arg, Cell) for arg in args):
            items = [(str(i), cell) for i, cell in enumerate(args)]
        else:
            raise TypeError(
                f"For 'SequentialCell', the arguments must be Cells, one list of Cells or one OrderedDict, "
                f"but got {', '.join(type(arg).__name__ for arg in args)}."
            )
        for key, cell in items:
            self._add(key, cell)

    def _from_slice(self, items):
        return SequentialCell(OrderedDict(items))

    def construct(self, input_data):
        for cell in self._cells.values():
            input_data = cell(input_data)
        return input_data


class CellList(_IndexedContainer):
    """A list of cells registered as children (no forward of its own).

    >>> from reference import nn
    >>> layers = nn.CellList([nn.Dense(3, 3)])
    >>> layers.append(nn.Dense(3, 1))
    >>> [name for name, _ in layers.parameters_and_names()]
    ['0.weight', '0.bias', '1.weight', '1.bias']
    """

    def __init__(self, *args, auto_prefix: bool = True) -> None:
        super().__init__(auto_prefix)
        if len(args) > 1:
            raise TypeError(f"For 'CellList', expected at most one list of cells, but got {len(args)} arguments.")
        if args:
            self.extend(args[0])

    def _from_slice(self, items):
        return CellList([cell for _, cell in items])

    def extend(self, cells: list) -> "CellList":
        """Append every cell of the list `cells`."""
        if not isinstance(cells, list):
            raise TypeError(f"For 'CellList', 'cells' must be a list, but got {type(cells).__name__}.")
        for cell in cells:
            self.append(cell)
        return self

    def __iadd__(self, cells: list) -> "CellList":
        return self.extend(cells)

    def construct(self, *inputs):
        raise NotImplementedError("CellList has no forward; call its cells.")
