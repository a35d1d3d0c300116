"""Small counts hidden: the rule lives in `kinga.lib.suppression`, so the dashboards and the
open API's figures (kinga.api, a neighbour in the same layer) hide alike."""

from __future__ import annotations

from kinga.lib.suppression import Line, small, suppress, table_lines

__all__ = ["Line", "small", "suppress", "table_lines"]
