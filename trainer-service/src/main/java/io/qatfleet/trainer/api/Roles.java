package io.qatfleet.trainer.api;

/**
 * The roles of the job API, taken from the token's {@code groups} claim. A {@value #SUBMITTER}
 * submits jobs and sees its own; an {@value #OPERATOR} may do everything, sees every job and may
 * submit for any model name. Any other role is refused (403).
 */
public final class Roles {

  /**
   * Submits jobs ({@code POST /jobs}) and reads its own ({@code GET /jobs}, {@code /jobs/{id}}).
   */
  public static final String SUBMITTER = "submitter";

  /** Runs the fleet: every job, every model name. */
  public static final String OPERATOR = "operator";

  private Roles() {}
}
