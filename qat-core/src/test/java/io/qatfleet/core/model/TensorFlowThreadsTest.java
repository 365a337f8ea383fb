package io.qatfleet.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ConfigProto;

class TensorFlowThreadsTest {

  private static Properties properties(String... keyValues) {
    Properties p = new Properties();
    for (int i = 0; i < keyValues.length; i += 2) {
      p.setProperty(keyValues[i], keyValues[i + 1]);
    }
    return p;
  }

  @Test
  void usesTheCpusTheProcessMayUseWhenNothingIsConfigured() {
    // availableProcessors() is where the JVM reports a container's CPU quota: 2 of a 32-core node.
    TensorFlowThreads threads = TensorFlowThreads.resolve(Map.of(), new Properties(), 2);

    assertThat(threads.intraOp()).isEqualTo(2);
    assertThat(threads.interOp()).isEqualTo(2);
    assertThat(threads.source()).contains("2").contains("CPU limit");
  }

  @Test
  void takesConfiguredCountsPropertyBeforeEnvironment() {
    TensorFlowThreads threads =
        TensorFlowThreads.resolve(
            Map.of(TensorFlowThreads.INTRA_ENV, "3", TensorFlowThreads.INTER_ENV, "1"),
            properties(TensorFlowThreads.INTRA_PROPERTY, "1"),
            16);

    assertThat(threads.intraOp()).isEqualTo(1);
    assertThat(threads.interOp()).isEqualTo(1);
    assertThat(threads.source()).isEqualTo("configuration");
  }

  @Test
  void zeroMeansAutomaticForThatPoolOnly() {
    TensorFlowThreads threads =
        TensorFlowThreads.resolve(
            Map.of(TensorFlowThreads.INTRA_ENV, "0", TensorFlowThreads.INTER_ENV, "1"),
            new Properties(),
            4);

    assertThat(threads.intraOp()).isEqualTo(4);
    assertThat(threads.interOp()).isEqualTo(1);
  }

  @Test
  void refusesBadSettingsNamingThem() {
    assertThatThrownBy(
            () ->
                TensorFlowThreads.resolve(
                    Map.of(TensorFlowThreads.INTER_ENV, "two"), new Properties(), 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(TensorFlowThreads.INTER_ENV)
        .hasMessageContaining("'two'");
    assertThatThrownBy(
            () ->
                TensorFlowThreads.resolve(
                    Map.of(), properties(TensorFlowThreads.INTRA_PROPERTY, "-1"), 2))
        .hasMessageContaining(TensorFlowThreads.INTRA_PROPERTY)
        .hasMessageContaining("got -1");
    assertThatThrownBy(
            () ->
                TensorFlowThreads.resolve(
                    Map.of(TensorFlowThreads.INTRA_ENV, "100000"), new Properties(), 2))
        .hasMessageContaining("0..1024");
  }

  @Test
  void configProtoCarriesBothPools() {
    ConfigProto proto = new TensorFlowThreads(3, 1, "configuration").configProto();

    assertThat(proto.getIntraOpParallelismThreads()).isEqualTo(3);
    assertThat(proto.getInterOpParallelismThreads()).isEqualTo(1);
  }
}
