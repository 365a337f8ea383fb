package io.qatfleet.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.qatfleet.core.model.Architecture;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.TypeConversionException;

class ModelNamesTest {
  private final ModelNames names = new ModelNames();

  @Test
  void readsPresetsAsJobSpecsNameThem() {
    assertThat(names.convert("mobilenet-tiny")).isEqualTo(Architecture.MOBILENET_TINY);
    assertThat(names.convert("MobileNet_Tiny")).isEqualTo(Architecture.MOBILENET_TINY);
    assertThat(names.convert("resnet8")).isEqualTo(Architecture.RESNET8);
    assertThat(names.convert("CNN")).isEqualTo(Architecture.CNN);
    assertThat(ModelNames.name(Architecture.MOBILENET_TINY)).isEqualTo("mobilenet-tiny");
  }

  @Test
  void rejectsGraphAndUnknownNamesCutToBoundedLength() {
    assertThatThrownBy(() -> names.convert("graph"))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("expected one of mlp, cnn, lenet5, resnet8, mobilenet-tiny");
    String hostile = "x".repeat(10_000);
    assertThatThrownBy(() -> names.convert(hostile))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageNotContaining("x".repeat(65));
  }
}
