package io.qatfleet.service;

import io.qatfleet.core.data.DatasetId;
import io.qatfleet.core.data.DatasetLoader;
import io.qatfleet.core.data.DatasetNotFoundException;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * Reads the datasets of {@code qat.datasets-preload} into {@link DatasetLoader}'s process-wide
 * cache when the service starts, on a thread of its own, so that the first job's stage finds them
 * in memory like every later one (reading and unpacking Fashion-MNIST takes seconds; cutting a
 * job's splits from memory, milliseconds). A bad name fails the start with the setting named; a
 * dataset that is not installed is logged and left to the job that names it, which fails with the
 * install command.
 */
@ApplicationScoped
public class DatasetsAtStart {

  /** The value of {@code qat.datasets-preload} that preloads nothing. */
  public static final String NONE = "none";

  private static final Logger LOG = Logger.getLogger(DatasetsAtStart.class);

  void preload(@Observes StartupEvent event, FleetConfig config) {
    List<DatasetId> ids = parse(config.datasetsPreload());
    if (ids.isEmpty()) {
      return;
    }
    DatasetLoader loader = DatasetLoader.fromEnvironment();
    Thread thread = new Thread(() -> preload(loader, ids), "qat-dataset-preload");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * The datasets {@code names} lists; empty for {@value #NONE}.
   *
   * @throws IllegalArgumentException naming the setting and the bad name
   */
  static List<DatasetId> parse(List<String> names) {
    List<DatasetId> ids = new ArrayList<>();
    for (String name : names) {
      String trimmed = name == null ? "" : name.trim();
      if (trimmed.isEmpty() || trimmed.toLowerCase(Locale.ROOT).equals(NONE)) {
        continue;
      }
      try {
        DatasetId id = DatasetId.parse(trimmed);
        if (!ids.contains(id)) {
          ids.add(id);
        }
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "qat.datasets-preload (QAT_DATASETS_PRELOAD): " + e.getMessage() + " or " + NONE, e);
      }
    }
    return ids;
  }

  private static void preload(DatasetLoader loader, List<DatasetId> ids) {
    for (DatasetId id : ids) {
      long t0 = System.nanoTime();
      try {
        boolean read = loader.preload(id);
        LOG.infof(
            "%s %s in %.1f s",
            id.displayName(),
            read ? "read into memory" : "already in memory",
            (System.nanoTime() - t0) / 1e9);
      } catch (DatasetNotFoundException e) {
        LOG.warnf("not preloading %s: %s", id.displayName(), e.getMessage());
      } catch (RuntimeException e) {
        LOG.warnf(e, "cannot preload %s; the first job that needs it reads it", id.displayName());
      }
    }
  }
}
