package io.qatfleet.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.qatfleet.core.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * A benchmark's results file: one JSON object per line, appended as each row is measured so that an
 * interrupted run keeps what it measured, read back whole to render the report.
 */
final class JsonLines {
  private JsonLines() {}

  /** Reads {@code file}; a missing file is empty, a bad line is an error naming the line. */
  static <T> List<T> read(Path file, Class<T> type) {
    List<T> rows = new ArrayList<>();
    if (!Files.exists(file)) {
      return rows;
    }
    try {
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).trim();
        if (line.isEmpty()) {
          continue;
        }
        try {
          rows.add(Json.MAPPER.readValue(line, type));
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(
              file
                  + " line "
                  + (i + 1)
                  + ": not a "
                  + type.getSimpleName()
                  + ": "
                  + e.getOriginalMessage(),
              e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** Appends {@code row} as one line (parent directories created). */
  static void append(Path file, Object row) {
    try {
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      Files.writeString(
          file,
          Json.MAPPER.writeValueAsString(row) + "\n",
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Rewrites {@code file} with exactly {@code rows}. */
  static void write(Path file, List<?> rows) {
    try {
      StringBuilder out = new StringBuilder();
      for (Object row : rows) {
        out.append(Json.MAPPER.writeValueAsString(row)).append('\n');
      }
      Files.writeString(file, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
