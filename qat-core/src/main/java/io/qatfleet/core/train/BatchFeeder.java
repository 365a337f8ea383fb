package io.qatfleet.core.train;

import io.qatfleet.core.data.Dataset;
import io.qatfleet.core.model.ModelSpec;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;

/**
 * Turns samples of a {@link Dataset} into the tensors a {@link io.qatfleet.core.model.ModelGraph}
 * is fed. Consumes an order of sample indices ({@link #shuffled} for an epoch of training, {@link
 * #inOrder} for inference) and a range of it; produces the images shaped as the model's input
 * ({@code [n, H·W]} for an MLP, {@code [n, H, W, 1]} for a CNN, pixels scaled to [0, 1]) and the
 * one-hot labels ({@code [n, classes]}). The float buffers are allocated once for {@code capacity}
 * samples and reused, so a step allocates only its tensors, which the caller closes.
 */
public final class BatchFeeder {
  private final Dataset data;
  private final ModelSpec model;
  private final boolean flatInput;
  private final int pixels;
  private final int classes;
  private final float[] x;
  private final float[] y;

  /** Buffers for batches of up to {@code capacity} samples of {@code data}, for {@code model}. */
  public BatchFeeder(Dataset data, ModelSpec model, int capacity) {
    this.data = data;
    this.model = model;
    this.flatInput = model.graph().flatInput();
    this.pixels = model.inputHeight() * model.inputWidth() * model.inputChannels();
    this.classes = model.numClasses();
    this.x = new float[capacity * pixels];
    this.y = new float[capacity * classes];
  }

  /** Images and one-hot labels of one batch; closing it closes both tensors. */
  public record Batch(TFloat32 images, TFloat32 labels) implements AutoCloseable {
    @Override
    public void close() {
      try (labels) {
        images.close();
      }
    }
  }

  /** The samples {@code order[from..to)} as images and labels. */
  public Batch batch(int[] order, int from, int to) {
    int count = to - from;
    data.fillBatch(order, from, to, x, y);
    TFloat32 images = imageTensor(count);
    try {
      return new Batch(
          images,
          TFloat32.tensorOf(
              Shape.of(count, classes),
              DataBuffers.of(y, true, false).narrow((long) count * classes)));
    } catch (RuntimeException e) {
      images.close();
      throw e;
    }
  }

  /** The images of the samples {@code order[from..to)}, for inference. */
  public TFloat32 images(int[] order, int from, int to) {
    data.fillBatch(order, from, to, x, y);
    return imageTensor(to - from);
  }

  private TFloat32 imageTensor(int count) {
    Shape shape =
        flatInput
            ? Shape.of(count, pixels)
            : Shape.of(count, model.inputHeight(), model.inputWidth(), model.inputChannels());
    return TFloat32.tensorOf(shape, DataBuffers.of(x, true, false).narrow((long) count * pixels));
  }

  /**
   * A Fisher–Yates shuffle of {@code 0..n-1} drawn from {@code SplittableRandom(seed)}: the order
   * in which an epoch visits the samples. The same seed gives the same order in every process.
   */
  public static int[] shuffled(int n, long seed) {
    int[] p = inOrder(n);
    SplittableRandom random = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int tmp = p[i];
      p[i] = p[j];
      p[j] = tmp;
    }
    return p;
  }

  /** {@code 0..n-1}. */
  public static int[] inOrder(int n) {
    int[] p = new int[n];
    Arrays.setAll(p, i -> i);
    return p;
  }
}
