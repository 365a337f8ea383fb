package io.qatfleet.messaging.event;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The validator's verdict on a quantized model; written in lowercase on the wire. */
public enum Decision {
  /** Every threshold met: release the model. */
  @JsonProperty("pass")
  PASS,
  /** A threshold missed and rounds are left: train another round. */
  @JsonProperty("retrain")
  RETRAIN,
  /** A threshold missed and no rounds are left: the job fails with its best round. */
  @JsonProperty("reject")
  REJECT
}
