package io.qatfleet.core.train;

/** Training stopped because the loss or a trained variable became NaN or infinite. */
public class NonFiniteLossException extends RuntimeException {
  public NonFiniteLossException(double loss, int epoch, int step, double learningRate) {
    this(loss, true, epoch, step, learningRate);
  }

  /**
   * @param lossShowedIt whether {@code loss} is the non-finite value; if not, a trained variable
   *     is, and the loss did not show it
   */
  public NonFiniteLossException(
      double loss, boolean lossShowedIt, int epoch, int step, double learningRate) {
    super(
        (lossShowedIt
                ? "loss became " + loss
                : "a trained variable became NaN or infinite (the loss, "
                    + loss
                    + ", did not show it)")
            + " at epoch "
            + epoch
            + " step "
            + step
            + " (learning rate "
            + learningRate
            + "); lower the learning rate or check the input data");
  }
}
