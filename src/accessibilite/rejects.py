"""Rejected rows: the table a loader keeps of the rows it could not use, and its warning.

Every loader (territories, service points, population grid) returns the rows it
accepted and keeps the others in ``.attrs["rejected"]`` as :class:`RejectedRows`,
with a French ``reason`` column; one :class:`RejectedRowsWarning` summarises them.
A foundation module, importable from every layer.
"""

from __future__ import annotations

import pandas as pd


class RejectedRowsWarning(UserWarning):
    """Some rows of a service file were rejected (details in ``.attrs["rejected"]``)."""


class RejectedRows(pd.DataFrame):
    """The rows a loader did not use, with a ``reason`` column (``.attrs["rejected"]``).

    A plain DataFrame, except that two ``RejectedRows`` compare as whole tables
    (``a == b`` is ``a.equals(b)``, a bool). pandas compares the ``.attrs`` of
    the frames it combines (``pd.concat``, ``merge``, ``astype``...); with an
    ordinary DataFrame stored there, that comparison is element-wise and
    raises, so a services frame could not be concatenated with another one.
    """

    @property
    def _constructor(self):
        return RejectedRows

    def __eq__(self, other):
        if isinstance(other, RejectedRows):
            return bool(self.equals(other))
        return super().__eq__(other)

    def __ne__(self, other):
        if isinstance(other, RejectedRows):
            return not self.equals(other)
        return super().__ne__(other)

    __hash__ = None
