package io.qatfleet.core.precision;

import io.qatfleet.core.model.LayerShape;
import io.qatfleet.core.model.ModelSpec;
import io.qatfleet.core.quant.QuantizationBudget;
import io.qatfleet.core.quant.QuantizationSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a model costs at given per-layer weight bits, the quantities a {@link QuantizationBudget}
 * bounds: size in bytes (every weight at its nominal width, plus int32 biases) and bit-operations
 * per sample (each multiply-accumulate as weight bits × input bits). Computed from the spec alone.
 */
public final class PrecisionCost {
  private static final int BIAS_BITS = 32;

  /** One layer: weight count, bias count, multiply-accumulates per sample, input bits. */
  public record Layer(long weights, long biases, long macs, int inputBits) {}

  private final List<Layer> layers;

  private PrecisionCost(List<Layer> layers) {
    this.layers = List.copyOf(layers);
  }

  /** The costs of {@code model}'s layers, with input bits from {@code quantization}. */
  public static PrecisionCost of(ModelSpec model, QuantizationSpec quantization) {
    List<Layer> out = new ArrayList<>();
    int n = model.layerCount();
    for (LayerShape l : LayerShape.of(model)) {
      long weights = (long) l.fanIn() * l.outChannels();
      // One kernel application per output position (stride and padding decide how many).
      long macs = l.conv() ? weights * l.outHeight() * l.outWidth() : weights;
      // A layer that reads the image multiplies pixel bytes, whatever its index.
      int inputBits =
          l.readsImage() ? QuantizationSpec.INPUT_BITS : quantization.inputBits(l.index(), n);
      out.add(new Layer(weights, l.outChannels(), macs, inputBits));
    }
    return new PrecisionCost(out);
  }

  /** The costs of the given layers (e.g. a hand-made model in a test). */
  public static PrecisionCost ofLayers(List<Layer> layers) {
    return new PrecisionCost(layers);
  }

  public List<Layer> layers() {
    return layers;
  }

  /** Bytes of weights and biases when layer {@code i} has {@code bits[i]} weight bits. */
  public double bytes(int[] bits) {
    double total = 0;
    for (int i = 0; i < layers.size(); i++) {
      total += layerBytes(i, bits[i]);
    }
    return total;
  }

  /** Bytes of layer {@code i}'s weights at {@code bits} and its biases. */
  public double layerBytes(int i, int bits) {
    Layer l = layers.get(i);
    return (l.weights() * (double) bits + l.biases() * (double) BIAS_BITS) / 8.0;
  }

  /** Bit-operations per sample when layer {@code i} has {@code bits[i]} weight bits. */
  public double bitOps(int[] bits) {
    double total = 0;
    for (int i = 0; i < layers.size(); i++) {
      total += layerBitOps(i, bits[i]);
    }
    return total;
  }

  /** Bit-operations per sample of layer {@code i} at {@code bits} weight bits. */
  public double layerBitOps(int i, int bits) {
    Layer l = layers.get(i);
    return (double) l.macs() * bits * l.inputBits();
  }

  /** Whether {@code bits} fits {@code budget}. */
  public boolean fits(QuantizationBudget budget, int[] bits) {
    return budget.admits(bytes(bits), bitOps(bits));
  }

  /** Uniform bits on every layer. */
  public int[] uniform(int bits) {
    int[] out = new int[layers.size()];
    Arrays.fill(out, bits);
    return out;
  }
}
