package io.qatfleet.core.train;

/** Training stopped because the loss became NaN or infinite. */
public class NonFiniteLossException extends RuntimeException {
  public NonFiniteLossException(double loss, int epoch, int step, double learningRate) {
    super(
        "loss became "
            + loss
            + " at epoch "
            + epoch
            + " step "
            + step
            + " (learning rate "
            + learningRate
            + "); lower the learning rate or check the input data");
  }
}
