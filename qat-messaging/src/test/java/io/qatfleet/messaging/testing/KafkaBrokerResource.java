package io.qatfleet.messaging.testing;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * A real Kafka broker for {@code @QuarkusTest}s: {@code @QuarkusTestResource(KafkaBrokerResource
 * .class)} points the application's Kafka clients ({@code kafka.bootstrap.servers}) at the broker
 * {@link KafkaBrokerExtension#shared()} picks (a Testcontainers container where Docker and an image
 * are available, else the embedded KRaft broker) and logs. Declare it with {@code
 * restrictToAnnotatedClass = true}: a module-wide resource would also point the secured tests
 * ({@link SecuredKafkaBrokerResource}) at this plaintext broker.
 */
public final class KafkaBrokerResource implements QuarkusTestResourceLifecycleManager {
  @Override
  public Map<String, String> start() {
    return Map.of("kafka.bootstrap.servers", KafkaBrokerExtension.shared().bootstrapServers());
  }

  @Override
  public void stop() {
    // The broker lives until the JVM exits: other test classes of this run reuse it.
  }
}
