package io.qatfleet.service;

import io.qatfleet.core.BuildInfo;
import io.quarkus.info.runtime.spi.InfoContributor;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Map;

/**
 * The {@code qat} section of every service's {@code /q/info}: the code version that the checkpoints
 * this service writes record as provenance, and that {@code qat --version} prints, from {@link
 * BuildInfo}.
 */
@ApplicationScoped
public class FleetInfo implements InfoContributor {

  @Override
  public String name() {
    return "qat";
  }

  @Override
  public Map<String, Object> data() {
    return Map.of(
        "codeVersion", BuildInfo.codeVersion(),
        "version", BuildInfo.version(),
        "commit", BuildInfo.commit());
  }
}
