package io.qatfleet.trainer;

import io.qatfleet.trainer.api.Roles;
import io.restassured.RestAssured;
import io.restassured.specification.RequestSpecification;
import io.smallrye.jwt.build.Jwt;
import java.time.Duration;
import java.util.Set;

/**
 * Bearer tokens for tests, signed with the test key pair's private key ({@code
 * smallrye.jwt.sign.key.location}, src/test/resources/auth) whose public key the service verifies
 * against in the test profile.
 */
final class TestTokens {

  static final String ISSUER = "qat-fleet";

  private TestTokens() {}

  /** A token for {@code subject} with {@code roles} in its groups claim. */
  static String token(String subject, String... roles) {
    return Jwt.issuer(ISSUER)
        .subject(subject)
        .groups(Set.of(roles))
        .expiresIn(Duration.ofHours(1))
        .sign();
  }

  static String submitter(String subject) {
    return token(subject, Roles.SUBMITTER);
  }

  static String operator(String subject) {
    return token(subject, Roles.OPERATOR);
  }

  /** A request carrying {@code token} as its bearer token. */
  static RequestSpecification as(String token) {
    return RestAssured.given().auth().oauth2(token);
  }
}
