package io.qatfleet.core.quant;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializerProvider;
import java.io.IOException;

/**
 * JSON of {@link QuantizationSpec#weightBits()}: an integer, or the text {@code "auto"} for {@link
 * QuantizationSpec#AUTO} (bits chosen per layer by the trainer). Anything else is an error naming
 * the value.
 */
final class AutoBits {
  static final String AUTO_TEXT = "auto";

  private AutoBits() {}

  /** Reads an integer or {@code "auto"}. */
  static final class Reader extends JsonDeserializer<Integer> {
    @Override
    public Integer deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
      if (p.currentToken() == JsonToken.VALUE_NUMBER_INT) {
        int bits = p.getIntValue();
        if (bits == QuantizationSpec.AUTO) {
          // The in-memory marker of "auto"; on the wire it is a wrong width like any other.
          return bits + 1;
        }
        return bits;
      }
      if (p.currentToken() == JsonToken.VALUE_STRING && AUTO_TEXT.equals(p.getText())) {
        return QuantizationSpec.AUTO;
      }
      return (Integer)
          ctx.handleUnexpectedToken(
              Integer.class,
              p.currentToken(),
              p,
              "weightBits: must be an integer bit width or \"auto\", got " + p.getText());
    }
  }

  /** Writes {@code "auto"} for {@link QuantizationSpec#AUTO}, the number otherwise. */
  static final class Writer extends JsonSerializer<Integer> {
    @Override
    public void serialize(Integer bits, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      if (bits == QuantizationSpec.AUTO) {
        gen.writeString(AUTO_TEXT);
      } else {
        gen.writeNumber(bits);
      }
    }
  }
}
