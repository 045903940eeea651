"""dlib's face-descriptor ResNet, read from its own ``.dat`` file and run by ONNX Runtime.

The weights stay those of ``dlib_face_recognition_resnet_model_v1.dat`` (public domain, in the
``face-recognition-models`` package): this module reads dlib's serialisation (``dlib/serialize.h``:
compact integers, floats as mantissa and exponent, tensors as raw little-endian float32), checks
that the layers are the documented network (``dnn_face_recognition_ex.cpp``: a 7×7 stem, 14
residual blocks, a 128-d linear head), and builds the same computation as an ONNX graph in
memory. dlib's own CPU code took ~85 ms a chip on a Xeon and ~145 ms on an EPYC (issue 21: the
door camera was recognition-bound); the descriptors agree with dlib's to float precision
(``tests/faces/test_dlib_net.py`` compares them on real faces).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = np.dtype("<f4")
CONV_MODE = 0  # dlib's layer_mode for an affine layer: one gamma and beta per channel
SIZE = 150  # input_rgb_image_sized<150>
# Between two layers dlib writes a few flags and empty cached tensors (33-35 bytes in the
# shipped file): more means something this reader does not know lies there.
MAX_GAP = 64
# A dlib version string: a one-byte length prefix, then a name such as "multiply_".
_VERSION_STRING = re.compile(rb"\x01[\x03-\x30][a-z][a-z0-9_<>]{2,47}")


class NotTheFaceNetwork(ValueError):
    """The file is not dlib's face-descriptor network as this reader knows it."""


@dataclass(frozen=True)
class Conv:
    weights: np.ndarray  # (out, in, h, w), as ONNX wants it
    bias: np.ndarray
    stride: int
    padding: int


@dataclass(frozen=True)
class Affine:
    gamma: np.ndarray  # per channel
    beta: np.ndarray


@dataclass(frozen=True)
class Pool:
    kind: str  # "max" or "avg"
    size: int  # 0: the whole picture (dlib's avg_pool_everything)
    stride: int
    padding: int


@dataclass(frozen=True)
class Linear:
    weights: np.ndarray  # (inputs, outputs)


@dataclass(frozen=True)
class Marker:
    """A layer without parameters: ``relu_`` or ``add_prev_``."""

    kind: str


Layer = Conv | Affine | Pool | Linear | Marker
_L = TypeVar("_L", Conv, Affine, Pool, Linear)


@dataclass(frozen=True)
class Network:
    mean_rgb: tuple[float, float, float]
    size: int
    layers: tuple[Layer, ...]


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.at = 0

    def integer(self) -> int:
        control = self.data[self.at]
        size = control & 0x0F
        value = int.from_bytes(self.data[self.at + 1 : self.at + 1 + size], "little")
        self.at += 1 + size
        return -value if control & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        return float(mantissa * 2.0 ** self.integer())

    def text(self) -> str:
        size = self.integer()
        value = self.data[self.at : self.at + size].decode("ascii", "replace")
        self.at += size
        return value

    def tensor(self) -> np.ndarray:
        if self.integer() != 2:
            raise NotTheFaceNetwork("unknown tensor version")
        shape = tuple(self.integer() for _ in range(4))
        count = int(np.prod(shape))
        if self.at + 4 * count > len(self.data):
            raise NotTheFaceNetwork("the file ends inside a tensor")
        values = np.frombuffer(self.data, FLOAT, count, self.at).astype(np.float32)
        self.at += 4 * count
        return values.reshape(shape)

    def alias(self) -> tuple[int, ...]:
        if self.integer() != 1:
            raise NotTheFaceNetwork("unknown alias version")
        return tuple(self.integer() for _ in range(4))


def _conv(r: _Reader) -> Conv:
    params = r.tensor().ravel()
    r.integer()  # number of filters, repeated in the filters' shape below
    r.integer(), r.integer()  # window, likewise
    stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(4))
    filters, biases = r.alias(), r.alias()
    for _ in range(4):  # learning-rate and weight-decay multipliers: training only
        r.real()
    if stride_y != stride_x or pad_y != pad_x:
        raise NotTheFaceNetwork("a convolution that is not square")
    n = int(np.prod(filters))
    return Conv(params[:n].reshape(filters), params[n : n + int(np.prod(biases))], stride_y, pad_y)


def _affine(r: _Reader) -> Affine:
    params = r.tensor().ravel()
    gamma, beta = r.alias(), r.alias()
    if r.integer() != CONV_MODE:  # per channel, as the network below needs
        raise NotTheFaceNetwork("an affine layer that is not per channel")
    n = int(np.prod(gamma))
    return Affine(params[:n], params[n : n + int(np.prod(beta))])


def _pool(kind: str) -> Callable[[_Reader], Pool]:
    def parse(r: _Reader) -> Pool:
        size_y, size_x = r.integer(), r.integer()
        stride_y, stride_x, pad_y, pad_x = (r.integer() for _ in range(4))
        if size_y != size_x or stride_y != stride_x or pad_y != pad_x:
            raise NotTheFaceNetwork("a pooling window that is not square")
        return Pool(kind, size_y, stride_y, pad_y)

    return parse


