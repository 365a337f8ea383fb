package io.qatfleet.core.data;

import java.util.List;
import java.util.stream.IntStream;

/**
 * What a source reader produces: the source's own train and test sets, before the job's split, and
 * the class names by label.
 */
record SourceData(Dataset train, Dataset test, List<String> classNames) {

  SourceData {
    classNames = List.copyOf(classNames);
    if (train.numClasses() != classNames.size() || test.numClasses() != classNames.size()) {
      throw new IllegalArgumentException("class names and datasets disagree on the class count");
    }
  }

  /** The labels as names: the number itself. */
  static List<String> numbered(int classes) {
    return IntStream.range(0, classes).mapToObj(Integer::toString).toList();
  }

  /**
   * Which samples of a source without its own test split are test samples: every fifth sample of
   * each class, in the source's order, so the split is stratified and repeatable.
   */
  static boolean isHeldOut(int indexWithinClass) {
    return indexWithinClass % 5 == 4;
  }
}
