package io.qatfleet.core.job;

/** Whether a job tries post-training quantization before any QAT round ({@code strategy}). */
public enum Strategy {
  /**
   * QAT rounds from round 1 on; post-training quantization (round 0) is measured beside them and
   * reported, never approved.
   */
  QAT,
  /**
   * Post-training quantization first: approved when it meets the bar; QAT rounds only when it does
   * not, the first of them with a remedy like any send-back.
   */
  PTQ_FIRST
}
