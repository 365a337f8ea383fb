package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.eclipse.microprofile.config.ConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Health, metrics and info answer on the management interface's port, without a token, and not on
 * the job API's port: probes and Prometheus reach them, API clients do not.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class ManagementInterfaceTest {

  /** The management interface's port in the test profile ({@code quarkus.management.test-port}). */
  static int managementPort() {
    return ConfigProvider.getConfig().getValue("quarkus.management.test-port", Integer.class);
  }

  @Test
  void listensOnPortOtherThanApi() {
    int api = ConfigProvider.getConfig().getValue("quarkus.http.test-port", Integer.class);
    assertThat(managementPort()).isNotEqualTo(api);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/q/health/live", "/q/health/started", "/q/metrics", "/q/info"})
  void answersOnManagementPortWithoutToken(String path) {
    given().port(managementPort()).get(path).then().statusCode(200);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"/q/health", "/q/health/live", "/q/health/ready", "/q/metrics", "/q/info"})
  void doesNotAnswerOnApiPort(String path) {
    given().get(path).then().statusCode(404);
  }

  @Test
  void servesTrainerMetricsOnManagementPort() {
    String metrics = given().port(managementPort()).get("/q/metrics").then().extract().asString();
    assertThat(metrics).contains("qat_train_duration_seconds_count");
  }

  @Test
  void reportsTensorFlowThreadsFromTheCpusThisProcessMayUse() {
    // No QAT_TF_*_THREADS in the test profile: both pools follow availableProcessors(), the
    // JVM's view of the CPUs (a container's CPU limit included).
    int cpus = Runtime.getRuntime().availableProcessors();
    String metrics = given().port(managementPort()).get("/q/metrics").then().extract().asString();
    assertThat(metrics)
        .contains("qat_tensorflow_threads{pool=\"intra_op\"} " + cpus + ".0")
        .contains("qat_tensorflow_threads{pool=\"inter_op\"} " + cpus + ".0");
  }
}
