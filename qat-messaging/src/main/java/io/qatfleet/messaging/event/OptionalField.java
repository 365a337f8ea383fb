package io.qatfleet.messaging.event;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A record component added to an event after its schema version was first published: an event
 * written before it existed lacks the field and still decodes, with {@code null} in its place
 * ({@code io.qatfleet.messaging.codec.EventCodec}). Every other component must be present. Whether
 * a missing value is acceptable is the reader's decision, not the codec's (an unsigned {@link
 * ModelApproved} decodes, and every reader that acts on approvals refuses it).
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface OptionalField {}
