/**
 * Loads TensorFlow Java's native library once, so that JavaCPP unpacks it into the cache directory
 * named by {@code -Dorg.bytedeco.javacpp.cachedir}. The Dockerfile runs it at image build time
 * (single-file source launch, on the service's own class path) and moves the unpacked libraries
 * to {@code /opt/tensorflow/lib}, where a container loads them from ({@code
 * -Dorg.bytedeco.javacpp.pathsFirst=true -Djava.library.path=/opt/tensorflow/lib}) without
 * unpacking anything at start.
 */
public final class PrefetchNatives {
  public static void main(String[] args) {
    System.out.println("TensorFlow " + org.tensorflow.TensorFlow.version() + " unpacked into "
        + System.getProperty("org.bytedeco.javacpp.cachedir"));
  }
}
