package io.qatfleet.cli.report;

import io.qatfleet.core.quant.LayerSensitivity;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * Draws the report's charts with JFreeChart, headless, as PNG bytes: training loss against epochs
 * for the baseline and every QAT round, quantized accuracy per round against the float accuracy and
 * the accuracy bar, and the float and quantized confusion matrices as heatmaps. The inputs are
 * plain numbers taken from the job's events by {@link ReportWriter}.
 */
final class ReportCharts {

  static final int WIDTH = 760;
  static final int HEIGHT = 420;

  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ReportCharts() {}

  /**
   * Loss per fractional epoch of the job; one series per training run (e.g. "baseline round 0",
   * "qat round 1"), each starting where the one before ended.
   */
  static byte[] loss(Map<String, List<double[]>> curves) {
    XYSeriesCollection data = new XYSeriesCollection();
    curves.forEach(
        (name, points) -> {
          XYSeries s = new XYSeries(name, false, true);
          points.forEach(p -> s.add(p[0], p[1]));
          data.addSeries(s);
        });
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Training loss", "epoch", "loss", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = style(chart);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < data.getSeriesCount(); i++) {
      renderer.setSeriesStroke(i, new BasicStroke(2f));
    }
    plot.setRenderer(renderer);
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    return png(chart, WIDTH, HEIGHT);
  }

  /**
   * Quantized accuracy of each round (x = round) with the float accuracy and the bar a round had to
   * reach drawn as lines across the rounds; {@code bar} is NaN when accuracy has no threshold.
   */
  static byte[] accuracy(List<double[]> quantized, double floatAccuracy, double bar) {
    XYSeriesCollection data = new XYSeriesCollection();
    XYSeries q = new XYSeries("quantized accuracy");
    quantized.forEach(p -> q.add(p[0], p[1]));
    data.addSeries(q);
    double first = quantized.isEmpty() ? 0 : quantized.get(0)[0] - 0.25;
    double last = quantized.isEmpty() ? 1 : quantized.get(quantized.size() - 1)[0] + 0.25;
    if (Double.isFinite(floatAccuracy)) {
      XYSeries f = new XYSeries("float accuracy");
      f.add(first, floatAccuracy);
      f.add(last, floatAccuracy);
      data.addSeries(f);
    }
    if (Double.isFinite(bar)) {
      XYSeries t = new XYSeries("threshold");
      t.add(first, bar);
      t.add(last, bar);
      data.addSeries(t);
    }
    JFreeChart chart =
        ChartFactory.createXYLineChart(
            "Accuracy per round",
            "round",
            "accuracy",
            data,
            PlotOrientation.VERTICAL,
            true,
            false,
            false);
    XYPlot plot = style(chart);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    renderer.setSeriesPaint(0, new Color(0x1f77b4));
    renderer.setSeriesStroke(0, new BasicStroke(2.5f));
    for (int i = 1; i < data.getSeriesCount(); i++) {
      renderer.setSeriesShapesVisible(i, false);
      renderer.setSeriesStroke(
          i,
          new BasicStroke(
              2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {8f, 5f}, 0f));
    }
    if (data.getSeriesCount() > 1) {
      renderer.setSeriesPaint(1, new Color(0x2ca02c));
    }
    if (data.getSeriesCount() > 2) {
      renderer.setSeriesPaint(2, new Color(0xd62728));
    }
    plot.setRenderer(renderer);
    NumberAxis rounds = (NumberAxis) plot.getDomainAxis();
    rounds.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    ((NumberAxis) plot.getRangeAxis()).setAutoRangeIncludesZero(false);
    return png(chart, WIDTH, HEIGHT);
  }

  /**
   * Per-layer sensitivity as bars: for each layer (labelled with its name and weight bits), the
   * accuracy drop in percentage points when only that layer is quantized.
   */
  static byte[] sensitivity(List<LayerSensitivity> layers) {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    for (LayerSensitivity l : layers) {
      data.addValue(100 * l.accuracyDrop(), "accuracy drop", l.name() + " W" + l.bits());
    }
    JFreeChart chart =
        ChartFactory.createBarChart(
            "Per-layer sensitivity (only that layer quantized)",
            "layer",
            "accuracy drop (pp)",
            data,
            PlotOrientation.VERTICAL,
            false,
            false,
            false);
    chart.setBackgroundPaint(Color.WHITE);
    CategoryPlot plot = chart.getCategoryPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    BarRenderer renderer = (BarRenderer) plot.getRenderer();
    renderer.setSeriesPaint(0, new Color(0x1f77b4));
    renderer.setBarPainter(new StandardBarPainter());
    renderer.setShadowVisible(false);
    return png(chart, WIDTH, HEIGHT);
  }

  /**
   * The two matrices (rows = true class) side by side, cells shaded by count and labelled, the axes
   * by class name ({@code classNames}, by label; numbers where it has none).
   */
  static byte[] confusions(
      List<List<Integer>> floatMatrix,
      List<List<Integer>> quantizedMatrix,
      List<String> classNames) {
    int max = Math.max(1, Math.max(max(floatMatrix), max(quantizedMatrix)));
    int side = 460;
    BufferedImage image = new BufferedImage(2 * side, side, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      heatmap("Float confusion", floatMatrix, max, classNames)
          .draw(g, new Rectangle2D.Double(0, 0, side, side));
      heatmap("Quantized confusion", quantizedMatrix, max, classNames)
          .draw(g, new Rectangle2D.Double(side, 0, side, side));
    } finally {
      g.dispose();
    }
    return encode(image);
  }

  private static JFreeChart heatmap(
      String title, List<List<Integer>> matrix, int max, List<String> classNames) {
    int k = matrix.size();
    double[][] xyz = new double[3][k * k];
    for (int t = 0; t < k; t++) {
      for (int p = 0; p < k; p++) {
        int i = t * k + p;
        xyz[0][i] = p;
        xyz[1][i] = t;
        xyz[2][i] = matrix.get(t).get(p);
      }
    }
    DefaultXYZDataset data = new DefaultXYZDataset();
    data.addSeries(title, xyz);
    String[] names = new String[k];
    for (int c = 0; c < k; c++) {
      names[c] = c < classNames.size() ? classNames.get(c) : Integer.toString(c);
    }
    SymbolAxis predicted = new SymbolAxis("predicted class", names);
    SymbolAxis truth = new SymbolAxis("true class", names);
    predicted.setVerticalTickLabels(true);
    for (SymbolAxis axis : List.of(predicted, truth)) {
      axis.setGridBandsVisible(false);
      axis.setTickLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, k > 12 ? 7 : 10));
      axis.setRange(-0.5, k - 0.5);
      axis.setLowerMargin(0);
      axis.setUpperMargin(0);
    }
    truth.setInverted(true);
    XYBlockRenderer renderer = new XYBlockRenderer();
    PaintScale scale = new BlueScale(max);
    renderer.setPaintScale(scale);
    XYPlot plot = new XYPlot(data, predicted, truth, renderer);
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinesVisible(false);
    plot.setRangeGridlinesVisible(false);
    Font font = new Font(Font.SANS_SERIF, Font.PLAIN, k > 12 ? 7 : 10);
    for (int i = 0; i < k * k; i++) {
      XYTextAnnotation label =
          new XYTextAnnotation(Integer.toString((int) xyz[2][i]), xyz[0][i], xyz[1][i]);
      label.setFont(font);
      label.setPaint(xyz[2][i] > 0.55 * max ? Color.WHITE : Color.DARK_GRAY);
      plot.addAnnotation(label);
    }
    JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
    chart.setBackgroundPaint(Color.WHITE);
    NumberAxis legendAxis = new NumberAxis("count");
    legendAxis.setRange(0, max);
    PaintScaleLegend legend = new PaintScaleLegend(scale, legendAxis);
    legend.setPosition(RectangleEdge.RIGHT);
    legend.setStripWidth(10);
    legend.setMargin(4, 4, 4, 4);
    chart.addSubtitle(legend);
    return chart;
  }

  private static int max(List<List<Integer>> matrix) {
    return matrix.stream().flatMap(List::stream).mapToInt(Integer::intValue).max().orElse(0);
  }

  /** White at zero to dark blue at the largest count. */
  private record BlueScale(double upper) implements PaintScale {
    @Override
    public double getLowerBound() {
      return 0;
    }

    @Override
    public double getUpperBound() {
      return upper;
    }

    @Override
    public java.awt.Paint getPaint(double value) {
      double f = Math.max(0, Math.min(1, value / upper));
      f = Math.sqrt(f);
      return new Color(
          (int) Math.round(255 - f * (255 - 8)),
          (int) Math.round(255 - f * (255 - 48)),
          (int) Math.round(255 - f * (255 - 107)));
    }
  }

  private static XYPlot style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setDomainGridlinePaint(new Color(0xdddddd));
    plot.setRangeGridlinePaint(new Color(0xdddddd));
    return plot;
  }

  private static byte[] png(JFreeChart chart, int width, int height) {
    return encode(chart.createBufferedImage(width, height));
  }

  private static byte[] encode(BufferedImage image) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode a chart as PNG", e);
    }
    return out.toByteArray();
  }
}
