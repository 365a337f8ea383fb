#!/usr/bin/python3
"""PyTorch peer for the qat-fleet benchmarks.

Trains the same small CNN / MLP as the Java (TensorFlow Java) trainer on the
same Fashion-MNIST / MNIST splits, then runs PyTorch eager-mode
quantization-aware training (torch.ao.quantization: QuantStub/DeQuantStub,
fused conv+relu / linear+relu, FakeQuantize with moving-average min/max
observers, per-module qconfigs carrying the per-layer bit widths), and
evaluates the fake-quant model and the converted integer model.

Runs with Debian's /usr/bin/python3 + python3-torch (1.13) + python3-numpy;
standard library otherwise.  See README.md next to this file.

Sub-commands:
  quality  accuracy / macro-F1 rows (JSON lines) per seed x bits x granularity
  speed    training-step throughput (samples/s) for float and QAT steps
  split    print the first indices of the data split (java.util.Random replica)
  blas     which BLAS this process really runs (JSON): the speed comparison is
           only fair on an optimized one, never on the reference BLAS
"""

import argparse
import copy
import ctypes
import gzip
import json
import math
import os
import re
import statistics
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq

try:
    from torch.ao.quantization._learnable_fake_quantize import _LearnableFakeQuantize
except ImportError:  # not in every build
    _LearnableFakeQuantize = None

NUM_CLASSES = 10
CALIBRATION_SIZE = 5000
FLOAT_LR = 1e-3
QAT_LR = 2e-4
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-7
EVAL_BATCH = 1000


# --------------------------------------------------------------------------
# java.util.Random replica (48-bit LCG) and the Java split
# --------------------------------------------------------------------------

class JavaRandom:
    """Bit-exact re-implementation of the parts of java.util.Random we use."""

    _MULTIPLIER = 0x5DEECE66D
    _ADDEND = 0xB
    _MASK = (1 << 48) - 1

    def __init__(self, seed):
        self._seed = (int(seed) ^ self._MULTIPLIER) & self._MASK

    def next_bits(self, bits):
        self._seed = (self._seed * self._MULTIPLIER + self._ADDEND) & self._MASK
        r = self._seed >> (48 - bits)
        # Java casts the result to a signed 32-bit int.
        r &= 0xFFFFFFFF
        if r >= 1 << 31:
            r -= 1 << 32
        return r

    def next_int(self, bound):
        if bound <= 0:
            raise ValueError("bound must be positive")
        r = self.next_bits(31)
        m = bound - 1
        if bound & m == 0:  # power of two
            return (bound * r) >> 31
        u = r
        while True:
            r = u % bound
            # Java: while (u - r + m < 0) in 32-bit int arithmetic (overflow test).
            if u - r + m < (1 << 31):
                return r
            u = self.next_bits(31)


def java_permutation(n, rnd):
    p = list(range(n))
    for i in range(n - 1, 0, -1):
        j = rnd.next_int(i + 1)
        p[i], p[j] = p[j], p[i]
    return p


def split_indices(seed, n_train_file, n_test_file, train_limit, test_limit,
                  calibration_size=CALIBRATION_SIZE):
    """The Java DatasetLoader split: (train, calibration, test) index arrays, sorted."""
    if calibration_size >= n_train_file:
        raise ValueError("calibration split leaves no training images")
    rnd = JavaRandom(seed)
    order = java_permutation(n_train_file, rnd)
    available = n_train_file - calibration_size
    train_count = available if train_limit == 0 else min(train_limit, available)
    calibration = sorted(order[:calibration_size])
    train = sorted(order[calibration_size:calibration_size + train_count])
    test_count = n_test_file if test_limit == 0 else min(test_limit, n_test_file)
    if test_count == n_test_file:
        test = list(range(n_test_file))
    else:
        test = sorted(java_permutation(n_test_file, rnd)[:test_count])
    return (np.asarray(train, dtype=np.int64), np.asarray(calibration, dtype=np.int64),
            np.asarray(test, dtype=np.int64))


# --------------------------------------------------------------------------
# IDX data
# --------------------------------------------------------------------------

FILE_STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
              "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
SYSTEM_ROOT = "/usr/share/datasets"


def data_dir():
    env = os.environ.get("QAT_DATA_DIR")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".cache", "qat-fleet", "datasets")


def find_dataset(name):
    """Same search order as the Java loader: <dataDir>/<name>, then /usr/share/datasets/<name>."""
    searched = []
    for root in (data_dir(), SYSTEM_ROOT):
        d = os.path.join(root, name)
        files = []
        for stem in FILE_STEMS:
            for candidate in (os.path.join(d, stem), os.path.join(d, stem + ".gz")):
                if os.path.isfile(candidate):
                    files.append(candidate)
                    break
        if len(files) == len(FILE_STEMS):
            return files
        searched.append(d)
    raise FileNotFoundError("dataset %s not found in %s" % (name, ", ".join(searched)))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError("%s: not an unsigned-byte IDX file" % path)
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    offset = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(data) - offset != count:
        raise ValueError("%s: expected %d bytes of data, found %d" % (path, count, len(data) - offset))
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


_RAW_CACHE = {}


def load_raw(name):
    if name not in _RAW_CACHE:
        files = find_dataset(name)
        arrays = [read_idx(p) for p in files]
        _RAW_CACHE[name] = (arrays, files)
    return _RAW_CACHE[name]


def to_tensors(images, labels, indices, model_kind):
    x = torch.from_numpy(images[indices].astype(np.float32) / np.float32(255.0))
    if model_kind == "cnn":
        x = x.reshape(-1, 1, 28, 28)
    else:
        x = x.reshape(-1, 28 * 28)
    y = torch.from_numpy(labels[indices].astype(np.int64))
    return x.contiguous(), y


