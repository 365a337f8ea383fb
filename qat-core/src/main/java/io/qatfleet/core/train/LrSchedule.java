package io.qatfleet.core.train;

/** Learning-rate schedules over the steps of one training phase. */
public enum LrSchedule {
  CONSTANT {
    @Override
    public double factor(long step, long totalSteps) {
      return 1.0;
    }
  },
  /** Half-cosine decay from the base rate to zero at the last step. */
  COSINE {
    @Override
    public double factor(long step, long totalSteps) {
      if (totalSteps <= 1) {
        return 1.0;
      }
      double progress = Math.min(1.0, (double) step / (totalSteps - 1));
      return 0.5 * (1 + Math.cos(Math.PI * progress));
    }
  },
  /** ×0.1 after half of the steps and again after three quarters. */
  STEP {
    @Override
    public double factor(long step, long totalSteps) {
      if (step >= totalSteps * 3 / 4) {
        return 0.01;
      }
      return step >= totalSteps / 2 ? 0.1 : 1.0;
    }
  };

  /** Multiplier of the base learning rate at {@code step} of {@code totalSteps}. */
  public abstract double factor(long step, long totalSteps);
}
