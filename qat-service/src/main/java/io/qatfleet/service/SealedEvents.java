package io.qatfleet.service;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.deadletter.RejectedInputException;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.integrity.EventSeal;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * How every service reads the fleet's events: the seal first ({@link EventSeal}), then the strict
 * {@link EventCodec}. A work listener {@link #open opens} a record and dead-letters whatever
 * throws, so a record no fleet service wrote never reaches a stage or its ledger. A view (the job
 * view, the model owners) {@link #read reads} a record and skips what does not verify: those topics
 * are read by every instance, and a forged record there is not any one service's to dead-letter;
 * {@code qat.events.unsealed{service}} counts the skipped ones.
 */
@Startup
@ApplicationScoped
public class SealedEvents {

  /** The counter of view records skipped because their seal did not verify. */
  public static final String UNSEALED_METRIC = "qat.events.unsealed";

  private static final Logger LOG = Logger.getLogger(SealedEvents.class);

  private final EventSeal seal;
  private final EventCodec codec;
  private final Counter unsealed;

  public SealedEvents(
      EventSeal seal,
      EventCodec codec,
      MeterRegistry registry,
      @ConfigProperty(name = "quarkus.application.name") String service) {
    this.seal = seal;
    this.codec = codec;
    this.unsealed =
        Counter.builder(UNSEALED_METRIC)
            .description("Records of the fleet's views skipped because their seal did not verify")
            .tag("service", service)
            .register(registry);
  }

  /**
   * The record's event, once its seal verifies.
   *
   * @throws RejectedInputException {@code UNSEALED_EVENT} or {@code BAD_SEAL}
   * @throws EventDecodingException when the sealed value is not a valid event
   */
  public QatEvent open(ConsumerRecord<String, byte[]> record) throws EventDecodingException {
    seal.verify(record.key(), record.value(), record.headers());
    return codec.decode(record.value());
  }

  /** The record's event for a view; empty (logged, counted) when it is unsealed or invalid. */
  public Optional<QatEvent> read(ConsumerRecord<String, byte[]> record) {
    try {
      return Optional.of(open(record));
    } catch (RejectedInputException e) {
      unsealed.increment();
      LOG.warnf(
          "skipping %s-%d@%d: %s",
          record.topic(), record.partition(), record.offset(), e.getMessage());
    } catch (EventDecodingException | RuntimeException e) {
      LOG.debugf(
          "skipping %s-%d@%d: %s",
          record.topic(), record.partition(), record.offset(), e.getMessage());
    }
    return Optional.empty();
  }
}