def load_split(dataset, seed, train_limit, test_limit, model_kind):
    (tr_x, tr_y, te_x, te_y), _ = load_raw(dataset)
    train, _calibration, test = split_indices(seed, len(tr_x), len(te_x), train_limit, test_limit)
    xtr, ytr = to_tensors(tr_x, tr_y, train, model_kind)
    xte, yte = to_tensors(te_x, te_y, test, model_kind)
    return xtr, ytr, xte, yte


# --------------------------------------------------------------------------
# Models
# --------------------------------------------------------------------------

class SmallCNN(nn.Module):
    # weight layers in order, and the (layer, relu) pairs to fuse
    LAYERS = ("conv1", "conv2", "fc1", "fc2")
    FUSE = (["conv1", "relu1"], ["conv2", "relu2"], ["fc1", "relu3"])

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(1, 32, 3, stride=1, padding=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=1, padding=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(7 * 7 * 64, 128)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(128, NUM_CLASSES)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu3(self.fc1(x))
        x = self.fc2(x)
        return self.dequant(x)


class MLP(nn.Module):
    LAYERS = ("fc1", "fc2", "fc3")
    FUSE = (["fc1", "relu1"], ["fc2", "relu2"])

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.fc1 = nn.Linear(784, 256)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(256, 128)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(128, NUM_CLASSES)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        x = self.fc3(x)
        return self.dequant(x)


# Layer graphs from the Java side (qat-bench's PeerGraph): the model we train, node by node, so
# that presets such as resnet8 and mobilenet-tiny are not copied here.
GRAPH_VERSION = 1
BN_EPS = 1e-3       # ModelGraph.BN_EPSILON
BN_MOMENTUM = 0.1   # ours keeps 0.9 of the moving average per step: torch's momentum is the rest
PASS_THROUGH = ("maxPool", "avgPool", "globalAvgPool", "flatten")


class GlobalAvgPool(nn.Module):
    """globalAvgPool: the mean over height and width, as a vector (works on quantized tensors)."""

    def forward(self, x):
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


class AddNode(nn.Module):
    """add (a residual join), with the ReLU that reads it folded in when it is the only reader."""

    def __init__(self, relu):
        super().__init__()
        self.relu = relu
        self.ff = nn.quantized.FloatFunctional()

    def forward(self, a, b):
        return self.ff.add_relu(a, b) if self.relu else self.ff.add(a, b)


class Requant(nn.Module):
    """A weight layer's own input quantizer where the value it reads also goes elsewhere.

    Eager mode quantizes a value once, at the module that produces it; a value read by a weight
    layer (at that layer's input bits) and by an add (a residual shortcut, ours keeps it in int32)
    is quantized at 8 bits there and requantized here to the layer's bits.
    """

    def __init__(self):
        super().__init__()
        self.dequant = tq.DeQuantStub()
        self.quant = tq.QuantStub()

    def forward(self, x):
        return self.quant(self.dequant(x))


class Relu6Node(nn.Module):
    """relu6, then its own quantizer (a Requant).

    torch's quantized ReLU6 keeps its input's scale and ignores the observer eager mode gives it,
    so a fake-quantized ReLU6 at A bits would become an 8-bit one in the integer model. Here the
    ReLU6 has no quantizer and the Requant after it quantizes its output, the same in the
    fake-quant and the integer model.
    """

    def __init__(self):
        super().__init__()
        self.relu6 = nn.ReLU6()
        self.requant = Requant()

    def forward(self, x):
        return self.requant(self.relu6(x))


def _sources(node):
    return [node["input"]] + ([node["other"]] if node["kind"] == "add" else [])


class GraphNet(nn.Module):
    """The Java model's layer graph (PeerGraph JSON) as an eager-mode quantizable module.

    Every node is a module named n<position>, built in node order (so a graph of the cnn or mlp
    preset draws the same initial weights as SmallCNN / MLP for a seed). NCHW inside: flatten
    takes (c, h, w) order where ours takes (h, w, c), a fixed permutation of the dense layer's
    inputs, which does not matter for a model trained from scratch.
    """

    def __init__(self, graph):
        super().__init__()
        if graph.get("version") != GRAPH_VERSION:
            raise ValueError("graph version %r, this peer reads %d" % (graph.get("version"), GRAPH_VERSION))
        nodes = graph["nodes"]
        if not nodes or nodes[-1]["kind"] != "dense":
            raise ValueError("graph: the last node must be the dense logits layer")
        self.graph = graph
        self.nodes = nodes
        self.image = graph["image"]
        readers = [[] for _ in nodes]
        for nd in nodes:
            for src in _sources(nd):
                if src >= 0:
                    readers[src].append(nd["position"])
        self.readers = readers
        self.absorbed = set()  # relu nodes folded into the add they read
        self.quant = tq.QuantStub()
        layer_names = [None] * graph["weightLayers"]
        for nd in nodes:
            p, kind = nd["position"], nd["kind"]
            if p in self.absorbed:
                continue
            if kind == "conv2d":
                m = nn.Conv2d(nd["inChannels"], nd["outChannels"], nd["kernel"], stride=nd["stride"],
                              padding=nd["padding"], groups=nd["groups"], bias=True)
                layer_names[nd["layer"]] = "n%d" % p
            elif kind == "dense":
                m = nn.Linear(nd["inChannels"], nd["outChannels"])
                layer_names[nd["layer"]] = "n%d" % p
            elif kind == "batchNorm":
                channels = nd["inShape"]["channels"]
                bn = nn.BatchNorm1d if nd["inShape"]["flat"] else nn.BatchNorm2d
                m = bn(channels, eps=BN_EPS, momentum=BN_MOMENTUM)
            elif kind == "relu":
                m = nn.ReLU()
            elif kind == "relu6":
                m = Relu6Node()
            elif kind == "maxPool":
                m = nn.MaxPool2d(nd["size"], stride=nd["stride"])
            elif kind == "avgPool":
                m = nn.AvgPool2d(nd["size"], stride=nd["stride"])
            elif kind == "globalAvgPool":
                m = GlobalAvgPool()
            elif kind == "flatten":
                m = nn.Flatten()
            elif kind == "add":
                only = readers[p][0] if len(readers[p]) == 1 else None
                fold = only is not None and nodes[only]["kind"] == "relu"
                if fold:
                    self.absorbed.add(only)
                m = AddNode(fold)
            else:
                raise ValueError("graph node %d: unknown kind %r" % (p, kind))
            setattr(self, "n%d" % p, m)
        if any(n is None for n in layer_names):
            raise ValueError("graph: weightLayers does not match the conv2d/dense nodes")
        self.LAYERS = tuple(layer_names)
        self.FUSE = self._fusions()
        self.requants = {}  # weight node position -> Requant module name
        self._plan_quantizers()
        self.dequant = tq.DeQuantStub()

    def _fusions(self):
        """conv/dense + batchNorm (+ relu), conv/dense + relu: the groups torch fuses for QAT."""
        out = []
        nodes, readers = self.nodes, self.readers
        for nd in nodes:
            if nd["kind"] not in ("conv2d", "dense"):
                continue
            chain = [nd["position"]]
            nxt = readers[chain[-1]]
            if len(nxt) == 1 and nodes[nxt[0]]["kind"] == "batchNorm":
                chain.append(nxt[0])
                nxt = readers[chain[-1]]
            # torch fuses Linear+BatchNorm1d but not Linear+BatchNorm1d+ReLU
            if (len(nxt) == 1 and nodes[nxt[0]]["kind"] == "relu"
                    and not (nd["kind"] == "dense" and len(chain) == 2)):
                chain.append(nxt[0])
            if len(chain) > 1:
                out.append(["n%d" % p for p in chain])
        return out

    def _plan_quantizers(self):
        """Which module output carries each value's quantizer, who reads it, which inputs requantize.

        After fusion the observed outputs are: the image (QuantStub), each fused weight module,
        each add and each relu6 (its Requant); pooling, flatten, an unfused relu and the fused-away nodes pass
        their input's quantized value on.
        """
        nodes = self.nodes
        fused_away = {name for group in self.FUSE for name in group[1:]}
        producer = {}
        observed = set()
        for nd in nodes:
            p, kind = nd["position"], nd["kind"]
            name = "n%d" % p
            if kind in ("conv2d", "dense", "add", "relu6"):
                producer[p] = p
                observed.add(p)
            elif p in self.absorbed or name in fused_away or kind in PASS_THROUGH or kind == "relu":
                producer[p] = producer[nd["input"]] if nd["input"] >= 0 else -1
            else:  # a batch norm that could not be fused
                raise ValueError("graph node %d (%s): cannot place its quantizer" % (p, kind))
        consumers = {}
        for nd in nodes:
            p = nd["position"]
            if p not in observed:
                continue
            for src in _sources(nd):
                prod = producer[src] if src >= 0 else -1
                consumers.setdefault(prod, []).append(p)
        self.producer = producer
        self.consumers = consumers
        n_layers = len(self.LAYERS)
        for prod, readers in consumers.items():
            if prod < 0:
                continue  # the image: its readers take pixels (8 bits, no quantizer of ours)
            weight = [q for q in readers if nodes[q]["kind"] in ("conv2d", "dense")]
            other = [q for q in readers if q not in weight]
            edge = {nodes[q]["layer"] in (0, n_layers - 1) for q in weight}
            if weight and (other or len(edge) > 1):
                for q in weight:
                    name = "rq%d" % q
                    setattr(self, name, Requant())
                    self.requants[q] = name

    def qat_bits(self, weight_bits, act_bits):
        """qconfig bits per module: {name: (activation bits, weight bits or None)}."""
        nodes = self.nodes
        n_layers = len(self.LAYERS)
        w_bits, in_bits = layer_bits(n_layers, weight_bits, act_bits)
        out = {}
        for prod in sorted(p for p in set(self.producer.values()) if p >= 0 and self.producer[p] == p):
            nd = nodes[prod]
            readers = self.consumers.get(prod, [])
            weight = [q for q in readers if nodes[q]["kind"] in ("conv2d", "dense")]
            if not readers:
                bits = 8  # the logits (the dequant stub reads them)
            elif len(weight) == len(readers) and not any(q in self.requants for q in weight):
                bits = in_bits[nodes[weight[0]]["layer"]]
            else:
                bits = 8
            wb = w_bits[nd["layer"]] if nd["kind"] in ("conv2d", "dense") else None
            out["n%d.requant" % prod if nd["kind"] == "relu6" else "n%d" % prod] = (bits, wb)
        for q, name in self.requants.items():
            out[name] = (in_bits[nodes[q]["layer"]], None)
        return out

    def forward(self, x):
        x = self.quant(x)
        values = []
        for nd in self.nodes:
            p = nd["position"]
            src = values[nd["input"]] if nd["input"] >= 0 else x
            if p in self.absorbed:
                y = src
            elif nd["kind"] == "add":
                other = values[nd["other"]] if nd["other"] >= 0 else x
                y = getattr(self, "n%d" % p)(src, other)
            else:
                if p in self.requants:
                    src = getattr(self, self.requants[p])(src)
                y = getattr(self, "n%d" % p)(src)
            values.append(y)
        return self.dequant(values[-1])

    def prepare_qat(self, weight_bits, act_bits, granularity, learnable=False):
        """Copy, fuse, a qconfig per quantizer (bits from qat_bits), prepare_qat."""
        model = copy.deepcopy(self)
        model.train()
        if model.FUSE:
            tq.fuse_modules_qat(model, [list(g) for g in model.FUSE], inplace=True)
        model.qconfig = None
        placeholder_w = weight_fake_quant(8, "per_tensor", 1)
        model.quant.qconfig = tq.QConfig(activation=act_fake_quant(8, learnable), weight=placeholder_w)
        model.dequant.qconfig = tq.QConfig(activation=act_fake_quant(8), weight=placeholder_w)
        for name, (bits, wb) in model.qat_bits(weight_bits, act_bits).items():
            module = model.get_submodule(name)
            if wb is None:
                weight = placeholder_w
            else:
                holder = module[0] if isinstance(module, nn.Sequential) else module
                weight = weight_fake_quant(wb, granularity, holder.weight.shape[0], learnable)
            module.qconfig = tq.QConfig(activation=act_fake_quant(bits, learnable), weight=weight)
        tq.prepare_qat(model, inplace=True)
        return model


def load_graph(path, model_name):
    with open(path) as f:
        graph = json.load(f)
    if graph.get("model") != model_name:
        raise SystemExit("--graph %s is the graph of %r, not of --model %r" % (path, graph.get("model"), model_name))
    image = graph["image"]
    shape = (image["channels"],) if image["flat"] else (image["height"], image["width"], image["channels"])
    if shape not in ((28 * 28,), (28, 28, 1)):
        raise SystemExit("--graph: the peer reads 28x28 grayscale IDX images, the graph takes %s"
                         % (shape,))
    return graph


def he_normal_init(model):
    """He-normal kernels (std sqrt(2/fan_in)), zero biases, in layer order."""
    for name in model.LAYERS:
        layer = getattr(model, name)
        w = layer.weight
        if w.dim() == 4:
            fan_in = w.shape[1] * w.shape[2] * w.shape[3]
        else:
            fan_in = w.shape[1]
        with torch.no_grad():
            w.normal_(0.0, math.sqrt(2.0 / fan_in))
            layer.bias.zero_()


def build_model(kind, seed, graph=None):
    """SmallCNN / MLP by name, or the Java side's layer graph when one is given."""
    torch.manual_seed(seed)
    if graph is not None:
        model = GraphNet(graph)
    else:
        model = SmallCNN() if kind == "cnn" else MLP()
    he_normal_init(model)
    return model


# --------------------------------------------------------------------------
# Quantization configuration
# --------------------------------------------------------------------------

def layer_bits(n_layers, weight_bits, act_bits):
    """(weight bits, input bits) per weight layer, as the Java layout: first/last at 8."""
    w = [8] + [weight_bits] * (n_layers - 2) + [8]
    a = [8] + [act_bits] * (n_layers - 2) + [8]
    return w, a


def act_fake_quant(bits, learnable=False):
    kwargs = dict(observer=tq.MovingAverageMinMaxObserver, quant_min=0, quant_max=2 ** bits - 1,
                  dtype=torch.quint8, qscheme=torch.per_tensor_affine, reduce_range=False)
    if learnable:
        return _LearnableFakeQuantize.with_args(use_grad_scaling=True, **kwargs)
    return tq.FakeQuantize.with_args(**kwargs)


def weight_fake_quant(bits, granularity, channels, learnable=False):
    qmax = 2 ** (bits - 1) - 1
    kwargs = dict(quant_min=-qmax, quant_max=qmax, dtype=torch.qint8, reduce_range=False)
    if granularity == "per_channel":
        kwargs.update(observer=tq.MovingAveragePerChannelMinMaxObserver,
                      qscheme=torch.per_channel_symmetric, ch_axis=0)
        if learnable:
            kwargs["channel_len"] = channels
    elif granularity == "per_tensor":
        kwargs.update(observer=tq.MovingAverageMinMaxObserver, qscheme=torch.per_tensor_symmetric)
    else:
        raise ValueError("unknown granularity " + granularity)
    if learnable:
        return _LearnableFakeQuantize.with_args(use_grad_scaling=True, **kwargs)
    return tq.FakeQuantize.with_args(**kwargs)


def prepare_qat_model(float_model, weight_bits, act_bits, granularity, learnable=False):
    """Copy, fuse, give every layer its own qconfig, prepare_qat.

    Eager mode puts the activation fake-quant on a module's *output*, so the
    output quantizer of layer i carries the input bits of layer i+1; the
    QuantStub quantizes the image (layer 0's input) at 8 bits; the logits
    (output of the last layer) are quantized at 8 bits (affine) because the
    integer model's last op must produce a quantized tensor.
    """
    if isinstance(float_model, GraphNet):
        return float_model.prepare_qat(weight_bits, act_bits, granularity, learnable)
    model = copy.deepcopy(float_model)
    model.train()
    tq.fuse_modules_qat(model, [list(p) for p in model.FUSE], inplace=True)
    names = model.LAYERS
    n = len(names)
    w_bits, in_bits = layer_bits(n, weight_bits, act_bits)
    model.qconfig = None
    placeholder_w = weight_fake_quant(8, "per_tensor", 1)
    model.quant.qconfig = tq.QConfig(activation=act_fake_quant(in_bits[0], learnable),
                                     weight=placeholder_w)
    model.dequant.qconfig = tq.QConfig(activation=act_fake_quant(8), weight=placeholder_w)
    for i, name in enumerate(names):
        module = getattr(model, name)
        out_bits = in_bits[i + 1] if i + 1 < n else 8
        # fused modules are Sequentials whose first child holds the weight
        weight_holder = module[0] if isinstance(module, nn.Sequential) else module
        channels = weight_holder.weight.shape[0]
        module.qconfig = tq.QConfig(
            activation=act_fake_quant(out_bits, learnable),
            weight=weight_fake_quant(w_bits[i], granularity, channels, learnable))
    tq.prepare_qat(model, inplace=True)
    return model


def start_lsq(model, first_batch):
    """Initialise learnable scales from one static estimate, then learn them (LSQ-style)."""
    model.train()
    with torch.no_grad():
        model(first_batch)
    for m in model.modules():
        if isinstance(m, _LearnableFakeQuantize):
            m.enable_param_learning()
            m.zero_point.requires_grad = False  # symmetric weights / unsigned ReLU outputs


# --------------------------------------------------------------------------
# Training and evaluation
# --------------------------------------------------------------------------

def cosine_lr(base, step, total_steps):
    if total_steps <= 1:
        return base
    t = min(1.0, step / (total_steps - 1))
    return base * 0.5 * (1.0 + math.cos(math.pi * t))


def make_adam(model, lr):
    params = [p for p in model.parameters() if p.requires_grad]
    return torch.optim.Adam(params, lr=lr, betas=ADAM_BETAS, eps=ADAM_EPS, weight_decay=0.0)


def train_phase(model, x, y, epochs, batch, base_lr, seed, first_epoch, optimizer=None):
    """Adam + per-step half-cosine decay; epoch e shuffled with seed*1000003+e."""
    n = x.shape[0]
    steps_per_epoch = (n + batch - 1) // batch
    total = epochs * steps_per_epoch
    if optimizer is None:
        optimizer = make_adam(model, base_lr)
    model.train()
    step = 0
    last_loss = float("nan")  # stays NaN (-> None) when there are no steps
    for e in range(epochs):
        g = torch.Generator()
        g.manual_seed(seed * 1000003 + first_epoch + e)
        perm = torch.randperm(n, generator=g)
        for b in range(steps_per_epoch):
            idx = perm[b * batch:(b + 1) * batch]
            lr = cosine_lr(base_lr, step, total)
            for group in optimizer.param_groups:
                group["lr"] = lr
            optimizer.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            step += 1
        last_loss = float(loss.detach())
    # NaN/inf would make the row invalid JSON for the Java reader (Jackson)
    return last_loss if math.isfinite(last_loss) else None


def predict(model, x):
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, x.shape[0], EVAL_BATCH):
            out.append(model(x[i:i + EVAL_BATCH]).argmax(dim=1))
    return torch.cat(out).numpy()


