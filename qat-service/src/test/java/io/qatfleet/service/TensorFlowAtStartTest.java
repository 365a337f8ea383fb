package io.qatfleet.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.tensorflow.TensorFlow;

class TensorFlowAtStartTest {

  @Test
  void loadsTheNativeLibraryOnThisClassPath() {
    assertThat(TensorFlowAtStart.loadNativeLibrary(TensorFlow::version)).matches("\\d+\\.\\d+.*");
  }

  @Test
  void aLibraryThatCannotLoadFailsTheStartWithItsCauseNamed() {
    UnsatisfiedLinkError missing =
        new UnsatisfiedLinkError("no jnitensorflow in java.library.path: /opt/tensorflow/lib");

    assertThatThrownBy(
            () ->
                TensorFlowAtStart.loadNativeLibrary(
                    () -> {
                      throw missing;
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasCause(missing)
        .hasMessageContaining("TensorFlow's native library cannot be loaded")
        .hasMessageContaining("no jnitensorflow in java.library.path")
        .hasMessageContaining("linux-x86_64 jar");
  }

  @Test
  void aClassThatFailedToInitializeEarlierIsReportedTheSameWay() {
    NoClassDefFoundError later = new NoClassDefFoundError("Could not initialize class X");

    assertThatThrownBy(
            () ->
                TensorFlowAtStart.loadNativeLibrary(
                    () -> {
                      throw later;
                    }))
        .isInstanceOf(IllegalStateException.class)
        .hasCause(later);
  }
}
