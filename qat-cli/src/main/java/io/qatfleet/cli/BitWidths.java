package io.qatfleet.cli;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the "W4A4" notation of the command line: weight and activation bits, each 1..8. */
public final class BitWidths {
  private static final Pattern NOTATION =
      Pattern.compile("W([1-8])A([1-8])", Pattern.CASE_INSENSITIVE);

  private BitWidths() {}

  /** {weightBits, activationBits}; throws IllegalArgumentException naming the bad text. */
  public static int[] parse(String text) {
    Matcher m = NOTATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected WxAy with x, y in 1..8, got '" + text + "'");
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }
}