def metrics(pred, labels):
    labels = np.asarray(labels)
    cm = np.zeros((NUM_CLASSES, NUM_CLASSES), dtype=np.int64)
    np.add.at(cm, (labels, pred), 1)
    accuracy = float(np.trace(cm)) / max(1, len(labels))
    f1s = []
    for c in range(NUM_CLASSES):
        tp = cm[c, c]
        predicted = cm[:, c].sum()
        actual = cm[c, :].sum()
        precision = tp / predicted if predicted > 0 else 0.0
        recall = tp / actual if actual > 0 else 0.0
        f1s.append(0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall))
    return accuracy, float(np.mean(f1s))


def engine_order(requested):
    supported = list(torch.backends.quantized.supported_engines)
    if requested != "auto":
        return [requested]
    return [e for e in ("fbgemm", "onednn", "qnnpack") if e in supported]


def int_predict(qat_model, x, engines):
    """Convert with the first engine that works; returns (pred, engine, errors)."""
    errors = []
    previous = torch.backends.quantized.engine
    try:
        for engine in engines:
            try:
                torch.backends.quantized.engine = engine
                qmodel = tq.convert(copy.deepcopy(qat_model).eval(), inplace=False)
                return predict(qmodel, x), engine, errors
            except Exception as exc:  # record and try the next engine
                errors.append("%s: %s: %s" % (engine, type(exc).__name__, str(exc).splitlines()[0] if str(exc) else ""))
    finally:
        torch.backends.quantized.engine = previous
    return None, None, errors


