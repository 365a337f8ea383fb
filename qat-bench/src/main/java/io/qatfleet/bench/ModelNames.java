package io.qatfleet.bench;

import io.qatfleet.core.model.Architecture;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * The preset architectures a benchmark's {@code --models} names, as a job spec writes them ({@code
 * cnn}, {@code mlp}, {@code lenet5}, {@code resnet8}, {@code mobilenet-tiny}; any case, {@code _}
 * for {@code -}). {@code graph} is not a preset: a benchmark builds each model from its name alone.
 */
final class ModelNames implements ITypeConverter<Architecture> {
  @Override
  public Architecture convert(String value) {
    String v = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
    for (Architecture a : presets()) {
      if (name(a).equals(v)) {
        return a;
      }
    }
    List<String> names = new ArrayList<>();
    presets().forEach(a -> names.add(name(a)));
    throw new TypeConversionException(
        "expected one of "
            + String.join(", ", names)
            + ", got \""
            + (value.length() > 64 ? value.substring(0, 64) + "…" : value)
            + "\"");
  }

  /** The name of {@code a} in rows, tables and job specs. */
  static String name(Architecture a) {
    return a.label();
  }

  private static List<Architecture> presets() {
    return java.util.Arrays.stream(Architecture.values())
        .filter(a -> a != Architecture.GRAPH)
        .toList();
  }
}
