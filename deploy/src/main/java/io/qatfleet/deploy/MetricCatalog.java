package io.qatfleet.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Prometheus names of the {@code qat.*} meters the services register, read from their Java
 * sources: every {@code Counter/Timer/DistributionSummary/Gauge.builder(name)} chain (with its
 * {@code baseUnit}) and every {@code registry.counter(name, ...)}, where {@code name} is a string
 * literal or a {@code static final String} constant of the same file. Names follow Micrometer's
 * Prometheus convention: dots become underscores, a base unit is appended unless the name already
 * ends with it, counters get {@code _total}, timers {@code _seconds_count/_sum/_max}, distribution
 * summaries {@code _count/_sum/_max}.
 *
 * <p>The deploy checks compare the alerts and dashboard against this list; an end-to-end test can
 * compare it with a running service's {@code /q/metrics}.
 */
public final class MetricCatalog {

  /** The service modules whose sources are read. */
  public static final List<String> SERVICES =
      List.of("trainer-service", "quantizer-service", "validator-service");

  /** The module every service includes, whose meters (dead letters, seals) each one registers. */
  static final String SHARED_MODULE = "qat-service";

  private static final Pattern BUILDER =
      Pattern.compile(
          "\\b(Counter|Timer|DistributionSummary|Gauge|LongTaskTimer)\\.builder\\(\\s*([^,)]+?)\\s*[,)]");
  private static final Pattern REGISTRY_COUNTER =
      Pattern.compile("\\bregistry\\.counter\\(\\s*([^,)]+?)\\s*[,)]");
  private static final Pattern CONSTANT =
      Pattern.compile("static\\s+final\\s+String\\s+(\\w+)\\s*=\\s*\"([^\"]*)\"\\s*;");
  private static final Pattern BASE_UNIT = Pattern.compile("\\.baseUnit\\(\\s*\"([^\"]*)\"\\s*\\)");
  private static final Pattern REGISTER = Pattern.compile("\\.register\\(");

  private MetricCatalog() {}

  /** Prometheus names of all {@code qat.*} meters in the services under {@code repoRoot}. */
  public static Set<String> prometheusNames(Path repoRoot) {
    Set<String> names = new TreeSet<>();
    for (String service : Stream.concat(SERVICES.stream(), Stream.of(SHARED_MODULE)).toList()) {
      Path sources = repoRoot.resolve(service).resolve("src/main/java");
      try (Stream<Path> files = Files.walk(sources)) {
        for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
          names.addAll(namesIn(Files.readString(file)));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the sources of " + service, e);
      }
    }
    return names;
  }

  /** Prometheus names of the {@code qat.*} meters registered in one Java source file. */
  static Set<String> namesIn(String source) {
    Map<String, String> constants = new HashMap<>();
    Matcher c = CONSTANT.matcher(source);
    while (c.find()) {
      constants.put(c.group(1), c.group(2));
    }
    Set<String> names = new TreeSet<>();
    Matcher b = BUILDER.matcher(source);
    while (b.find()) {
      String meterName = resolve(b.group(2), constants);
      if (meterName == null || !meterName.startsWith("qat.")) {
        continue;
      }
      Matcher end = REGISTER.matcher(source);
      int chainEnd = end.find(b.end()) ? end.start() : source.length();
      Matcher unit = BASE_UNIT.matcher(source).region(b.end(), chainEnd);
      names.addAll(prometheus(b.group(1), meterName, unit.find() ? unit.group(1) : null));
    }
    Matcher r = REGISTRY_COUNTER.matcher(source);
    while (r.find()) {
      String meterName = resolve(r.group(1), constants);
      if (meterName != null && meterName.startsWith("qat.")) {
        names.addAll(prometheus("Counter", meterName, null));
      }
    }
    return names;
  }

  /** The series names Micrometer's Prometheus registry exposes for one meter. */
  static List<String> prometheus(String type, String meterName, String baseUnit) {
    String base = sanitize(meterName);
    if (baseUnit != null && !type.equals("Timer") && !type.equals("LongTaskTimer")) {
      String unit = sanitize(baseUnit);
      if (!base.endsWith("_" + unit)) {
        base = base + "_" + unit;
      }
    }
    return switch (type) {
      case "Counter" -> List.of(base.endsWith("_total") ? base : base + "_total");
      case "Timer", "LongTaskTimer" -> {
        String t = base.endsWith("_seconds") ? base : base + "_seconds";
        yield List.of(t + "_count", t + "_sum", t + "_max");
      }
      case "DistributionSummary" -> List.of(base + "_count", base + "_sum", base + "_max");
      default -> List.of(base);
    };
  }

  private static String sanitize(String name) {
    return name.replaceAll("[^a-zA-Z0-9_]", "_");
  }

  private static String resolve(String argument, Map<String, String> constants) {
    if (argument.startsWith("\"") && argument.endsWith("\"") && argument.length() >= 2) {
      return argument.substring(1, argument.length() - 1);
    }
    return constants.get(argument);
  }
}
