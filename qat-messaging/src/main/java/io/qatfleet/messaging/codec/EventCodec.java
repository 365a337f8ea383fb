package io.qatfleet.messaging.codec;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonMappingException.Reference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.qatfleet.core.json.Json;
import io.qatfleet.messaging.checkpoint.CheckpointRef;
import io.qatfleet.messaging.codec.EventDecodingException.Reason;
import io.qatfleet.messaging.event.DeadLetter;
import io.qatfleet.messaging.event.OptionalField;
import io.qatfleet.messaging.event.QatEvent;
import io.qatfleet.messaging.topic.Topics;
import java.io.IOException;
import java.time.Clock;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Turns {@link QatEvent}s into the JSON bytes that travel on the event topics and back. Encoding
 * writes {@code schemaVersion} and the {@code type} discriminator first, then the record's
 * components (nulls included). Decoding is strict, because a half-understood event could start a
 * wrong round: the {@code schemaVersion} must be {@value QatEvent#SCHEMA_VERSION}, the type must be
 * known, every record component must be present (explicit {@code null} where the event allows one;
 * a component marked {@link OptionalField}, added to the event later, may be absent and reads as
 * {@code null}), unknown fields are rejected, and the record's own validation must pass. Any
 * failure is an {@link EventDecodingException} whose reason and message go into a {@link
 * DeadLetter} built by {@link #toDeadLetter}.
 *
 * <p>The mapper is built from qat-core's {@link Json#builder()} (case-insensitive enums, unknown
 * fields are errors, map keys sorted) and differs from {@link Json#MAPPER} where the wire needs it:
 * instants are ISO-8601 text, nothing may follow the event, and {@link RequiredComponents} marks
 * every component of this module's records required except an {@link OptionalField} one, so that
 * Jackson rejects an event that leaves a component out (it would otherwise default a missing {@code
 * round} to 0 or a missing {@code checkpoint} to null). qat-core types inside an event are read by
 * {@link Json#MAPPER} itself, so that a {@code JobSpec} reads the same inside an event as on its
 * own. Instances are immutable and thread-safe.
 */
public final class EventCodec {

  private static final String SCHEMA_VERSION_FIELD = "schemaVersion";
  private static final String TYPE_FIELD = "type";
  private static final String CORE_PACKAGE = "io.qatfleet.core";

  private final ObjectMapper mapper;
  private final Clock clock;
  private final Map<String, Class<? extends QatEvent>> typesByName;

  /** A codec stamping dead letters with the system UTC clock. */
  public EventCodec() {
    this(Clock.systemUTC());
  }

  /** A codec stamping dead letters with {@code clock}. */
  public EventCodec(Clock clock) {
    this.clock = clock;
    this.mapper =
        Json.builder()
            .addModule(new JavaTimeModule())
            .addModule(coreTypesReadAsJsonReadsThem())
            .addModule(RequiredComponents.module())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    this.typesByName = registeredTypes();
  }

  /** The event names of the {@code type} discriminator, in declaration order. */
  public List<String> typeNames() {
    return List.copyOf(typesByName.keySet());
  }

  /** UTF-8 JSON of {@code event} with {@code schemaVersion} and {@code type}. */
  public byte[] encode(QatEvent event) {
    ObjectNode root = toTree(event);
    try {
      return mapper.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode " + event.getClass().getSimpleName(), e);
    }
  }

  /**
   * {@code event} as the JSON tree {@link #encode} writes (with {@code schemaVersion} and {@code
   * type}), for a reader that shows events as they are on the wire.
   */
  public ObjectNode toTree(QatEvent event) {
    if (event == null) {
      throw new IllegalArgumentException("event must not be null");
    }
    ObjectNode root = mapper.createObjectNode();
    root.put(SCHEMA_VERSION_FIELD, QatEvent.SCHEMA_VERSION);
    root.setAll((ObjectNode) mapper.valueToTree(event));
    return root;
  }

  /**
   * The event in {@code bytes}.
   *
   * @throws EventDecodingException if the bytes are not a valid event of this schema version
   */
  public QatEvent decode(byte[] bytes) throws EventDecodingException {
    ObjectNode root = parseObject(bytes);
    checkSchemaVersion(root);
    Class<? extends QatEvent> type = eventType(root);
    root.remove(SCHEMA_VERSION_FIELD);
    try {
      return mapper.treeToValue(root, QatEvent.class);
    } catch (ValueInstantiationException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new EventDecodingException(
          Reason.INVALID_FIELD, "invalid " + describe(type, e) + ": " + cause.getMessage(), e);
    } catch (JsonMappingException e) {
      if (isAbsent(root, e.getPath())) {
        throw new EventDecodingException(
            Reason.INVALID_FIELD,
            type.getSimpleName() + " is missing required field '" + path(e) + "'",
            e);
      }
      throw new EventDecodingException(
          Reason.INVALID_FIELD, "invalid " + describe(type, e) + ": " + e.getOriginalMessage(), e);
    } catch (JacksonException e) {
      throw new EventDecodingException(Reason.INVALID_FIELD, e.getOriginalMessage(), e);
    }
  }

  /**
   * Longest reason a dead letter keeps: an error message can quote the record it rejects (a type
   * name, a schema version), and the record is hostile.
   */
  static final int MAX_DEAD_LETTER_REASON_CHARS = 4096;

  /** Longest record key a dead letter keeps; a longer key is no job id, and it is left out. */
  static final int MAX_DEAD_LETTER_KEY_CHARS = 1024;

  /**
   * Largest record value a dead letter keeps, base64-encoded: what an event topic takes. A larger
   * value (compressed batches can decompress beyond the topic's limit) is left out and named by its
   * SHA-256, so that the letter always fits {@code qat.dlq}; a letter that did not would be retried
   * and fail forever, and the consumer with it.
   */
  static final int MAX_DEAD_LETTER_VALUE_BYTES = Topics.EVENT_MAX_MESSAGE_BYTES;

  /**
   * A dead letter for a record that could not be processed, keeping its value and key as they were
   * where they fit the bounds above. The job id and round are taken from the value when it is JSON
   * that names them, the job id only when it is a valid one.
   */
  public DeadLetter toDeadLetter(ConsumerRecord<String, byte[]> record, Exception error) {
    byte[] value = record.value() == null ? new byte[0] : record.value();
    boolean keepValue = value.length <= MAX_DEAD_LETTER_VALUE_BYTES;
    String jobId = DeadLetter.UNKNOWN_JOB;
    int round = 0;
    try {
      JsonNode tree = keepValue ? mapper.readTree(value) : null;
      if (tree != null && tree.isObject()) {
        JsonNode job = tree.get("jobId");
        if (job != null && job.isTextual() && QatEvent.isJobId(job.asText())) {
          jobId = job.asText();
        }
        JsonNode r = tree.get("round");
        if (r != null && r.isIntegralNumber() && r.canConvertToInt() && r.asInt() >= 0) {
          round = r.asInt();
        }
      }
    } catch (IOException notJson) {
      // The value is not JSON, so it names no job.
    }
    String errorType =
        error instanceof EventDecodingException ede
            ? ede.reason().name()
            : error.getClass().getSimpleName();
    String reason =
        error.getMessage() == null || error.getMessage().isBlank()
            ? error.getClass().getName()
            : error.getMessage();
    if (reason.length() > MAX_DEAD_LETTER_REASON_CHARS) {
      reason =
          reason.substring(0, MAX_DEAD_LETTER_REASON_CHARS)
              + "... ("
              + reason.length()
              + " characters)";
    }
    String key = record.key();
    if (key != null && key.length() > MAX_DEAD_LETTER_KEY_CHARS) {
      reason += " [key of " + key.length() + " characters not kept]";
      key = null;
    }
    if (!keepValue) {
      reason +=
          " [value of "
              + value.length
              + " bytes not kept, over "
              + MAX_DEAD_LETTER_VALUE_BYTES
              + "; SHA-256 "
              + CheckpointRef.sha256Hex(value)
              + "]";
    }
    return new DeadLetter(
        QatEvent.newEventId(),
        jobId,
        round,
        null,
        clock.instant(),
        record.topic(),
        record.partition(),
        record.offset(),
        errorType,
        reason,
        keepValue ? Base64.getEncoder().encodeToString(value) : "",
        key);
  }

  private ObjectNode parseObject(byte[] bytes) throws EventDecodingException {
    if (bytes == null) {
      throw new EventDecodingException(Reason.MALFORMED_JSON, "value is null");
    }
    if (bytes.length == 0) {
      throw new EventDecodingException(Reason.MALFORMED_JSON, "value is empty");
    }
    JsonNode tree;
    try {
      tree = mapper.readTree(bytes);
    } catch (JacksonException e) {
      throw new EventDecodingException(Reason.MALFORMED_JSON, e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new EventDecodingException(Reason.MALFORMED_JSON, e.getMessage(), e);
    }
    if (tree == null || tree.isMissingNode()) {
      throw new EventDecodingException(Reason.MALFORMED_JSON, "value holds no JSON");
    }
    if (!tree.isObject()) {
      throw new EventDecodingException(
          Reason.MALFORMED_JSON, "expected a JSON object, got " + tree.getNodeType());
    }
    return (ObjectNode) tree;
  }

  private static void checkSchemaVersion(ObjectNode root) throws EventDecodingException {
    JsonNode version = root.get(SCHEMA_VERSION_FIELD);
    if (version == null || version.isNull()) {
      throw new EventDecodingException(
          Reason.UNKNOWN_SCHEMA_VERSION,
          "schemaVersion is missing; this build reads " + QatEvent.SCHEMA_VERSION);
    }
    if (!version.isIntegralNumber() || version.asLong() != QatEvent.SCHEMA_VERSION) {
      throw new EventDecodingException(
          Reason.UNKNOWN_SCHEMA_VERSION,
          "schemaVersion "
              + version
              + " is not supported; this build reads "
              + QatEvent.SCHEMA_VERSION);
    }
  }

  private Class<? extends QatEvent> eventType(ObjectNode root) throws EventDecodingException {
    JsonNode type = root.get(TYPE_FIELD);
    if (type == null || !type.isTextual()) {
      throw new EventDecodingException(
          Reason.UNKNOWN_TYPE,
          "type is "
              + (type == null ? "missing" : type.getNodeType() + " " + type)
              + "; expected one of "
              + typesByName.keySet());
    }
    Class<? extends QatEvent> cls = typesByName.get(type.asText());
    if (cls == null) {
      throw new EventDecodingException(
          Reason.UNKNOWN_TYPE,
          "type '" + type.asText() + "' is not an event; expected one of " + typesByName.keySet());
    }
    return cls;
  }

  /**
   * Whether {@code path} ends at a field that {@code root} does not hold: then the error is
   * Jackson's missing required creator property, naming a record component the JSON left out.
   */
  private static boolean isAbsent(JsonNode root, List<Reference> path) {
    if (path.isEmpty() || path.get(path.size() - 1).getFieldName() == null) {
      return false;
    }
    JsonNode parent = root;
    for (Reference ref : path.subList(0, path.size() - 1)) {
      parent =
          ref.getFieldName() != null ? parent.get(ref.getFieldName()) : parent.get(ref.getIndex());
      if (parent == null) {
        return false;
      }
    }
    return parent.isObject() && !parent.has(path.get(path.size() - 1).getFieldName());
  }

  /** {@code checkpoint.bytes}, {@code thresholdResults[0].metric}: where {@code e} happened. */
  private static String path(JsonMappingException e) {
    return e.getPath().stream()
        .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
        .collect(Collectors.joining("."))
        .replace(".[", "[");
  }

  private static String describe(Class<?> type, JsonMappingException e) {
    String path = path(e);
    return path.isEmpty() ? type.getSimpleName() : type.getSimpleName() + " field '" + path + "'";
  }

  /**
   * qat-core's types inside an event (a {@link io.qatfleet.core.job.JobSpec}, a threshold) read as
   * {@link Json#MAPPER} reads them on their own, where a missing section takes its default; only
   * this module's records must name every component.
   */
  private static SimpleModule coreTypesReadAsJsonReadsThem() {
    return new SimpleModule("qat-core types read by Json.MAPPER")
        .setDeserializerModifier(
            new BeanDeserializerModifier() {
              @Override
              public JsonDeserializer<?> modifyDeserializer(
                  DeserializationConfig config,
                  BeanDescription description,
                  JsonDeserializer<?> deserializer) {
                Class<?> type = description.getBeanClass();
                return type.getPackageName().startsWith(CORE_PACKAGE)
                    ? new ReadByJson<>(type)
                    : deserializer;
              }
            });
  }

  /** Reads its type with {@link Json#MAPPER}. */
  private static final class ReadByJson<T> extends StdDeserializer<T> {
    private final Class<T> type;

    ReadByJson(Class<T> type) {
      super(type);
      this.type = type;
    }

    @Override
    public T deserialize(JsonParser parser, DeserializationContext context) throws IOException {
      return Json.MAPPER.readValue(parser, type);
    }
  }

  private static Map<String, Class<? extends QatEvent>> registeredTypes() {
    Map<String, Class<? extends QatEvent>> out = new LinkedHashMap<>();
    for (JsonSubTypes.Type t : QatEvent.class.getAnnotation(JsonSubTypes.class).value()) {
      out.put(t.name(), t.value().asSubclass(QatEvent.class));
    }
    return out;
  }
}
