package io.qatfleet.messaging.broker;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs an {@link EmbeddedKafka} broker as its own process for the local run:
 *
 * <pre>
 * java -cp ... io.qatfleet.messaging.broker.KafkaBrokerMain --port 9092 --log-dir runs/kafka
 * </pre>
 *
 * Prints {@value #READY_PREFIX}{@code <host:port>} on standard output once clients can connect,
 * then serves until the process is stopped (SIGTERM or Ctrl-C shut the broker down cleanly).
 * Without {@code --log-dir} the data lives in a temporary directory removed on exit. Kafka's own
 * logging is set to WARN unless {@code -Dorg.slf4j.simpleLogger.defaultLogLevel} says otherwise.
 */
public final class KafkaBrokerMain {

  /** Start of the line printed when the broker is ready; the bootstrap address follows. */
  public static final String READY_PREFIX = "KAFKA READY bootstrap.servers=";

  private static final String USAGE =
      "usage: KafkaBrokerMain [--port N (default 9092, 0 = free port)] [--log-dir DIR]";

  private KafkaBrokerMain() {}

  public static void main(String[] args) throws InterruptedException {
    System.setProperty(
        "org.slf4j.simpleLogger.defaultLogLevel",
        System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    int port = 9092;
    Path logDir = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(value(args, ++i));
        case "--log-dir" -> logDir = Path.of(value(args, ++i));
        case "--help", "-h" -> {
          System.out.println(USAGE);
          return;
        }
        default -> {
          System.err.println("unknown argument '" + args[i] + "'\n" + USAGE);
          System.exit(2);
        }
      }
    }
    EmbeddedKafka kafka = EmbeddedKafka.start(port, logDir);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "kafka-broker-shutdown"));
    System.out.println(READY_PREFIX + kafka.bootstrapServers() + " log.dir=" + kafka.logDir());
    System.out.flush();
    stopped.await();
  }

  private static String value(String[] args, int i) {
    if (i >= args.length) {
      System.err.println("missing value for " + args[i - 1] + "\n" + USAGE);
      System.exit(2);
    }
    return args[i];
  }
}
