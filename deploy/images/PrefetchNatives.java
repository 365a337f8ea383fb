/**
 * Loads TensorFlow Java's native library once, so that JavaCPP unpacks it into the cache directory
 * named by {@code -Dorg.bytedeco.javacpp.cachedir}. The Dockerfiles run it at image build time
 * (single-file source launch, on the service's own class path), so a container finds the library
 * in its read-only image and neither unpacks nor downloads anything at start.
 */
public final class PrefetchNatives {
  public static void main(String[] args) {
    System.out.println("TensorFlow " + org.tensorflow.TensorFlow.version() + " unpacked into "
        + System.getProperty("org.bytedeco.javacpp.cachedir"));
  }
}
