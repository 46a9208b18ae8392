"""VGG19's convolutional layers as a feature extractor, and where its weights come from.

The network is written out as a plain function over Keras layers (as keras.applications does) so it
can stop at the deepest layer in use: every layer past it would be work and memory for nothing.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import h5py
import numpy as np

from nst_engine.backend import keras
from nst_engine.errors import WeightsError

# Keras' ImageNet weights for VGG19 without the classifier, as keras.applications.vgg19 gets them.
WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
    "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
)
WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
WEIGHTS_HASH = "253f8cb515780f3b799900260a226db6"
WEIGHTS_ENV = "NST_VGG19_WEIGHTS"  # read in bot/config.py and by `nst`; named here for messages

# (filters, convolutions) per block, in order.
BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
CONV_LAYERS = tuple(
    f"block{block}_conv{conv}"
    for block, (_, convs) in enumerate(BLOCKS, start=1)
    for conv in range(1, convs + 1)
)


def stride(layer: str) -> int:
    """How many input pixels one position of a conv layer's output steps over: 2 per pooling."""
    return 2 ** (int(layer.removeprefix("block").partition("_")[0]) - 1)


def vgg19_features(outputs: Sequence[str], dtype: str | None = None) -> keras.Model:
    """VGG19 from the input up to the deepest layer named in `outputs`, returning those layers.

    Each output is a convolution after its ReLU (relu1_1 is `block1_conv1`). `dtype` is a Keras
    dtype policy such as "mixed_float16"; the outputs are then float16.
    """
    unknown = sorted(set(outputs) - set(CONV_LAYERS))
    if unknown:
        raise WeightsError(f"VGG19 has no layer {', '.join(unknown)}")
    deepest = max(CONV_LAYERS.index(name) for name in outputs)
    image = keras.Input(shape=(None, None, 3), name="image")
    x = image
    found: dict[str, keras.KerasTensor] = {}
    for block, (filters, convs) in enumerate(BLOCKS, start=1):
        if block > 1:
            x = keras.layers.MaxPooling2D(2, name=f"block{block - 1}_pool", dtype=dtype)(x)
        for conv in range(1, convs + 1):
            name = f"block{block}_conv{conv}"
            layer = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", name=name, dtype=dtype
            )
            x = found[name] = layer(x)
            if name == CONV_LAYERS[deepest]:
                return keras.Model(image, [found[n] for n in outputs], name="vgg19_features")
    raise AssertionError("unreachable: the deepest layer is in CONV_LAYERS")


def resolve_weights(path: str | Path | None = None) -> Path:
    """The weights file to use: `path`, else Keras' cached download.

    The engine reads no variable for it: the bot's Config and `nst` pass what $NST_VGG19_WEIGHTS
    names as `path`, so the messages name the variable.
    """
    if path:
        file = Path(path).expanduser()
        if not file.is_file():
            raise WeightsError(
                f"VGG19 weights file {file} does not exist; point {WEIGHTS_ENV} at a "
                f"copy of {WEIGHTS_URL} or unset it to let Keras download it"
            )
        return file
    cache = Path(os.environ.get("KERAS_HOME", "~/.keras")).expanduser() / "models" / WEIGHTS_FILE
    try:
        return Path(
            keras.utils.get_file(
                WEIGHTS_FILE, WEIGHTS_URL, cache_subdir="models", file_hash=WEIGHTS_HASH
            )
        )
    except Exception as error:  # get_file raises a bare Exception for network failures
        raise WeightsError(
            f"VGG19 weights are not in {cache} and downloading {WEIGHTS_URL} failed ({error}); "
            f"download that file there, or set {WEIGHTS_ENV} to a copy of it"
        ) from error


def weight_layers(path: Path) -> set[str]:
    """The VGG19 conv layers a Keras notop-layout weights file holds (none if unreadable)."""
    try:
        with h5py.File(path, "r") as file:
            root = file.get("model_weights", file)
            return {name for name in CONV_LAYERS if name in root}
    except OSError:
        return set()  # load_weights says what is wrong with the file


def load_weights(model: keras.Model, path: Path) -> None:
    """Copy each conv layer's kernel and bias from a Keras notop-layout .h5 file, by layer name.

    By name rather than Keras' load_weights, so a file holding more layers than the truncated model
    loads, and a file holding fewer says which layer it lacks instead of a layer-count mismatch.
    """
    try:
        with h5py.File(path, "r") as file:
            root = file.get("model_weights", file)  # a whole saved model keeps them there
            for layer in model.layers:
                if not isinstance(layer, keras.layers.Conv2D):
                    continue
                if layer.name not in root:
                    have = [name for name in CONV_LAYERS if name in root]
                    deepest = f"its deepest is {have[-1]}" if have else "it has none"
                    raise WeightsError(
                        f"weights file {path} has no layer {layer.name} ({deepest}); use "
                        f"layers='default' or a full VGG19 weights file"
                    )
                group = root[layer.name]
                names = [
                    n.decode() if isinstance(n, bytes) else n for n in group.attrs["weight_names"]
                ]
                values = [np.asarray(group[name]) for name in names]
                expected = [tuple(w.shape) for w in layer.get_weights()]
                if [v.shape for v in values] != expected:
                    raise WeightsError(
                        f"weights file {path}: {layer.name} has shapes "
                        f"{[v.shape for v in values]}, VGG19 needs {expected}"
                    )
                layer.set_weights(values)
    except (OSError, KeyError) as error:
        raise WeightsError(f"cannot read VGG19 weights from {path}: {error}") from error
