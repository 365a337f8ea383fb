package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxReaderTest {

  /** Three 2x3 images (pixels 0..17) labelled 2, 0, 1. */
  private static final byte[] PIXELS = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17
  };

  private static final byte[] LABELS = {2, 0, 1};

  @TempDir Path dir;

  private Path images(byte[] content) throws Exception {
    return IdxFiles.write(dir.resolve("images"), content);
  }

  private Path labels(byte[] content) throws Exception {
    return IdxFiles.write(dir.resolve("labels"), content);
  }

  @Test
  void readsPlainIdxFiles() throws Exception {
    Dataset d =
        IdxReader.read(
            "tiny",
            images(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS)),
            labels(IdxFiles.labels(3, LABELS)),
            3);

    assertThat(d.name()).isEqualTo("tiny");
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.rows()).isEqualTo(2);
    assertThat(d.cols()).isEqualTo(3);
    assertThat(d.pixels()).containsExactly(PIXELS);
    assertThat(d.labelsAsInts()).containsExactly(2, 0, 1);
  }

  @Test
  void readsGzippedIdxFilesRecognisedByMagicBytes() throws Exception {
    Dataset d =
        IdxReader.read(
            "tiny",
            images(IdxFiles.gzip(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS))),
            labels(IdxFiles.gzip(IdxFiles.labels(3, LABELS))),
            3);

    assertThat(d.pixels()).containsExactly(PIXELS);
    assertThat(d.labelsAsInts()).containsExactly(2, 0, 1);
  }

  @Test
  void rejectsImagesFileWithBadMagic() throws Exception {
    Path images = images(IdxFiles.images(0x00000801, 3, 2, 3, PIXELS));
    Path labels = labels(IdxFiles.labels(3, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining(images.toString())
        .hasMessageContaining("bad IDX magic 0x00000801, expected 0x00000803");
  }

  @Test
  void rejectsLabelsFileWithBadMagic() throws Exception {
    Path images = images(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS));
    Path labels = labels(IdxFiles.idx(0x00000C01, new int[] {3}, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining(labels.toString())
        .hasMessageContaining("bad IDX magic 0x00000C01, expected 0x00000801");
  }

  @Test
  void rejectsTruncatedImageData() throws Exception {
    // 3 images of 2x3 need 18 bytes; only the first 10 are written.
    Path images = images(IdxFiles.images(0x00000803, 3, 2, 3, Arrays.copyOf(PIXELS, 10)));
    Path labels = labels(IdxFiles.labels(3, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("truncated")
        .hasMessageContaining("3 images of 2x3 pixels (18 bytes) but only 10 follow");
  }

  @Test
  void rejectsTruncatedHeader() throws Exception {
    byte[] full = IdxFiles.images(0x00000803, 3, 2, 3, PIXELS);
    Path images = images(Arrays.copyOf(full, 6));
    Path labels = labels(IdxFiles.labels(3, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("truncated")
        .hasMessageContaining("image count");
  }

  @Test
  void rejectsTruncatedGzipStream() throws Exception {
    byte[] gz = IdxFiles.gzip(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS));
    Path images = images(Arrays.copyOf(gz, gz.length - 12));
    Path labels = labels(IdxFiles.labels(3, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void rejectsDataBeyondDeclaredCount() throws Exception {
    Path images = images(IdxFiles.images(0x00000803, 2, 2, 3, PIXELS));
    Path labels = labels(IdxFiles.labels(3, LABELS));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("has data after the 2 images");
  }

  @Test
  void rejectsImageAndLabelCountMismatch() throws Exception {
    Path images = images(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS));
    Path labels = labels(IdxFiles.labels(2, new byte[] {2, 0}));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("count mismatch")
        .hasMessageContaining("holds 3 images")
        .hasMessageContaining("holds 2 labels");
  }

  @Test
  void rejectsLabelOutsideClasses() throws Exception {
    Path images = images(IdxFiles.images(0x00000803, 3, 2, 3, PIXELS));
    Path labels = labels(IdxFiles.labels(3, new byte[] {2, 0, 3}));

    assertThatThrownBy(() -> IdxReader.read("tiny", images, labels, 3))
        .isInstanceOf(IdxFormatException.class)
        .hasMessageContaining("labels[2] = 3 is outside 0..2");
  }
}