# --------------------------------------------------------------------------
# quality
# --------------------------------------------------------------------------

def parse_bits(spec):
    out = []
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        m = re.fullmatch(r"w?(\d+)(?:/|a)(\d+)", item.lower())
        if not m:
            raise ValueError("bits are W/A pairs like 4/8 (or w4a8): " + item)
        w, a = int(m.group(1)), int(m.group(2))
        if not (2 <= w <= 8 and 2 <= a <= 8):
            raise ValueError("bits must be 2..8: " + item)
        out.append((w, a))
    return out


_PACKAGE_VERSION = []


def package_version():
    """Debian package version of python3-torch (torch.__version__ says 1.13.0a0 there), or None."""
    if not _PACKAGE_VERSION:
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "python3-torch"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            v = ""
        _PACKAGE_VERSION.append(v or None)
    return _PACKAGE_VERSION[0]


# Debian's torch links the generic libblas.so.3; what it resolves to is the BLAS that runs GEMM.
_BLAS_KINDS = (("openblas", "openblas"), ("blis", "blis"), ("mkl", "mkl"), ("atlas", "atlas"),
               ("/blas/", "reference"))


class _DlInfo(ctypes.Structure):
    _fields_ = [("dli_fname", ctypes.c_char_p), ("dli_fbase", ctypes.c_void_p),
                ("dli_sname", ctypes.c_char_p), ("dli_saddr", ctypes.c_void_p)]


