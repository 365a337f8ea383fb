package io.qatfleet.messaging.testing;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;

/**
 * A Kafka {@link MetricsReporter} that records the configuration of every client that loads it. Set
 * as {@code kafka.metric.reporters} in a test, it is loaded exactly by the clients that got the
 * service's Kafka settings: a client built with only {@code bootstrap.servers} never shows up here,
 * while Kafka's own app-info MBeans ({@link #liveClientIds()}) still list it.
 */
public final class ClientConfigRecorder implements MetricsReporter {

  private static final List<Map<String, ?>> CONFIGS = new CopyOnWriteArrayList<>();

  /** The configuration of every client that loaded this reporter so far. */
  public static List<Map<String, ?>> configs() {
    return List.copyOf(CONFIGS);
  }

  /** The client ids of every recorded client. */
  public static Set<String> clientIds() {
    Set<String> ids = new TreeSet<>();
    CONFIGS.forEach(c -> ids.add(String.valueOf(c.get("client.id"))));
    return ids;
  }

  /** The ids of the producers, consumers and admin clients alive in this JVM now (Kafka's JMX). */
  public static Set<String> liveClientIds() {
    Set<String> ids = new TreeSet<>();
    try {
      for (String domain : List.of("kafka.producer", "kafka.consumer", "kafka.admin.client")) {
        ManagementFactory.getPlatformMBeanServer()
            .queryNames(new ObjectName(domain + ":type=app-info,*"), null)
            .forEach(
                name -> {
                  String id = name.getKeyProperty("id");
                  id = id != null ? id : name.getKeyProperty("client-id");
                  if (id != null) {
                    ids.add(ObjectName.unquote(quoted(id)));
                  }
                });
      }
    } catch (MalformedObjectNameException e) {
      throw new IllegalStateException(e);
    }
    return ids;
  }

  private static String quoted(String id) {
    return id.startsWith("\"") ? id : "\"" + id + "\"";
  }

  @Override
  public void configure(Map<String, ?> configs) {
    CONFIGS.add(Map.copyOf(configs));
  }

  @Override
  public void init(List<KafkaMetric> metrics) {}

  @Override
  public void metricChange(KafkaMetric metric) {}

  @Override
  public void metricRemoval(KafkaMetric metric) {}

  @Override
  public void close() {}
}
