package io.qatfleet.trainer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

import io.qatfleet.core.BuildInfo;
import io.qatfleet.messaging.testing.KafkaBrokerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;

/**
 * {@code /q/info} (on the management interface) names the build the way provenance and {@code qat
 * --version} do.
 */
@QuarkusTest
@QuarkusTestResource(value = KafkaBrokerResource.class, restrictToAnnotatedClass = true)
class InfoTest {

  @Test
  void infoCarriesTheCodeVersionOfTheBuild() {
    JsonPath info =
        given()
            .port(ManagementInterfaceTest.managementPort())
            .get("/q/info")
            .then()
            .statusCode(200)
            .extract()
            .jsonPath();
    assertThat(info.getString("qat.codeVersion")).isEqualTo(BuildInfo.codeVersion());
    assertThat(info.getString("qat.version")).isEqualTo(info.getString("build.version"));
    // Built from a git checkout (as CI is): the commit is known, not "unknown".
    assertThat(info.getString("qat.commit")).matches("[0-9a-f]{10}(-dirty)?");
  }
}
