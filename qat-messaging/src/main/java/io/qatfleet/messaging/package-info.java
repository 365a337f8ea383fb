/**
 * What the fleet's services say to each other over Kafka, defined once.
 *
 * <ul>
 *   <li>{@link io.qatfleet.messaging.event}: the event records ({@code QatEvent} and its ten
 *       types), each validated on construction.
 *   <li>{@link io.qatfleet.messaging.codec}: {@code EventCodec}, strict JSON with {@code
 *       schemaVersion} and {@code type}; what cannot be decoded becomes a {@code DeadLetter} for
 *       {@code qat.dlq}.
 *   <li>{@link io.qatfleet.messaging.topic}: every topic's name and configuration, and {@code
 *       TopicAdmin} that creates them.
 *   <li>{@link io.qatfleet.messaging.checkpoint}: content-addressed checkpoint storage; chunked and
 *       SHA-256-verified on {@code qat.checkpoints}, or in a directory.
 *   <li>{@link io.qatfleet.messaging.broker}: an embedded single-node KRaft broker for tests and
 *       the local run, also startable as its own process.
 * </ul>
 *
 * <p>A consumer reads {@code byte[]} values, decodes them with {@code EventCodec}, and on {@code
 * EventDecodingException} writes {@code codec.toDeadLetter(record, e)} to {@code qat.dlq} and goes
 * on: bad input is parked with its reason and original bytes, never dropped and never fatal.
 */
package io.qatfleet.messaging;
