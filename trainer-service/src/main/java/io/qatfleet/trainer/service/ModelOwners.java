package io.qatfleet.trainer.service;

import io.qatfleet.messaging.event.ModelClaimed;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.service.FleetPublisher;
import io.qatfleet.trainer.TrainerConfig;
import io.qatfleet.trainer.messaging.Channels;
import io.smallrye.reactive.messaging.MutinyEmitter;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.microprofile.reactive.messaging.Channel;
import org.jboss.logging.Logger;

/**
 * Who owns which model name: this instance's copy of {@code qat.owners}, read from its start, and
 * the claim of a new name. A name belongs to the owner of its first {@link ModelClaimed} on that
 * topic. The topic has one partition and is never compacted, so every trainer instance, now or
 * after a restart, reads the same first claim; and since a claim is decided by reading the topic
 * back, two instances that accept jobs for one new name at the same moment still agree on its owner
 * (the loser's job is refused).
 */
@ApplicationScoped
public class ModelOwners {

  private static final Logger LOG = Logger.getLogger(ModelOwners.class);
  private static final long POLL_MILLIS = 50;

  private final FleetPublisher fleet;
  private final MutinyEmitter<byte[]> claims;
  private final Duration claimWait;
  private final Map<String, String> ownerByName = new ConcurrentHashMap<>();

  ModelOwners(
      FleetPublisher fleet,
      @Channel(Channels.OWNERS_OUT) MutinyEmitter<byte[]> claims,
      TrainerConfig config) {
    this.fleet = fleet;
    this.claims = claims;
    this.claimWait = config.auth().claimWait();
  }

  /** The owner of {@code modelName}, if anyone has registered it. */
  public Optional<String> ownerOf(String modelName) {
    return Optional.ofNullable(ownerByName.get(modelName));
  }

  /** Applies one record of {@code qat.owners} in topic order: only a name's first claim counts. */
  public void apply(QatEvent event) {
    if (event instanceof ModelClaimed claim) {
      ownerByName.putIfAbsent(claim.modelName(), claim.owner());
    } else {
      throw new IllegalArgumentException(
          "a " + event.getClass().getSimpleName() + " is not a model-name claim");
    }
  }

  /**
   * The owner of {@code modelName} after {@code candidate} asked for it on behalf of job {@code
   * jobId}: its registered owner, or {@code candidate} when no one had registered it. An unknown
   * name is claimed on {@code qat.owners} (awaited) and then read back, since another instance may
   * have claimed it first, or this copy of the topic may not have caught up yet.
   *
   * @throws OwnershipUnavailableException if the claim was not read back within {@code
   *     qat.auth.claim-wait}
   * @throws io.qatfleet.service.PublishException if the broker did not take the claim
   */
  public String claim(String modelName, String candidate, String jobId)
      throws InterruptedException {
    Optional<String> owner = ownerOf(modelName);
    if (owner.isPresent()) {
      return owner.get();
    }
    ModelClaimed claim =
        new ModelClaimed(
            QatEvent.newEventId(), jobId, 0, null, fleet.clock().instant(), modelName, candidate);
    fleet.publish(claims, modelName, claim);
    long deadline = System.nanoTime() + claimWait.toNanos();
    while (owner.isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(POLL_MILLIS);
      owner = ownerOf(modelName);
    }
    String winner =
        owner.orElseThrow(
            () ->
                new OwnershipUnavailableException(
                    "the claim of model name '"
                        + modelName
                        + "' did not come back from qat.owners within "
                        + claimWait
                        + "; try again"));
    if (winner.equals(candidate)) {
      LOG.infof("model name '%s' registered to %s (job %s)", modelName, candidate, jobId);
    } else {
      LOG.infof("model name '%s' claimed by %s but owned by %s", modelName, candidate, winner);
    }
    return winner;
  }

  /** Ownership cannot be decided now: {@code qat.owners} is not readable or far behind. */
  public static final class OwnershipUnavailableException extends RuntimeException {
    OwnershipUnavailableException(String message) {
      super(message);
    }
  }
}