def _sgemm_library():
    """The file whose sgemm_ libtorch_cpu calls: dlsym in its dependency order, then dladdr."""
    try:
        torch_cpu = ctypes.CDLL(os.path.join(os.path.dirname(torch.__file__), "lib",
                                             "libtorch_cpu.so"))
        address = ctypes.cast(torch_cpu.sgemm_, ctypes.c_void_p).value
        info = _DlInfo()
        if ctypes.CDLL(None).dladdr(ctypes.c_void_p(address), ctypes.byref(info)) and info.dli_fname:
            return os.path.realpath(info.dli_fname.decode())
    except (OSError, AttributeError):  # not a Debian build, or no BLAS symbol: say unknown
        pass
    return None


def _gemm_gflops(n=1024, runs=5):
    a = torch.rand(n, n)
    torch.mm(a, a)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        torch.mm(a, a)
        times.append(time.perf_counter() - t0)
    return round(2.0 * n ** 3 / statistics.median(times) / 1e9, 1)


def blas_info():
    """The BLAS that runs this process's GEMM, its kind, torch's build and a GEMM's GFLOP/s."""
    library = _sgemm_library()
    kind = "unknown"
    for needle, k in _BLAS_KINDS:
        if library and needle in library:
            kind = k
            break
    package = None
    if library:
        try:
            out = subprocess.run(["dpkg-query", "-S", library], capture_output=True, text=True,
                                 timeout=10).stdout.strip()
            package = out.split(":")[0] if out else None
        except (OSError, subprocess.SubprocessError):
            pass
    config = torch.__config__.show()
    build = re.search(r"BLAS_INFO=([^,\s]+)", config)
    capability = re.search(r"CPU capability usage: (\S+)", config)
    return {"library": library, "kind": kind, "package": package,
            "torchBlasInfo": build.group(1) if build else None,
            "cpuCapability": capability.group(1) if capability else None,
            "torchThreads": torch.get_num_threads(),
            "openblasNumThreads": os.environ.get("OPENBLAS_NUM_THREADS"),
            "gemm1024Gflops": _gemm_gflops()}


