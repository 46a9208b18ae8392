"""The one place that knows which Keras backend runs the engine, and what differs between them.

The engine's maths is written once, in `keras.ops`. Three things cannot be: compiling a function,
taking a gradient, and calling the network with its weights. Each has one function per backend
here. The backend is Keras' own setting, `KERAS_BACKEND`, read when Keras is first imported:

- "tensorflow" (the default): the right choice on a CPU, where oneDNN's kernels make a step
  about three times cheaper than JAX's. `tf.function` traces a step once for every image size.
- "jax": the choice for an NVIDIA GPU. `jax.jit` compiles a fused step (gradient and optimiser
  update in one program) per input shape, which is why canvases come in a few sizes
  (canvas.py) and why compiled programs are kept on disk (`use_compilation_cache`).

TensorFlow is imported only when it is the backend, so a JAX worker needs none of it. Import
`keras` and `ops` from here (`from nst_engine.backend import keras, ops`): loading them through
this module keeps TensorFlow's C++ start-up notices out of the log.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nst_engine.quiet import without_notices

with without_notices():
    import keras
    from keras import ops as ops  # re-exported: `from nst_engine.backend import ops`

NAME: str = keras.backend.backend()
if NAME not in ("tensorflow", "jax"):
    raise ImportError(f"nst_engine runs on Keras' tensorflow or jax backend, not {NAME!r}")
# Whether a new input shape means a new compilation (seconds), rather than a cheap retrace.
COMPILES_PER_SHAPE = NAME == "jax"
# Every program goes in the cache, however quickly it compiled: which ones pass a threshold
# would depend on the machine's load, and a restarted worker should compile none of them again.
MIN_CACHED_COMPILE_S = 0.0

Tensor = Any  # a backend tensor: tf.Tensor or jax.Array
Parameters = Sequence[Tensor]  # a network's weights, as compiled programs take them


def compiled(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as one compiled program: jax.jit, or a tf.function traced for any size."""
    if NAME == "jax":
        import jax

        return jax.jit(function)
    return _TracedForAnySize(function)


class _TracedForAnySize:
    """A tf.function whose first call traces it for images of any size, once.

    Left to itself, TensorFlow traces a function for the sizes of its first call, and again
    for any size at the first call of another size: every engine process made two traces of
    each program (about half a second each). The engine's programs have no Python branches on
    tensors, so AutoGraph's rewriting (a third of a trace's time) is off too.
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        import tensorflow as tf

        self._tf = tf
        self.traced = tf.function(function, reduce_retracing=True, autograph=False)

    def __call__(self, *args: Any) -> Any:
        if not self.traced.experimental_get_tracing_count():
            self.traced.get_concrete_function(*self._tf.nest.map_structure(self._any_size, args))
        return self.traced(*args)

    def _any_size(self, value: Any) -> Any:
        """An image's (or feature map's) spec with its height and width left open."""
        shape = getattr(value, "shape", None)
        if shape is None or len(shape) != 4:
            return value
        return self._tf.TensorSpec((shape[0], None, None, shape[3]), value.dtype)


def compilations(program: Callable[..., Any]) -> int:
    """How many programs `compiled` has made of its function so far (JAX compiles one per
    shape, TensorFlow traces one for all): for tests that no job waits for a compiler."""
    if isinstance(program, _TracedForAnySize):
        return int(program.traced.experimental_get_tracing_count())
    return int(program._cache_size())  # type: ignore[attr-defined]  # jax.jit's


def value_and_grad(function: Callable[..., Tensor]) -> Callable[..., tuple[Tensor, Tensor]]:
    """(value, gradient with respect to the first argument) of a scalar function; the first
    argument may be a tensor or a nested structure of them (the gradient has its structure)."""
    if NAME == "jax":
        import jax

        return jax.value_and_grad(function)
    import tensorflow as tf

    def with_tape(x: Tensor, *args: Any) -> tuple[Tensor, Tensor]:
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(x)
            value = function(x, *args)
        return value, tape.gradient(value, x)

    return with_tape


def bind(model: keras.Model) -> tuple[Parameters, Callable[[Parameters, Tensor], list[Tensor]]]:
    """The model's parameters (its weights) and a pure call(parameters, image) -> outputs, for
    compiled functions.

    On JAX the parameters must be arguments of the jitted function (closed over, they would be
    baked into every program as constants); TensorFlow's traced functions read the variables.
    """
    if NAME == "jax":
        parameters = [variable.value for variable in model.trainable_variables]

        def stateless(parameters: Parameters, image: Tensor) -> list[Tensor]:
            outputs, _ = model.stateless_call(parameters, [], image, training=False)
            return list(outputs)

        return parameters, stateless

    def call(parameters: Parameters, image: Tensor) -> list[Tensor]:
        return list(model(image, training=False))

    return [], call


def device() -> str:
    """Where the convolutions run, for logs, the command line and the benchmark."""
    if NAME == "jax":
        import jax

        first = jax.devices()[0]
        if first.platform == "gpu":
            return f"GPU ({first.device_kind})"
    else:
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU ({details.get('device_name', gpus[0].name)})"
    return f"CPU ({os.cpu_count()} cores)"


def use_compilation_cache(folder: Path) -> Path | None:
    """Keep compiled programs in `folder` across processes; None where nothing is kept.

    Only JAX compiles per shape, so only JAX uses it. XLA's GPU autotuning results are kept
    there too: they are much of a first compilation's time. The folder is trusted like code
    (JAX runs what it finds there): give it the bot's or worker's own user only.
    """
    if NAME != "jax":
        return None
    import jax

    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_CACHED_COMPILE_S)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", -1)
    with contextlib.suppress(AttributeError):  # a JAX without this option compiles the same
        jax.config.update(
            "jax_persistent_cache_enable_xla_caches", "xla_gpu_per_fusion_autotune_cache_dir"
        )
    return folder
