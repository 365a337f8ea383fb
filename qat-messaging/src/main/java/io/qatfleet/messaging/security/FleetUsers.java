package io.qatfleet.messaging.security;

import io.qatfleet.messaging.topic.TopicAdmin;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AclBinding;

/**
 * Provisions a secured broker for the fleet through an administrator's {@link Admin}: the fleet's
 * topics (services then run with {@code qat.create-topics=false}), a SCRAM-SHA-512 credential per
 * {@link FleetPrincipal}, and each principal's ACLs — what Strimzi's KafkaUsers and Topic Operator
 * do in a cluster.
 */
public final class FleetUsers {

  private static final int SCRAM_ITERATIONS = 8192;

  private FleetUsers() {}

  /** Creates the topics, the users with {@code passwords} and their ACLs; waits for each. */
  public static void provision(Admin admin, Map<FleetPrincipal, String> passwords) {
    TopicAdmin.ensureTopics(admin);
    List<UserScramCredentialUpsertion> users = new ArrayList<>();
    List<AclBinding> acls = new ArrayList<>();
    passwords.forEach(
        (principal, password) -> {
          users.add(
              new UserScramCredentialUpsertion(
                  principal.userName(),
                  new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS),
                  password));
          acls.addAll(principal.acls());
        });
    try {
      admin
          .alterUserScramCredentials(List.copyOf(users))
          .all()
          .get(TopicAdmin.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      admin.createAcls(acls).all().get(TopicAdmin.TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted provisioning the fleet's users", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot provision the fleet's users and ACLs: " + e, e);
    }
  }
}