def _linear(r: _Reader) -> Linear:
    outputs, inputs = r.integer(), r.integer()
    params = r.tensor().ravel()
    r.alias(), r.alias()
    if r.integer() != 1:  # dlib's FC_NO_BIAS
        raise NotTheFaceNetwork("a linear layer with a bias")
    return Linear(params[: inputs * outputs].reshape(inputs, outputs))


_PARSERS: dict[bytes, Callable[[_Reader], Layer]] = {
    b"con_4": _conv,
    b"affine_": _affine,
    b"max_pool_2": _pool("max"),
    b"avg_pool_2": _pool("avg"),
}
_PARSERS_NO_ARGS = {b"relu_": "relu", b"add_prev_": "add"}


def _name_at(data: bytes, at: int) -> bytes | None:
    """dlib writes a layer's version string first: a 1-byte length prefix and the name."""
    if data[at] != 1:
        return None
    size = data[at + 1]
    name = data[at + 2 : at + 2 + size]
    return name if name in _PARSERS or name in _PARSERS_NO_ARGS or name == b"fc_2" else None


def read(data: bytes) -> Network:
    """The network in dlib's file, its layers from the input to the output; refused unless
    it is the documented face network (``_documented``), layer for layer.

    dlib writes each layer's parameters after those of the layers below it, behind its version
    string; what lies between (bookkeeping flags, empty cached tensors) is skipped by finding
    the next version string, and must be short and hold no other layer."""
    start = data.find(b"\x01\x15input_rgb_image_sized")
    if start < 0:
        raise NotTheFaceNetwork("no input_rgb_image_sized layer")
    try:
        net = _read(data, start)
    except IndexError as exc:
        raise NotTheFaceNetwork("the file ends inside a layer") from exc
    except (ValueError, OverflowError) as exc:  # a shape or a number that cannot be
        raise NotTheFaceNetwork(f"a damaged layer: {exc}") from exc
    found = [_signature(layer) for layer in net.layers]
    expected = _documented()
    if net.size != SIZE or found != expected:
        at = next(
            (k for k, (a, b) in enumerate(zip(found, expected, strict=False)) if a != b), None
        )
        where = f"layer {at}: {found[at]}, not {expected[at]}" if at is not None else ""
        raise NotTheFaceNetwork(
            f"not the documented face network ({len(found)} layers, input {net.size}) {where}"
        )
    return net


def _signature(layer: Layer) -> tuple[object, ...]:
    if isinstance(layer, Conv):
        return ("con", *layer.weights.shape, layer.bias.shape[0], layer.stride, layer.padding)
    if isinstance(layer, Affine):
        return ("affine", layer.gamma.shape[0], layer.beta.shape[0])
    if isinstance(layer, Pool):
        return (layer.kind, layer.size, layer.stride, layer.padding)
    if isinstance(layer, Linear):
        return ("fc", *layer.weights.shape)
    return (layer.kind,)


@functools.cache
def _documented() -> list[tuple[object, ...]]:
    """dlib's ``dnn_face_recognition_ex.cpp`` network (anet_type), input to output: a strided
    convolution (dlib pads only unstrided ones), then residual blocks of 32, 64, 128 and 256
    channels, each level starting with one that halves the picture, then a 128-d projection."""
    layers: list[tuple[object, ...]] = [
        ("con", 32, 3, 7, 7, 32, 2, 0),
        ("affine", 32, 32),
        ("relu",),
        ("max", 3, 2, 0),
    ]
    width = 32
    blocks = [(32, False)] * 3 + [(64, True)] + [(64, False)] * 3 + [(128, True)]
    blocks += [(128, False)] * 2 + [(256, True)] + [(256, False)] * 2 + [(256, True)]
    for n, halves in blocks:
        stride, pad = (2, 0) if halves else (1, 1)
        layers += [("con", n, width, 3, 3, n, stride, pad), ("affine", n, n), ("relu",)]
        layers += [("con", n, n, 3, 3, n, 1, 1), ("affine", n, n)]
        layers += [("avg", 2, 2, 0)] if halves else []
        layers += [("add",), ("relu",)]
        width = n
    return [*layers, ("avg", 0, 1, 0), ("fc", 256, 128)]


def _read(data: bytes, start: int) -> Network:
    r = _Reader(data)
    r.at = start
    r.text()
    mean = (r.real(), r.real(), r.real())
    size = r.integer()
    r.integer()
    layers: list[Layer] = []
    gap_from = r.at
    while r.at < len(data) - 2:
        name = _name_at(data, r.at)
        if name is None:
            r.at += 1
            continue
        gap = data[gap_from : r.at]
        if len(gap) > MAX_GAP or _VERSION_STRING.search(gap):
            raise NotTheFaceNetwork(f"{len(gap)} bytes this reader does not know before {name!r}")
        r.text()
        if name in _PARSERS:
            layers.append(_PARSERS[name](r))
        elif name in _PARSERS_NO_ARGS:
            layers.append(Marker(_PARSERS_NO_ARGS[name]))
        else:
            layers.append(_linear(r))
            break
        gap_from = r.at
    return Network(mean, size, tuple(layers))