def header(args):
    print("torch %s (package %s), numpy %s, threads %d, quantized engines %s" % (
        torch.__version__, package_version(), np.__version__, torch.get_num_threads(),
        ",".join(torch.backends.quantized.supported_engines)), flush=True)
    print("blas: %s" % json.dumps(blas_info()), flush=True)


def cmd_blas(args):
    torch.set_num_threads(args.threads)
    info = dict(blas_info(), torchVersion=torch.__version__, torchPackage=package_version())
    print(json.dumps(info))
    return 0


def cmd_quality(args):
    torch.set_num_threads(args.threads)
    if args.float_epochs < 1 or args.qat_epochs < 1 or args.batch < 1:
        raise SystemExit("--float-epochs, --qat-epochs and --batch must be >= 1 "
                         "(QAT observers need at least one training step)")
    if args.train_limit < 0 or args.test_limit < 0:
        raise SystemExit("--train-limit and --test-limit must be >= 0 (0 means all)")
    engines = engine_order(args.engine)
    header(args)
    print("int conversion engines to try: %s" % ",".join(engines), flush=True)
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        if m not in ("pytorch_qat", "pytorch_lsq"):
            raise SystemExit("unknown method " + m)
    if "pytorch_lsq" in methods and _LearnableFakeQuantize is None:
        raise SystemExit("pytorch_lsq needs torch.ao.quantization._learnable_fake_quantize")
    bits = parse_bits(args.bits)
    grans = [g.strip() for g in args.granularity.split(",") if g.strip()]
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    out = open(args.out, "a") if args.out else None

    def emit(row):
        line = json.dumps(row, allow_nan=False)
        print(line, flush=True)
        if out:
            out.write(line + "\n")
            out.flush()

    graph = load_graph(args.graph, args.model) if args.graph else None
    if graph is None and args.model not in ("cnn", "mlp"):
        raise SystemExit("--model %s needs --graph (the layer graph qat-bench writes)" % args.model)
    layout = "cnn" if graph is not None else args.model  # a graph flattens the NCHW image itself
    for seed in seeds:
        xtr, ytr, xte, yte = load_split(args.dataset, seed, args.train_limit, args.test_limit, layout)
        base = {"framework": "pytorch", "version": torch.__version__,
                "torchPackage": package_version(), "dataset": args.dataset,
                "model": args.model, "seed": seed}
        tail = {"trainSamples": int(xtr.shape[0]), "testSamples": int(xte.shape[0]),
                "floatEpochs": args.float_epochs, "qatEpochs": args.qat_epochs,
                "batch": args.batch, "threads": args.threads}
        t0 = time.perf_counter()
        float_model = build_model(args.model, seed, graph)
        loss = train_phase(float_model, xtr, ytr, args.float_epochs, args.batch, FLOAT_LR, seed, 0)
        train_s = time.perf_counter() - t0
        acc, f1 = metrics(predict(float_model, xte), yte.numpy())
        row = dict(base, method="float", weightBits=32, activationBits=32, granularity=None,
                   accuracy=acc, macroF1=f1, fakeQuantAccuracy=None, intAccuracy=None,
                   intError=None, backend=None, **tail)
        row.update(seconds=round(time.perf_counter() - t0, 3), trainSeconds=round(train_s, 3),
                   finalLoss=loss, loadAvg1=os.getloadavg()[0])
        emit(row)

        for method in methods:
            for (wb, ab) in bits:
                for gran in grans:
                    t0 = time.perf_counter()
                    learnable = method == "pytorch_lsq"
                    qat = prepare_qat_model(float_model, wb, ab, gran, learnable)
                    if learnable:
                        start_lsq(qat, xtr[:args.batch])
                    loss = train_phase(qat, xtr, ytr, args.qat_epochs, args.batch, QAT_LR, seed,
                                       args.float_epochs)
                    train_s = time.perf_counter() - t0
                    qat.apply(tq.disable_observer)  # freeze ranges before evaluating
                    fq_pred = predict(qat, xte)
                    fq_acc, fq_f1 = metrics(fq_pred, yte.numpy())
                    int_pred, engine, errors = int_predict(qat, xte, engines)
                    if int_pred is not None:
                        int_acc, int_f1 = metrics(int_pred, yte.numpy())
                        agreement = float(np.mean(int_pred == fq_pred))
                        acc, f1, int_error = int_acc, int_f1, None
                    else:
                        int_acc, agreement = None, None
                        acc, f1, int_error = fq_acc, fq_f1, "; ".join(errors)
                    row = dict(base, method=method, weightBits=wb, activationBits=ab,
                               granularity=gran, accuracy=acc, macroF1=f1,
                               fakeQuantAccuracy=fq_acc, intAccuracy=int_acc, intError=int_error,
                               backend=engine, **tail)
                    row.update(seconds=round(time.perf_counter() - t0, 3),
                               trainSeconds=round(train_s, 3), finalLoss=loss,
                               fakeQuantMacroF1=fq_f1, intFakeQuantAgreement=agreement,
                               loadAvg1=os.getloadavg()[0])
                    if int_pred is not None and errors:
                        row["backendErrors"] = "; ".join(errors)
                    emit(row)
    if out:
        out.close()


