package io.qatfleet.messaging.codec;

import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.introspect.AnnotatedConstructor;
import com.fasterxml.jackson.databind.introspect.AnnotatedMember;
import com.fasterxml.jackson.databind.introspect.AnnotatedParameter;
import com.fasterxml.jackson.databind.introspect.NopAnnotationIntrospector;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.qatfleet.messaging.event.OptionalField;
import java.lang.reflect.RecordComponent;

/**
 * Jackson's required marker ({@code @JsonProperty(required = true)}) on every component of this
 * module's records, except one marked {@link OptionalField}: Jackson then rejects an event that
 * leaves a component out, where it would otherwise default a missing {@code round} to 0 or a
 * missing {@code checkpoint} to null, and reads an absent optional one as null. The rule is per
 * property because {@code DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES} applies to
 * every property alike and so cannot leave a component optional. qat-core's types answer nothing
 * here and keep their own rules.
 */
final class RequiredComponents extends NopAnnotationIntrospector {

  private static final long serialVersionUID = 1L;
  private static final String MESSAGING_PACKAGE = "io.qatfleet.messaging";

  /** A module putting this introspector ahead of the mapper's own. */
  static Module module() {
    return new SimpleModule("record components required") {
      private static final long serialVersionUID = 1L;

      @Override
      public void setupModule(SetupContext context) {
        super.setupModule(context);
        context.insertAnnotationIntrospector(new RequiredComponents());
      }
    };
  }

  @Override
  public Boolean hasRequiredMarker(AnnotatedMember member) {
    Class<?> owner = member.getDeclaringClass();
    if (!owner.isRecord() || !owner.getPackageName().startsWith(MESSAGING_PACKAGE)) {
      return null;
    }
    RecordComponent component = component(owner, member);
    return component == null ? null : !component.isAnnotationPresent(OptionalField.class);
  }

  /**
   * The record component {@code member} stands for: a parameter of the canonical constructor by its
   * position, the field or accessor by its name; null for anything else.
   */
  private static RecordComponent component(Class<?> record, AnnotatedMember member) {
    RecordComponent[] components = record.getRecordComponents();
    if (member instanceof AnnotatedParameter parameter) {
      if (parameter.getOwner() instanceof AnnotatedConstructor constructor
          && isCanonical(constructor, components)) {
        return components[parameter.getIndex()];
      }
      return null;
    }
    for (RecordComponent component : components) {
      if (component.getName().equals(member.getName())) {
        return component;
      }
    }
    return null;
  }

  private static boolean isCanonical(
      AnnotatedConstructor constructor, RecordComponent[] components) {
    if (constructor.getParameterCount() != components.length) {
      return false;
    }
    for (int i = 0; i < components.length; i++) {
      if (constructor.getRawParameterType(i) != components[i].getType()) {
        return false;
      }
    }
    return true;
  }
}
