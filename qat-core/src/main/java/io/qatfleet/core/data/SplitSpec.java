package io.qatfleet.core.data;

/**
 * How a job wants a dataset split: how many training images to hold out for calibrating the
 * quantizer, how many of the rest to train on and how many test images to evaluate on, and the seed
 * that makes the random choices repeatable.
 *
 * @param calibrationSize images drawn at random from the training file and kept out of the training
 *     split; 0 for none
 * @param trainLimit at most this many of the remaining training images; 0 for all
 * @param testLimit at most this many test images, drawn at random; 0 for all
 */
public record SplitSpec(int calibrationSize, int trainLimit, int testLimit, long seed) {

  public SplitSpec {
    if (calibrationSize < 0) {
      throw new IllegalArgumentException("calibrationSize must be >= 0 but was " + calibrationSize);
    }
    if (trainLimit < 0) {
      throw new IllegalArgumentException("trainLimit must be >= 0 (0 = all) but was " + trainLimit);
    }
    if (testLimit < 0) {
      throw new IllegalArgumentException("testLimit must be >= 0 (0 = all) but was " + testLimit);
    }
  }
}
