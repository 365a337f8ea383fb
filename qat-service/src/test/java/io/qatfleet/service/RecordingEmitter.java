package io.qatfleet.service;

import io.smallrye.mutiny.Uni;
import io.smallrye.mutiny.subscription.Cancellable;
import io.smallrye.reactive.messaging.MutinyEmitter;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.reactive.messaging.Message;

/** A unit-test emitter: records what was sent, or fails every send like a broker that is down. */
final class RecordingEmitter implements MutinyEmitter<byte[]> {
  final List<Message<? extends byte[]>> sent = new ArrayList<>();
  private final RuntimeException failure;
  private int failingSends;

  RecordingEmitter(RuntimeException failure) {
    this(failure, Integer.MAX_VALUE);
  }

  private RecordingEmitter(RuntimeException failure, int failingSends) {
    this.failure = failure;
    this.failingSends = failingSends;
  }

  static RecordingEmitter working() {
    return new RecordingEmitter(null);
  }

  static RecordingEmitter brokerDown() {
    return new RecordingEmitter(new IllegalStateException("broker unavailable"));
  }

  /** Fails the first {@code sends} sends like a broker that is down, then works. */
  static RecordingEmitter brokerDownFor(int sends) {
    return new RecordingEmitter(new IllegalStateException("broker unavailable"), sends);
  }

  @Override
  public <M extends Message<? extends byte[]>> Uni<Void> sendMessage(M message) {
    if (failure != null && failingSends > 0) {
      failingSends--;
      return Uni.createFrom().failure(failure);
    }
    sent.add(message);
    return Uni.createFrom().voidItem();
  }

  @Override
  public Uni<Void> send(byte[] payload) {
    return sendMessage(Message.of(payload));
  }

  @Override
  public void sendAndAwait(byte[] payload) {
    send(payload).await().indefinitely();
  }

  @Override
  public Cancellable sendAndForget(byte[] payload) {
    return send(payload).subscribe().with(x -> {}, e -> {});
  }

  @Override
  public <M extends Message<? extends byte[]>> void send(M message) {
    sendMessage(message).await().indefinitely();
  }

  @Override
  public <M extends Message<? extends byte[]>> void sendMessageAndAwait(M message) {
    sendMessage(message).await().indefinitely();
  }

  @Override
  public <M extends Message<? extends byte[]>> Cancellable sendMessageAndForget(M message) {
    return sendMessage(message).subscribe().with(x -> {}, e -> {});
  }

  @Override
  public void complete() {}

  @Override
  public void error(Exception e) {}

  @Override
  public boolean isCancelled() {
    return false;
  }

  @Override
  public boolean hasRequests() {
    return true;
  }
}
