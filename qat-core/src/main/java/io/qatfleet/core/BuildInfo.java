package io.qatfleet.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The build this code came from: the project version and git commit, written into {@code
 * build.properties} by the Maven build. One source for every place that names the code: checkpoint
 * provenance, the services' {@code /q/info}, the CLI's {@code --version}.
 */
public final class BuildInfo {

  private static final String UNKNOWN = "unknown";
  private static final Properties PROPS = load();

  private BuildInfo() {}

  /** The Maven project version, e.g. {@code 0.1.0-SNAPSHOT}. */
  public static String version() {
    return value("version");
  }

  /** The abbreviated git commit, with {@code -dirty} when the tree had uncommitted changes. */
  public static String commit() {
    String commit = value("commit");
    return "true".equals(PROPS.getProperty("dirty")) ? commit + "-dirty" : commit;
  }

  /** {@code qat-fleet <version> (<commit>)}: the code version recorded in provenance. */
  public static String codeVersion() {
    return "qat-fleet " + version() + " (" + commit() + ")";
  }

  private static String value(String key) {
    String v = PROPS.getProperty(key);
    // An unfiltered placeholder means the build did not know (an IDE build, no .git).
    return v == null || v.isBlank() || v.startsWith("${") ? UNKNOWN : v;
  }

  private static Properties load() {
    Properties props = new Properties();
    try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        props.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read build.properties", e);
    }
    return props;
  }
}
