"""Magenta's transfer network rebuilt for one frame size: a whole frame in one pass, no grid.

The transfer graph upsamples its 1/4-size features with three nearest-neighbour resizes to the
constant sizes 192, 384 and 384 (fast.py's docstring). Fed anything but 384x384, the first one
stretches by an uneven factor (64 to 192 for a 256-px input: 3x), and the rows and columns it
repeats show as a regular grid of blocks in every flat area. Here those three constants are
rewritten to half and full the frame's size, so the network paints the frame at its own size,
as it paints a 384-px tile: the same strokes as a photo's preview, without tiles.

Why one network per clip rather than per photo: each new shape needs its own interpreter
(0.5-1 s to set up, XNNPACK packing the weights), which a clip pays once for all its frames.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nst_engine.quiet import without_notices

try:
    from ai_edge_litert import schema_py_generated as schema
    from ai_edge_litert.interpreter import Interpreter
except ImportError:  # the same fallback as fast.py: TensorFlow's own copy
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.python.interpreter import Interpreter

STRIDE = 4  # the network's two stride-2 convolutions: a side it paints exactly is a multiple
HALF, FULL = 192, 384  # the resize constants in the graph, at half and at the full output size


class FrameNetwork:
    """The transfer network for frames of width x height (any size; padded to multiples of 4).

    Used by one thread at a time (a clip's frames are painted in order), so it has no lock.
    """

    def __init__(self, model: Path, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._padded = (_ceil(height), _ceil(width))
        content = resized_model(model.read_bytes(), *self._padded)
        with without_notices():
            self._interpreter = Interpreter(
                model_content=content, num_threads=len(os.sched_getaffinity(0))
            )
        first = self._interpreter.get_input_details()[0]
        self._interpreter.resize_tensor_input(first["index"], (1, *self._padded, 3))
        self._interpreter.allocate_tensors()
        self._inputs = [detail["index"] for detail in self._interpreter.get_input_details()]
        self._output = self._interpreter.get_output_details()[0]["index"]

    def transfer(self, pixels: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """[H, W, 3] in 0-1 painted with a [1, 1, 1, 100] style vector, at the same size."""
        height, width, _ = pixels.shape
        if (width, height) != (self.width, self.height):
            raise ValueError(f"a {width}x{height} frame for a {self.width}x{self.height} network")
        rows, columns = self._padded
        # Mirrored like fast.py's tiles: the instance normalisation sees the picture's statistics.
        padded = np.pad(
            pixels, ((0, rows - height), (0, columns - width), (0, 0)), mode="symmetric"
        )
        self._interpreter.set_tensor(self._inputs[0], padded[None].astype(np.float32))
        self._interpreter.set_tensor(self._inputs[1], vector)
        self._interpreter.invoke()
        painted: np.ndarray = self._interpreter.get_tensor(self._output)[0, :height, :width]
        return painted


def resized_model(content: bytes, height: int, width: int) -> bytes:
    """The transfer model's bytes with its upsampling sizes set for a height x width input.

    The sizes are constant int32 pairs in the flatbuffer's buffers; they are overwritten in
    place (the same 8 bytes), so nothing else in the file moves.
    """
    if height % STRIDE or width % STRIDE:
        raise ValueError(f"{width}x{height}: both sides must be multiples of {STRIDE}")
    data = bytearray(content)
    model: Any = schema.Model.GetRootAs(data, 0)
    graph = model.Subgraphs(0)
    wanted = {HALF: (height // 2, width // 2), FULL: (height, width)}
    found = 0
    for index in range(graph.OperatorsLength()):
        operator = graph.Operators(index)
        code = model.OperatorCodes(operator.OpcodeIndex())
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        if builtin != schema.BuiltinOperator.RESIZE_NEAREST_NEIGHBOR:
            continue
        size = graph.Tensors(operator.Inputs(1))
        values = model.Buffers(size.Buffer()).DataAsNumpy().view(np.int32)
        size_for = wanted.get(int(values[0]))
        if size_for is None:
            raise ValueError(f"not Magenta's transfer network: a resize to {values.tolist()}")
        values[:] = size_for  # a view into `data`: written in place
        found += 1
    if found != 3:
        raise ValueError(f"not Magenta's transfer network: {found} nearest-neighbour resizes")
    return bytes(data)


def _ceil(side: int) -> int:
    return -(-side // STRIDE) * STRIDE
