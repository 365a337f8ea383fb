package io.qatfleet.trainer.service;

import io.qatfleet.messaging.codec.EventCodec;
import io.qatfleet.messaging.codec.EventDecodingException;
import io.qatfleet.messaging.event.ModelApproved;
import io.qatfleet.messaging.event.QatEvent;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This instance's copy of the model registry: the latest {@link ModelApproved} per model name from
 * the compacted {@code qat.models}, read from its start. A tombstone (null value) removes a model.
 * A retraining trigger starts from an entry's spec and calibrated checkpoint; the web console lists
 * the entries ({@code GET /models}).
 */
@ApplicationScoped
public class ModelRegistry {
  private final EventCodec codec;
  private final Map<String, ModelApproved> byName = new ConcurrentHashMap<>();

  public ModelRegistry(EventCodec codec) {
    this.codec = codec;
  }

  /** The latest approved version of {@code modelName}, if the registry has one. */
  public Optional<ModelApproved> find(String modelName) {
    return Optional.ofNullable(byName.get(modelName));
  }

  /** Every model's latest approved version, by model name. */
  public List<ModelApproved> all() {
    return byName.values().stream().sorted(Comparator.comparing(ModelApproved::modelName)).toList();
  }

  /**
   * Applies one record of {@code qat.models}.
   *
   * @throws IllegalArgumentException if the value is not a registry entry
   */
  public void apply(String key, byte[] value) {
    if (value == null) {
      if (key != null) {
        byName.remove(key);
      }
      return;
    }
    QatEvent event;
    try {
      event = codec.decode(value);
    } catch (EventDecodingException e) {
      throw new IllegalArgumentException("invalid registry entry: " + e.getMessage(), e);
    }
    if (!(event instanceof ModelApproved entry)) {
      throw new IllegalArgumentException(
          "registry entry is a " + event.getClass().getSimpleName() + ", expected ModelApproved");
    }
    byName.merge(
        entry.modelName(), entry, (old, neu) -> neu.version() >= old.version() ? neu : old);
  }
}
