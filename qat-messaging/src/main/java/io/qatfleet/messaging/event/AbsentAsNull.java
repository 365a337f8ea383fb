package io.qatfleet.messaging.event;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks an event component that was added after events without it had been written: the codec reads
 * its absence as {@code null} instead of rejecting the event, so that records already on a topic
 * (read again from the start by every view) still decode. Every other component must be present,
 * with an explicit {@code null} where the event allows one. The event itself decides what {@code
 * null} means for such a component.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.RECORD_COMPONENT)
public @interface AbsentAsNull {}
