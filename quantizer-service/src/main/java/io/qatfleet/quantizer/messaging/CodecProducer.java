package io.qatfleet.quantizer.messaging;

import io.qatfleet.messaging.codec.EventCodec;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** The shared, thread-safe {@link EventCodec} as a CDI bean. */
public class CodecProducer {

  @Produces
  @Singleton
  EventCodec eventCodec() {
    return new EventCodec();
  }
}
