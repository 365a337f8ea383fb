package io.qatfleet.core.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Datasets by reference built by hand in temporary directories: image folders (PNG and JPEG,
 * grayscale and RGB, with and without their own test split), CIFAR-10/100 binary batches, CSV
 * tables and IDX files at any path; the canonical digest against {@code sha256sum}; and hostile
 * files refused before their claimed sizes are allocated.
 */
class DataSourceTest {

  @TempDir Path dir;

  private final DatasetLoader loader = new DatasetLoader(Path.of("/nonexistent"), List.of());

  @AfterEach
  void clearCache() {
    DatasetLoader.clearCache();
  }

  private static DataSource source(SourceFormat format, Path path) {
    return new DataSource(format, path.toString(), null, null);
  }

  /** A solid-colour RGB PNG of {@code w × h}. */
  private static void png(Path file, int w, int h, int r, int g, int b) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.setRGB(x, y, (r << 16) | (g << 8) | b);
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  private static void grayPng(Path file, int w, int h, int value) throws IOException {
    BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        image.getRaster().setSample(x, y, 0, value);
      }
    }
    Files.createDirectories(file.getParent());
    ImageIO.write(image, "png", file.toFile());
  }

  @Test
  void readsImageFolderWithOwnSplitResizedToTheModel() throws IOException {
    png(dir.resolve("train/cat/a.png"), 8, 6, 200, 10, 30);
    png(dir.resolve("train/cat/b.png"), 8, 6, 200, 10, 30);
    png(dir.resolve("train/dog/a.png"), 5, 5, 0, 128, 255);
    png(dir.resolve("test/cat/c.png"), 4, 4, 200, 10, 30);
    png(dir.resolve("test/dog/d.png"), 4, 4, 0, 128, 255);
    Files.writeString(dir.resolve("train/dog/notes.txt"), "ignored");

    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(4, 4, 3));

    assertThat(loaded.description().classNames()).containsExactly("cat", "dog");
    Dataset train = loaded.train();
    assertThat(train.size()).isEqualTo(3);
    assertThat(loaded.test().size()).isEqualTo(2);
    assertThat(train.channels()).isEqualTo(3);
    assertThat(train.labelsAsInts()).containsExactly(0, 0, 1);
    // A solid colour stays that colour under any resampling; HWC order: R, G, B per pixel.
    byte[] px = train.pixels();
    int ppi = train.pixelsPerImage();
    for (int p = 0; p < 16; p++) {
      assertThat(px[p * 3] & 0xFF).isEqualTo(200);
      assertThat(px[p * 3 + 1] & 0xFF).isEqualTo(10);
      assertThat(px[p * 3 + 2] & 0xFF).isEqualTo(30);
      assertThat(px[2 * ppi + p * 3 + 2] & 0xFF).isEqualTo(255);
    }
  }

  @Test
  void resizesBilinearlyWithHalfPixelCentres() throws IOException {
    BufferedImage image = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
    image.getRaster().setSample(1, 0, 0, 255);
    Path file = dir.resolve("ramp.png");
    ImageIO.write(image, "png", file.toFile());
    // Output x samples the source at (x + 0.5) * 2/4 - 0.5 = -0.25, 0.25, 0.75, 1.25, clamped
    // to 0..1: 0, 0.25 * 255 = 63.75, 0.75 * 255 = 191.25, 255.
    byte[] out = ImageFolderReader.image(file, new InputShape(1, 4, 1), DataLimits.DEFAULTS);
    assertThat(new int[] {out[0] & 0xFF, out[1] & 0xFF, out[2] & 0xFF, out[3] & 0xFF})
        .containsExactly(0, 64, 191, 255);
  }

  @Test
  void holdsOutEveryFifthImageOfEachClassWithoutOwnSplit() throws IOException {
    for (int i = 0; i < 10; i++) {
      png(dir.resolve("a/" + i + ".png"), 2, 2, 1, 2, 3);
    }
    for (int i = 0; i < 6; i++) {
      png(dir.resolve("b/" + i + ".png"), 2, 2, 1, 2, 3);
    }
    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(2, 2, 1));
    // Class a: files 4 and 9 (file-name order) go to test; class b: file 4.
    assertThat(loaded.test().labelsAsInts()).containsExactly(0, 0, 1);
    assertThat(loaded.train().size()).isEqualTo(13);
  }

  @Test
  void convertsBetweenGrayAndRgb() throws IOException {
    png(dir.resolve("train/red/a.png"), 3, 3, 255, 0, 0);
    grayPng(dir.resolve("train/gray/a.png"), 3, 3, 77);
    png(dir.resolve("test/red/a.png"), 3, 3, 255, 0, 0);
    grayPng(dir.resolve("test/gray/a.png"), 3, 3, 77);

    Dataset gray =
        loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(3, 3, 1)).train();
    // Classes sorted: gray = 0, red = 1. Luma of pure red: round(0.299 * 255) = 76.
    assertThat(gray.pixels()[0] & 0xFF).isEqualTo(77);
    assertThat(gray.pixels()[9] & 0xFF).isEqualTo(76);
    Dataset rgb =
        loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(3, 3, 3)).train();
    assertThat(new int[] {rgb.pixels()[0], rgb.pixels()[1], rgb.pixels()[2]})
        .containsExactly(77, 77, 77);
  }

  @Test
  void readsJpegImages() throws IOException {
    for (String c : List.of("x", "y")) {
      for (String split : List.of("train", "test")) {
        BufferedImage image = new BufferedImage(8, 8, BufferedImage.TYPE_3BYTE_BGR);
        Path f = dir.resolve(split + "/" + c + "/img.JPG");
        Files.createDirectories(f.getParent());
        ImageIO.write(image, "jpeg", f.toFile());
      }
    }
    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(8, 8, 3));
    assertThat(loaded.train().size()).isEqualTo(2);
  }

  @Test
  void rejectsTestFolderWithOtherClasses() throws IOException {
    png(dir.resolve("train/a/1.png"), 2, 2, 0, 0, 0);
    png(dir.resolve("train/b/1.png"), 2, 2, 0, 0, 0);
    png(dir.resolve("test/a/1.png"), 2, 2, 0, 0, 0);
    png(dir.resolve("test/c/1.png"), 2, 2, 0, 0, 0);
    assertThatThrownBy(
            () -> loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(2, 2, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("no subfolder for class 'b'");
  }

  /** A CIFAR record: label byte(s), then the R, G and B planes; pixel p of plane c is c*10+p%7. */
  private static byte[] cifarRecord(int... labels) {
    byte[] r = new byte[labels.length + 3072];
    for (int i = 0; i < labels.length; i++) {
      r[i] = (byte) labels[i];
    }
    for (int c = 0; c < 3; c++) {
      for (int p = 0; p < 1024; p++) {
        r[labels.length + c * 1024 + p] = (byte) (c * 10 + p % 7);
      }
    }
    return r;
  }

  private static void write(Path file, byte[]... records) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] r : records) {
      out.write(r);
    }
    Files.createDirectories(file.getParent());
    Files.write(file, out.toByteArray());
  }

  @Test
  void readsCifar10BatchesAsInterleavedRgb() throws IOException {
    write(dir.resolve("data_batch_1.bin"), cifarRecord(3), cifarRecord(9));
    write(dir.resolve("data_batch_2.bin"), cifarRecord(0));
    write(dir.resolve("test_batch.bin"), cifarRecord(7));
    Files.writeString(
        dir.resolve("batches.meta.txt"),
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n");

    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.CIFAR10, dir), new InputShape(32, 32, 3));

    assertThat(loaded.description().classNames()).hasSize(10).startsWith("airplane");
    Dataset train = loaded.train();
    assertThat(train.labelsAsInts()).containsExactly(3, 9, 0);
    assertThat(loaded.test().labelsAsInts()).containsExactly(7);
    byte[] px = train.pixels();
    // Pixel 8 (row 0, col 8): R = 0 + 8 % 7 = 1, G = 11, B = 21.
    assertThat(new int[] {px[24], px[25], px[26]}).containsExactly(1, 11, 21);
  }

  @Test
  void readsCifar100FineLabels() throws IOException {
    write(dir.resolve("train.bin"), cifarRecord(4, 87), cifarRecord(19, 3));
    write(dir.resolve("test.bin"), cifarRecord(0, 99));
    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.CIFAR100, dir), new InputShape(32, 32, 3));
    assertThat(loaded.train().labelsAsInts()).containsExactly(87, 3);
    assertThat(loaded.test().labelsAsInts()).containsExactly(99);
    assertThat(loaded.description().classNames()).hasSize(100).startsWith("0", "1");
  }

  @Test
  void rejectsCifarFileOfPartialRecords() throws IOException {
    write(dir.resolve("data_batch_1.bin"), cifarRecord(1), new byte[100]);
    write(dir.resolve("test_batch.bin"), cifarRecord(1));
    assertThatThrownBy(
            () -> loader.read(source(SourceFormat.CIFAR10, dir), new InputShape(32, 32, 3)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("data_batch_1.bin")
        .hasMessageContaining("not whole CIFAR records of 3073 bytes");
  }

  @Test
  void readsCsvScalingEachFeatureOverTheTrainingRows() throws IOException {
    Path train = dir.resolve("train.csv");
    Files.writeString(train, "x,species,y\n0,setosa,10\n2,\"virginica\",20\n4,setosa,30\n");
    Files.writeString(dir.resolve("test.csv"), "x,species,y\n1,virginica,40\n");
    DatasetLoader.Loaded loaded =
        loader.read(
            new DataSource(SourceFormat.CSV, dir.toString(), null, "species"),
            new InputShape(1, 2, 1));

    assertThat(loaded.description().classNames()).containsExactly("setosa", "virginica");
    Dataset t = loaded.train();
    assertThat(t.rows()).isEqualTo(1);
    assertThat(t.cols()).isEqualTo(2);
    assertThat(t.labelsAsInts()).containsExactly(0, 1, 0);
    // x in 0..4 and y in 10..30 map onto 0..255: x = 2 -> 127.5 -> 128; y = 20 -> 128.
    assertThat(t.pixels()[2] & 0xFF).isEqualTo(128);
    assertThat(t.pixels()[3] & 0xFF).isEqualTo(128);
    // Test row: x = 1 -> 63.75 -> 64; y = 40 is beyond the training maximum: clamped to 255.
    assertThat(loaded.test().pixels()[0] & 0xFF).isEqualTo(64);
    assertThat(loaded.test().pixels()[1] & 0xFF).isEqualTo(255);
  }

  @Test
  void splitsSingleCsvEveryFifthRowPerClassWithNumericLabels() throws IOException {
    StringBuilder csv = new StringBuilder("f,label\n");
    for (int i = 0; i < 10; i++) {
      csv.append(i).append(',').append(i % 2).append('\n');
    }
    Path file = dir.resolve("table.csv");
    Files.writeString(file, csv);
    DatasetLoader.Loaded loaded =
        loader.read(source(SourceFormat.CSV, file), new InputShape(1, 1, 1));
    assertThat(loaded.description().classNames()).containsExactly("0", "1");
    assertThat(loaded.train().size()).isEqualTo(8);
    assertThat(loaded.test().labelsAsInts()).containsExactly(0, 1);
  }

  @Test
  void rejectsCsvWithNonNumericFeature() throws IOException {
    Path file = dir.resolve("t.csv");
    Files.writeString(file, "a,label\n1,0\nNaN,1\n");
    assertThatThrownBy(() -> loader.read(source(SourceFormat.CSV, file), new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("column 'a' is not a finite number: 'NaN'");
  }

  @Test
  void rejectsCsvWithMillionColumnsBeforeReadingRows() throws IOException {
    Path file = dir.resolve("wide.csv");
    StringBuilder header = new StringBuilder("label");
    for (int i = 0; i < 1_000_000; i++) {
      header.append(",c").append(i);
    }
    Files.writeString(file, header.append("\n"));
    assertThatThrownBy(() -> loader.read(source(SourceFormat.CSV, file), new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("1000001")
        .hasMessageContaining("qat.budget.max-csv-columns");
  }

  @Test
  void rejectsIdxHeaderClaimingTwoToTheThirtyOneImages() throws IOException {
    Path idx = dir.resolve("idx");
    IdxFiles.write(
        idx.resolve("train-images-idx3-ubyte"),
        IdxFiles.images(IdxReader.IMAGES_MAGIC, Integer.MAX_VALUE, 28, 28, new byte[16]));
    IdxFiles.write(idx.resolve("train-labels-idx1-ubyte"), IdxFiles.labels(1, new byte[1]));
    IdxFiles.write(
        idx.resolve("t10k-images-idx3-ubyte"),
        IdxFiles.images(IdxReader.IMAGES_MAGIC, 1, 28, 28, new byte[784]));
    IdxFiles.write(idx.resolve("t10k-labels-idx1-ubyte"), IdxFiles.labels(1, new byte[1]));
    assertThatThrownBy(() -> loader.read(source(SourceFormat.IDX, idx), new InputShape(28, 28, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("2147483647 images of 28x28")
        .hasMessageContaining("qat.budget.max-dataset-bytes");
  }

  @Test
  void readsIdxAtAnyPath() throws IOException {
    Path idx = dir.resolve("my/digits");
    IdxFiles.writeDataset(idx, 30, 10);
    DatasetSplits splits =
        loader.load(
            source(SourceFormat.IDX, idx), new InputShape(2, 2, 1), new SplitSpec(5, 0, 0, 1));
    assertThat(splits.train().size()).isEqualTo(25);
    assertThat(splits.test().size()).isEqualTo(10);
    assertThat(splits.description().classNames()).hasSize(10);
    assertThat(splits.description().sha256()).isEqualTo(SourceDigest.of(idx));
  }

  /** A PNG of only a signature and an IHDR chunk declaring {@code w × h}: no pixels at all. */
  private static byte[] pngHeader(int w, int h) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteArrayOutputStream chunk = new ByteArrayOutputStream();
    DataOutputStream c = new DataOutputStream(chunk);
    c.writeBytes("IHDR");
    c.writeInt(w);
    c.writeInt(h);
    c.write(new byte[] {8, 2, 0, 0, 0}); // 8-bit RGB, deflate, no filter method, no interlace
    byte[] body = chunk.toByteArray();
    out.writeInt(body.length - 4);
    out.write(body);
    CRC32 crc = new CRC32();
    crc.update(body);
    out.writeInt((int) crc.getValue());
    return bytes.toByteArray();
  }

  @Test
  void rejectsHugeImageFromItsHeaderBeforeDecoding() throws IOException {
    png(dir.resolve("a/1.png"), 2, 2, 0, 0, 0);
    Files.createDirectories(dir.resolve("b"));
    Files.write(dir.resolve("b/bomb.png"), pngHeader(100_000, 100_000));
    assertThatThrownBy(
            () -> loader.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(2, 2, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("bomb.png")
        .hasMessageContaining("100000x100000")
        .hasMessageContaining("qat.budget.max-image-pixels");
  }

  @Test
  void rejectsDatasetOverTheConfiguredByteCap() throws IOException {
    for (String c : List.of("a", "b")) {
      for (int i = 0; i < 5; i++) {
        png(dir.resolve(c + "/" + i + ".png"), 2, 2, 0, 0, 0);
      }
    }
    DatasetLoader small =
        new DatasetLoader(
            Path.of("/nonexistent"), List.of(), new DataLimits(100, 1 << 20, 1 << 20, 10));
    // 10 images of 4x4x3 = 480 bytes.
    assertThatThrownBy(
            () -> small.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(4, 4, 3)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageContaining("480 exceeds the cap of 100 (qat.budget.max-dataset-bytes)");
  }

  @Test
  void refusesADeviceAndSourcesOverTheByteCapBeforeHashingThem() throws IOException {
    // /dev/zero never ends: hashed first, it would hold the request thread for ever.
    assertThatThrownBy(
            () ->
                loader.read(
                    new DataSource(SourceFormat.CSV, "/dev/zero", null, null),
                    new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage("data.source.path: /dev/zero is neither a regular file nor a directory");

    Files.createDirectories(dir.resolve("a"));
    Files.createDirectories(dir.resolve("b"));
    Files.write(dir.resolve("a/big.bin"), new byte[600]);
    Files.write(dir.resolve("b/big.bin"), new byte[600]);
    Path oneFile = Files.write(dir.resolve("one.csv"), new byte[1500]);
    DatasetLoader small =
        new DatasetLoader(
            Path.of("/nonexistent"), List.of(), new DataLimits(1 << 20, 1000, 1 << 20, 10));
    assertThatThrownBy(
            () -> small.read(source(SourceFormat.IMAGE_FOLDER, dir), new InputShape(4, 4, 3)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith("data.source.path: " + dir + " (file bytes): ")
        .hasMessageEndingWith(" exceeds the cap of 1000 (qat.budget.max-source-bytes)");
    assertThatThrownBy(() -> small.read(source(SourceFormat.CSV, oneFile), new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessage(
            "data.source.path: "
                + oneFile
                + " (file bytes): 1500 exceeds the cap of 1000 (qat.budget.max-source-bytes)");
  }

  @Test
  void digestIsWhatTheDocumentedShellPipelinePrints() throws Exception {
    png(dir.resolve("b/2.png"), 2, 2, 1, 2, 3);
    png(dir.resolve("a/10.png"), 2, 2, 3, 2, 1);
    Files.writeString(dir.resolve("a/readme.txt"), "x");
    Process p =
        new ProcessBuilder(
                "bash",
                "-c",
                "cd '"
                    + dir
                    + "' && find . -type f -printf '%P\\n' | LC_ALL=C sort"
                    + " | xargs -d '\\n' sha256sum | sha256sum")
            .redirectErrorStream(true)
            .start();
    String shell = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor()).isZero();
    assertThat(SourceDigest.of(dir)).isEqualTo(shell.substring(0, 64));
  }

  @Test
  void rejectsSourceWhoseDigestDiffersFromTheSpec() throws IOException {
    Path file = dir.resolve("t.csv");
    Files.writeString(file, "a,label\n1,0\n2,1\n");
    DataSource wrong = new DataSource(SourceFormat.CSV, file.toString(), "0".repeat(64), null);
    assertThatThrownBy(() -> loader.read(wrong, new InputShape(1, 1, 1)))
        .isInstanceOf(DatasetFormatException.class)
        .hasMessageStartingWith("data.source.sha256: ")
        .hasMessageContaining(SourceDigest.of(file));
  }

  @Test
  void cachesBySourceDigestAndRereadsChangedFiles() throws IOException {
    Path file = dir.resolve("t.csv");
    Files.writeString(file, "a,label\n1,0\n2,1\n");
    DataSource csv = source(SourceFormat.CSV, file);
    InputShape shape = new InputShape(1, 1, 1);
    assertThat(loader.read(csv, shape).data()).isSameAs(loader.read(csv, shape).data());
    Files.writeString(file, "a,label\n1,0\n2,1\n3,1\n");
    assertThat(loader.read(csv, shape).train().size()).isEqualTo(3);
  }

  @Test
  void validatesSourceFields() {
    assertThat(new DataSource(null, "rel/path", "ABC", "y").violations("data.source"))
        .containsExactly(
            "data.source.format: required, one of idx, imageFolder, cifar10, cifar100, csv",
            "data.source.path: must be absolute, got 'rel/path'",
            "data.source.sha256: must be 64 lowercase hex digits, got 'ABC'",
            "data.source.labelColumn: only for format csv, got format null");
  }
}
