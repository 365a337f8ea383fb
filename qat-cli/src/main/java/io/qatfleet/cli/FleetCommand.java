package io.qatfleet.cli;

import io.qatfleet.cli.fleet.JobClient.JobApiException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * Base of the commands that talk to a running fleet. Runs {@link #run} and turns every failure the
 * user can act on (unreachable fleet, unknown job, invalid spec, missing file) into one line on
 * standard error and exit code 1, never a stack trace. Usage errors stay picocli's (exit code 2).
 */
abstract class FleetCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  /** Does the work, printing results to {@code out}; returns the exit code. */
  abstract int run(PrintWriter out) throws Exception;

  @Override
  public final Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try {
      return run(out);
    } catch (CliFailure | JobApiException e) {
      return fail(e.getMessage());
    } catch (KafkaException e) {
      return fail("Kafka: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return fail("interrupted");
    } catch (RuntimeException e) {
      if (e instanceof picocli.CommandLine.ParameterException p) {
        throw p;
      }
      return fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    } catch (Exception e) {
      return fail(e.getClass().getSimpleName() + ": " + e.getMessage());
    } finally {
      out.flush();
    }
  }

  /** Warnings and notes for a person: on standard error, so that standard output stays data. */
  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  private int fail(String message) {
    err().println("qat " + spec.name() + ": " + CliFailure.oneLine(message));
    return 1;
  }
}
