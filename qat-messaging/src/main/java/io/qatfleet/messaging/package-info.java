/**
 * What the fleet's services say to each other over Kafka, defined once, in plain Java (no CDI: the
 * services wire it in through the {@code qat-service} module, the CLI and tests use it directly).
 *
 * <ul>
 *   <li>{@link io.qatfleet.messaging.event}: the event records ({@code QatEvent} and its eleven
 *       types, {@code DeadLetter} among them), each validated on construction.
 *   <li>{@link io.qatfleet.messaging.codec}: {@code EventCodec}, strict JSON with {@code
 *       schemaVersion} and {@code type}; what cannot be decoded becomes a {@code DeadLetter} for
 *       {@code qat.dlq}.
 *   <li>{@link io.qatfleet.messaging.deadletter}: {@code RejectionReason}, the one vocabulary of
 *       why a record was parked, and {@code RejectedInputException}, the one input error.
 *   <li>{@link io.qatfleet.messaging.kafka}: {@code KafkaClientSettings}, the connection settings
 *       (bootstrap, security, timeouts) every hand-built Kafka client starts from.
 *   <li>{@link io.qatfleet.messaging.topic}: every topic's name and configuration, and {@code
 *       TopicAdmin} that creates them.
 *   <li>{@link io.qatfleet.messaging.checkpoint}: content-addressed checkpoint storage; chunked and
 *       SHA-256-verified on {@code qat.checkpoints}, or in a directory.
 *   <li>{@link io.qatfleet.messaging.stage}: {@code StageLedger}, the finished (job, round, stage)
 *       entries that make every handler idempotent.
 *   <li>{@link io.qatfleet.messaging.broker}: an embedded single-node KRaft broker for tests and
 *       the local run, also startable as its own process.
 * </ul>
 */
package io.qatfleet.messaging;