def _shape_after(size: int, window: int, stride: int, padding: int) -> int:
    return (size + 2 * padding - window) // stride + 1


class _Graph:
    """Builds the ONNX graph, following each tensor's (channels, side) to pad residual sums
    as dlib's ``add_prev`` does: the smaller tensor counts as zeros where it has no values."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.weights: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}{self.count}"

    def constant(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        self.weights.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], out: str = "", **attributes: Any) -> str:
        out = out or self.name(kind.lower())
        self.nodes.append(helper.make_node(kind, inputs, [out], **attributes))
        return out

    def conv(self, x: str, layer: Conv, affine: Affine) -> str:
        # dlib's affine after a convolution folds into it: gamma·(w∗x + b) + beta.
        weights = layer.weights * affine.gamma[:, None, None, None]
        bias = layer.bias * affine.gamma + affine.beta
        p = layer.padding
        return self.op(
            "Conv",
            [x, self.constant("w", weights), self.constant("b", bias)],
            kernel_shape=list(layer.weights.shape[2:]),
            strides=[layer.stride] * 2,
            pads=[p, p, p, p],
        )

    def pool(self, x: str, layer: Pool) -> str:
        kind = "MaxPool" if layer.kind == "max" else "AveragePool"
        size, stride, p = [layer.size] * 2, [layer.stride] * 2, [layer.padding] * 4
        return self.op(kind, [x], kernel_shape=size, strides=stride, pads=p)

    def pad_to(self, x: str, shape: tuple[int, int], target: tuple[int, int]) -> str:
        if shape == target:
            return x
        extra = [0, target[0] - shape[0], target[1] - shape[1], target[1] - shape[1]]
        pads = np.array([0, 0, 0, 0, *extra], dtype=np.int64)
        return self.op("Pad", [x, self.constant("pads", pads)])


def _typed(layers: tuple[Layer, ...], kind: type[_L]) -> list[_L]:
    found = [x for x in layers if isinstance(x, kind)]
    assert len(found) == len(layers), layers
    return found


def to_onnx(net: Network) -> bytes:
    """The network ``read`` checked as ONNX: float32 input (N, 3, size, size), already scaled
    as dlib scales (``scaled``). Its layers are the documented ones, in their order: a stem
    (conv affine relu max_pool), blocks (conv affine relu conv affine [avg_pool] add relu)
    and a head (global average, linear)."""
    g = _Graph()
    layers = net.layers
    (conv,), (affine,) = _typed(layers[:1], Conv), _typed(layers[1:2], Affine)
    (pool,) = _typed(layers[3:4], Pool)
    x = g.pool(g.op("Relu", [g.conv("chips", conv, affine)]), pool)
    side = _shape_after(net.size, conv.weights.shape[2], conv.stride, conv.padding)
    side, channels = _shape_after(side, pool.size, pool.stride, pool.padding), conv.weights.shape[0]
    i = 4
    while isinstance(layers[i], Conv):
        end = layers.index(Marker("add"), i) + 2  # the block ends with add, relu
        first, second = _typed(layers[i:end:3][:2], Conv)
        affine1, affine2 = _typed(layers[i + 1 : i + 5 : 3], Affine)
        y = g.conv(g.op("Relu", [g.conv(x, first, affine1)]), second, affine2)
        y_side = _shape_after(side, first.weights.shape[2], first.stride, first.padding)
        y_channels = second.weights.shape[0]
        if isinstance(down := layers[end - 3], Pool):  # a block that halves the picture
            x = g.pool(x, down)  # its input is pooled alike
            side = _shape_after(side, down.size, down.stride, down.padding)
        target = (max(channels, y_channels), max(side, y_side))
        pair = [g.pad_to(x, (channels, side), target), g.pad_to(y, (y_channels, y_side), target)]
        x = g.op("Relu", [g.op("Add", pair)])
        channels, side, i = target[0], target[1], end
    (fc,) = _typed(layers[i + 1 :], Linear)  # after the global average (``read`` checked it)
    x = g.op("Flatten", [g.op("GlobalAveragePool", [x])])
    g.op("MatMul", [x, g.constant("fc", fc.weights)], out="descriptor")
    inputs = [
        helper.make_tensor_value_info("chips", TensorProto.FLOAT, [None, 3, net.size, net.size])
    ]
    outputs = [
        helper.make_tensor_value_info("descriptor", TensorProto.FLOAT, [None, fc.weights.shape[1]])
    ]
    graph = helper.make_graph(
        g.nodes, "dlib_face_recognition_resnet_model_v1", inputs, outputs, g.weights
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())


def scaled(chips: np.ndarray, mean_rgb: np.ndarray) -> np.ndarray:
    """Aligned RGB chips (N, size, size, 3) as dlib feeds them: (pixel - mean) / 256, NCHW."""
    x = (chips.astype(np.float32) - mean_rgb) / np.float32(256.0)
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2))