# --------------------------------------------------------------------------
# speed
# --------------------------------------------------------------------------

def cmd_speed(args):
    torch.set_num_threads(args.threads)
    header(args)
    models = [m.strip() for m in args.model.split(",") if m.strip()]
    batches = [int(b) for b in args.batches.split(",") if b.strip()]
    (tr_x, tr_y, _, _), _ = load_raw("fashion-mnist")
    rows = []
    phases = [("float", None), ("qat W4A4", (4, 4)), ("qat W8A8", (8, 8))]
    for kind in models:
        need = max(batches) * (args.warmup + args.steps)
        idx = np.arange(min(need, len(tr_x)))
        x_all, y_all = to_tensors(tr_x, tr_y, idx, kind)
        for phase, bits in phases:
            for batch in batches:
                model = build_model(kind, 1)
                if bits is not None:
                    model = prepare_qat_model(model, bits[0], bits[1], "per_channel")
                model.train()
                opt = make_adam(model, QAT_LR if bits else FLOAT_LR)
                n_batches = max(1, x_all.shape[0] // batch)
                batches_xy = [(x_all[i * batch:(i + 1) * batch], y_all[i * batch:(i + 1) * batch])
                              for i in range(n_batches)]
                counter = [0]

                def one_step():
                    xb, yb = batches_xy[counter[0] % n_batches]
                    counter[0] += 1
                    opt.zero_grad(set_to_none=True)
                    loss = F.cross_entropy(model(xb), yb)
                    loss.backward()
                    opt.step()

                for _ in range(args.warmup):
                    one_step()
                repeats = []
                for _ in range(args.repeats):
                    t0 = time.perf_counter()
                    for _ in range(args.steps):
                        one_step()
                    dt = time.perf_counter() - t0
                    repeats.append(batch * args.steps / dt)
                row = {"model": kind, "phase": phase, "batch": batch,
                       "samplesPerSecond": statistics.median(repeats),
                       "repeats": repeats, "loadAvg1": os.getloadavg()[0]}
                rows.append(row)
                print("  %-4s %-9s batch %4d: %9.1f samples/s (repeats %s)" % (
                    kind, phase, batch, row["samplesPerSecond"],
                    ", ".join("%.1f" % r for r in repeats)), flush=True)
    result = {"framework": "pytorch", "version": torch.__version__,
              "torchPackage": package_version(), "threads": args.threads,
              "blas": blas_info(), "warmup": args.warmup, "steps": args.steps, "repeats": args.repeats,
              "rows": rows}
    print()
    print("%-5s %-10s %6s %14s" % ("model", "phase", "batch", "samples/s"))
    for r in rows:
        print("%-5s %-10s %6d %14.1f" % (r["model"], r["phase"], r["batch"], r["samplesPerSecond"]))
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")


# --------------------------------------------------------------------------
# split self-check
# --------------------------------------------------------------------------

def cmd_split(args):
    train, calibration, test = split_indices(args.seed, 60000, 10000, args.train_limit,
                                             args.test_limit)
    k = args.count
    print("seed %d trainLimit %d testLimit %d calibrationSize %d" % (
        args.seed, args.train_limit, args.test_limit, CALIBRATION_SIZE))
    print("train (%d) first %d: %s" % (len(train), k, " ".join(str(i) for i in train[:k])))
    print("calibration (%d) first %d: %s" % (len(calibration), k, " ".join(str(i) for i in calibration[:k])))
    print("test (%d) first %d: %s" % (len(test), k, " ".join(str(i) for i in test[:k])))
    print("index sums: train %d calibration %d test %d" % (int(train.sum()), int(calibration.sum()),
                                                           int(test.sum())))


# --------------------------------------------------------------------------
# graph self-check
# --------------------------------------------------------------------------

def cmd_graph_check(args):
    """The cnn / mlp graph from Java builds the very model SmallCNN / MLP builds.

    Same seed: the same initial weights layer by layer, the same float outputs, and after
    prepare_qat at each --bits the same fake-quant outputs in training mode (observers running),
    which only holds when every quantizer sits at the same place with the same bits.
    """
    torch.set_num_threads(args.threads)
    graph = load_graph(args.graph, args.model)
    if args.model not in ("cnn", "mlp"):
        raise SystemExit("graph-check compares the cnn or mlp graph with SmallCNN / MLP")
    failures = 0
    for seed in (1, 2):
        ref = build_model(args.model, seed)
        got = build_model(args.model, seed, graph)
        for a, b in zip(ref.LAYERS, got.LAYERS):
            la, lb = getattr(ref, a), getattr(got, b)
            same = torch.equal(la.weight, lb.weight) and torch.equal(la.bias, lb.bias)
            print("seed %d layer %s / %s weights %s" % (seed, a, b, "equal" if same else "DIFFER"))
            failures += not same
        g = torch.Generator()
        g.manual_seed(seed)
        x = torch.rand(64, 1, 28, 28, generator=g)
        xr = x if args.model == "cnn" else x.reshape(-1, 784)
        ref.eval()
        got.eval()
        same = torch.equal(ref(xr), got(x))
        print("seed %d float outputs %s" % (seed, "equal" if same else "DIFFER"))
        failures += not same
        for (wb, ab) in parse_bits(args.bits):
            qr = prepare_qat_model(ref, wb, ab, "per_channel")
            qg = prepare_qat_model(got, wb, ab, "per_channel")
            outs = [(qr(xr[i:i + 16]), qg(x[i:i + 16])) for i in range(0, 64, 16)]
            same = all(torch.equal(a, b) for a, b in outs)
            print("seed %d W%dA%d fake-quant outputs (training mode) %s" % (
                seed, wb, ab, "equal" if same else "DIFFER"))
            failures += not same
    print("graph-check: %s" % ("ok" if failures == 0 else "%d differences" % failures))
    return 0 if failures == 0 else 1


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--print-split", action="store_true",
                   help="print the first 5 split indices for seed 42, trainLimit 0, and exit")
    sub = p.add_subparsers(dest="cmd")

    q = sub.add_parser("quality", help="accuracy rows as JSON lines")
    q.add_argument("--dataset", default="fashion-mnist", choices=["fashion-mnist", "mnist"])
    q.add_argument("--model", default="cnn",
                   help="cnn or mlp (built here), or any model with --graph")
    q.add_argument("--graph", default=None,
                   help="the model's layer graph as JSON (qat-bench's PeerGraph): build that")
    q.add_argument("--seeds", default="1")
    q.add_argument("--bits", default="8/8,4/8,4/4,3/3,2/2", help="W/A pairs, comma separated")
    q.add_argument("--granularity", default="per_channel,per_tensor")
    q.add_argument("--methods", default="pytorch_qat", help="pytorch_qat and/or pytorch_lsq")
    q.add_argument("--train-limit", type=int, default=0)
    q.add_argument("--test-limit", type=int, default=0)
    q.add_argument("--float-epochs", type=int, default=3)
    q.add_argument("--qat-epochs", type=int, default=1)
    q.add_argument("--batch", type=int, default=128)
    q.add_argument("--threads", type=int, default=2)
    q.add_argument("--engine", default="auto", help="auto (fbgemm, onednn, qnnpack: first that works) or one engine")
    q.add_argument("--out", default=None, help="JSON-lines file to append to")

    s = sub.add_parser("speed", help="training-step throughput")
    s.add_argument("--model", default="cnn", help="cnn, mlp or cnn,mlp")
    s.add_argument("--batches", default="64,256")
    s.add_argument("--threads", type=int, default=2)
    s.add_argument("--warmup", type=int, default=5)
    s.add_argument("--steps", type=int, default=20)
    s.add_argument("--repeats", type=int, default=5)
    s.add_argument("--out", default=None)

    gc = sub.add_parser("graph-check", help="the cnn/mlp graph builds the same model as SmallCNN/MLP")
    gc.add_argument("--model", default="cnn", choices=["cnn", "mlp"])
    gc.add_argument("--graph", required=True)
    gc.add_argument("--bits", default="8/8,4/4,2/2")
    gc.add_argument("--threads", type=int, default=2)

    b = sub.add_parser("blas", help="the BLAS this process runs, as JSON")
    b.add_argument("--threads", type=int, default=2)

    sp = sub.add_parser("split", help="print the first split indices")
    sp.add_argument("--seed", type=int, default=42)
    sp.add_argument("--train-limit", type=int, default=0)
    sp.add_argument("--test-limit", type=int, default=0)
    sp.add_argument("--count", type=int, default=5)

    args = p.parse_args(argv)
    if args.print_split:
        return cmd_split(argparse.Namespace(seed=42, train_limit=0, test_limit=0, count=5))
    if args.cmd == "quality":
        return cmd_quality(args)
    if args.cmd == "speed":
        return cmd_speed(args)
    if args.cmd == "split":
        return cmd_split(args)
    if args.cmd == "graph-check":
        return cmd_graph_check(args)
    if args.cmd == "blas":
        return cmd_blas(args)
    p.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
