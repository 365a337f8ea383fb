package io.qatfleet.messaging.event;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Where the bar a quantized model was judged by came from; written in lowercase on the wire. A job
 * whose spec names no threshold ({@code "thresholds": {}}) is judged by the validator's configured
 * default bar, never by an empty list of checks.
 */
public enum ThresholdSource {
  /** The thresholds of the job spec. */
  @JsonProperty("spec")
  SPEC,
  /** The validator's default bar ({@code qat.default-thresholds}): the spec named none. */
  @JsonProperty("default")
  DEFAULT
}
