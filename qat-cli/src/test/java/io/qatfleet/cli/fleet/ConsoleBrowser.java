package io.qatfleet.cli.fleet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The trainer's web console in a real headless browser: Debian's {@code chromium} driven through
 * its {@code chromedriver} (both from {@code scripts/install-browser.sh}; other paths with {@code
 * -Dqat.chromium=...} and {@code -Dqat.chromedriver=...}). Selenium is given the driver, so it
 * never tries to download one.
 */
final class ConsoleBrowser implements AutoCloseable {

  static final Path CHROMIUM = Path.of(System.getProperty("qat.chromium", "/usr/bin/chromium"));
  static final Path CHROMEDRIVER =
      Path.of(System.getProperty("qat.chromedriver", "/usr/bin/chromedriver"));

  /** How long a read of a row may retry while the page redraws it. */
  private static final Duration SETTLE = Duration.ofSeconds(10);

  private final WebDriver driver;

  private ConsoleBrowser(WebDriver driver) {
    this.driver = driver;
  }

  /** A headless browser showing {@code trainerUrl}'s console, signed out. */
  static ConsoleBrowser open(String trainerUrl) {
    for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException(
            p
                + " is missing: install Debian's chromium and chromium-driver"
                + " (scripts/install-browser.sh, which ./qat test runs)");
      }
    }
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox", // CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1900");
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    WebDriver driver = new ChromeDriver(service, options);
    driver.get(trainerUrl + "/console/");
    return new ConsoleBrowser(driver);
  }

  String title() {
    return driver.getTitle();
  }

  /** Pastes {@code token} into the sign-in form and waits until the event stream is live. */
  void signIn(String token, Duration timeout) {
    driver.findElement(By.id("token")).sendKeys(token);
    driver.findElement(By.cssSelector("#login-form button")).click();
    until(timeout, d -> d.findElement(By.id("connection")).getText().equals("live"));
  }

  /** The row of {@code jobId} in the jobs table, once it appears. */
  WebElement awaitJob(String jobId, Duration timeout) {
    return until(timeout, d -> row(jobId).orElse(null));
  }

  /** Waits until the row of {@code jobId} shows {@code stage}. */
  void awaitStage(String jobId, String stage, Duration timeout) {
    until(timeout, d -> row(jobId).map(r -> stage.equals(cell(r, "stage"))).orElse(false));
  }

  /** The text of the cell of {@code jobId}'s row with class {@code column}. */
  String cell(String jobId, String column) {
    // The page redraws a row on every update: read it again when it went stale under us.
    return until(SETTLE, d -> row(jobId).map(r -> cell(r, column)).orElse(null));
  }

  /** The {@code title} of that cell. */
  String cellTitle(String jobId, String column) {
    return until(
            SETTLE,
            d ->
                row(jobId)
                    .map(
                        r ->
                            Optional.ofNullable(
                                r.findElement(By.className(column)).getDomAttribute("title")))
                    .orElse(null))
        .orElse(null);
  }

  /** Opens a job's details and waits until its rounds are drawn with a confusion matrix. */
  void openJob(String jobId, Duration timeout) {
    row(jobId).orElseThrow().click();
    until(timeout, d -> !d.findElements(By.cssSelector("#confusion table.cm")).isEmpty());
  }

  String text(String cssSelector) {
    return driver.findElement(By.cssSelector(cssSelector)).getText();
  }

  int count(String cssSelector) {
    return driver.findElements(By.cssSelector(cssSelector)).size();
  }

  Object script(String js) {
    return ((JavascriptExecutor) driver).executeScript(js);
  }

  /** A PNG of the window, written to {@code file}. */
  void screenshot(Path file) throws Exception {
    Path shot = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE).toPath();
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.copy(shot, file, StandardCopyOption.REPLACE_EXISTING);
  }

  private Optional<WebElement> row(String jobId) {
    return driver.findElements(By.cssSelector("#jobs tbody tr")).stream()
        .filter(r -> jobId.equals(r.getDomAttribute("data-job-id")))
        .findFirst();
  }

  private static String cell(WebElement row, String column) {
    return row.findElement(By.className(column)).getText();
  }

  private <T> T until(Duration timeout, java.util.function.Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, timeout, Duration.ofMillis(250))
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(condition::apply);
  }

  @Override
  public void close() {
    driver.quit();
  }
}
