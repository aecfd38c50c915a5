//! 503s by response flag over time against the SLO, and the error-budget burn, one row
//! of two panels per variant.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{ReportData, SloPanel};
use super::{
    AXIS, CAPTION, Chart, DrawResult, FAMILY, LABEL, Swatch, TimeAxis, legend, legend_height, tick,
};

/// Envoy's response flags, in `SloPanel::ratio` order, with their colours.
const FLAGS: [(&str, RGBColor); 4] = [
    ("UH (no healthy upstream)", RGBColor(214, 39, 40)),
    ("UF (connection failure)", RGBColor(255, 127, 14)),
    ("UC (connection reset)", RGBColor(148, 103, 189)),
    ("NR (no route)", RGBColor(31, 119, 180)),
];

/// The burn at which a fast-burn page fires: 2 % of a 30-day budget in one hour (the
/// Google SRE workbook's multiwindow, multi-burn-rate alerts).
pub const PAGE_BURN: f64 = 14.4;

/// Smallest 503 ratio drawn (0.0001 %).
const RATIO_FLOOR: f64 = 1e-6;
/// Smallest burn drawn (a quiet interval sits on it).
const BURN_FLOOR: f64 = 0.01;

/// The 503s-and-burn chart of a scenario.
pub struct ErrorsChart<'a> {
    report: &'a ReportData,
    axis: TimeAxis,
}

impl<'a> ErrorsChart<'a> {
    /// The chart of `report`.
    pub fn new(report: &'a ReportData) -> Self {
        ErrorsChart {
            report,
            axis: TimeAxis::for_duration(report.duration_s()),
        }
    }
}

const ROW: u32 = 280;
const WIDTH: u32 = 1200;
// Burn rates in colours no response flag uses (NR is blue, UF orange): one colour, one
// meaning across the chart.
const BURN_5M: RGBColor = RGBColor(23, 190, 207);
const BURN_1H: RGBColor = RGBColor(140, 86, 75);
const ONE: RGBColor = RGBColor(120, 120, 120);
const PAGE: RGBColor = RGBColor(214, 39, 40);

fn items() -> Vec<(Swatch, String)> {
    let mut v: Vec<(Swatch, String)> = FLAGS
        .iter()
        .map(|(name, c)| (Swatch::Line(*c, 2), (*name).to_string()))
        .collect();
    v.push((Swatch::Dashed(BLACK, 2), "error budget (1 − SLO)".into()));
    v.push((Swatch::Line(BURN_5M, 1), "5m burn".into()));
    v.push((Swatch::Line(BURN_1H, 2), "1h burn".into()));
    v.push((Swatch::Dashed(ONE, 1), "1× (budget spent exactly)".into()));
    v.push((Swatch::Dashed(PAGE, 1), "14.4× (fast-burn page)".into()));
    v
}

impl Chart for ErrorsChart<'_> {
    fn stem(&self) -> String {
        "errors".to_string()
    }

    fn title(&self) -> String {
        format!(
            "{}: 503s by flag and error-budget burn",
            self.report.meta.scenario
        )
    }

    fn caption(&self) -> String {
        "Left: share of requests answered 503, by Envoy response flag (log scale), pooled \
         over the replicas with time series; the dashed line is the error budget (1 − SLO \
         target). Right: the peak 5-minute and 1-hour burn rates (1× spends the budget \
         exactly over the SLO window; 14.4× is the usual fast-burn page)."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        let rows = ROW * self.report.slo.len().max(1) as u32;
        (WIDTH, 44 + legend_height(&items(), WIDTH) + rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = legend(root, &items())?;
        let rows = body.split_evenly((self.report.slo.len().max(1), 1));
        for (row, panel) in rows.iter().zip(&self.report.slo) {
            let (left, right) = row.split_horizontally(620);
            let target = self
                .report
                .meta
                .variant_index(&panel.variant)
                .map_or(0.999, |v| self.report.meta.variants[v].slo_target);
            self.ratio_panel(&left, panel, target)?;
            self.burn_panel(&right, panel)?;
        }
        Ok(())
    }
}

/// The runs of consecutive points at or above `floor`, so a log axis never meets zero.
fn runs(time: &[f64], ys: &[f64], floor: f64, ax: TimeAxis) -> Vec<Vec<(f64, f64)>> {
    let mut out: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut cur = Vec::new();
    for (&t, &y) in time.iter().zip(ys) {
        if y >= floor {
            cur.push((ax.at(t), y));
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

impl ErrorsChart<'_> {
    fn x_max(&self) -> f64 {
        self.axis.at(self.report.duration_s()).max(1e-9)
    }

    fn ratio_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &SloPanel,
        target: f64,
    ) -> DrawResult<DB> {
        let ax = self.axis;
        let caption = format!("{} — 503 share ({} replicas pooled)", p.variant, p.replicas);
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FAMILY, CAPTION))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..self.x_max(), (RATIO_FLOOR..1.0).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(ax.desc())
            .y_desc("503s (% of requests)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| percent(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let budget = (1.0 - target).max(RATIO_FLOOR);
        chart.draw_series(DashedLineSeries::new(
            [(0.0, budget), (self.x_max(), budget)],
            8,
            5,
            BLACK.stroke_width(2),
        ))?;
        let mut any = false;
        for (i, (_, colour)) in FLAGS.iter().enumerate() {
            let segs = runs(&p.time_s, &p.ratio[i], RATIO_FLOOR, ax);
            any |= !segs.is_empty();
            for seg in segs {
                // A burst shorter than a bucket is a single point: mark every point.
                chart.draw_series(seg.iter().map(|&pt| Circle::new(pt, 2, colour.filled())))?;
                chart.draw_series(LineSeries::new(seg, colour.stroke_width(2)))?;
            }
        }
        if !any {
            let (w, h) = area.dim_in_pixel();
            area.draw(&Text::new(
                "no 503s",
                (w as i32 / 2, h as i32 / 3),
                (FAMILY, CAPTION)
                    .into_font()
                    .color(&RGBColor(90, 90, 90))
                    .pos(Pos::new(HPos::Center, VPos::Center)),
            ))?;
        }
        Ok(())
    }

    fn burn_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &SloPanel,
    ) -> DrawResult<DB> {
        let ax = self.axis;
        let top = p
            .burn_5m
            .iter()
            .chain(&p.burn_1h)
            .fold(PAGE_BURN * 2.0, |m, &v| m.max(v * 2.0));
        let mut chart = ChartBuilder::on(area)
            .caption(format!("{} — burn rate", p.variant), (FAMILY, CAPTION))
            .margin(8)
            .margin_right(20)
            .x_label_area_size(44)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..self.x_max(), (BURN_FLOOR..top).log_scale())?;
        chart
            .configure_mesh()
            .x_desc(ax.desc())
            .y_desc("burn (× budget rate)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| format!("{y}×"))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (level, style) in [
            (1.0, ONE.stroke_width(1)),
            (PAGE_BURN, PAGE.stroke_width(1)),
        ] {
            chart.draw_series(DashedLineSeries::new(
                [(0.0, level), (self.x_max(), level)],
                6,
                4,
                style,
            ))?;
        }
        // Burn is continuous: a quiet bucket sits on the floor rather than breaking the line.
        for (ys, colour, width) in [(&p.burn_5m, BURN_5M, 1), (&p.burn_1h, BURN_1H, 2)] {
            chart.draw_series(LineSeries::new(
                p.time_s
                    .iter()
                    .zip(ys.iter())
                    .map(|(&t, &y)| (ax.at(t), y.max(BURN_FLOOR))),
                colour.stroke_width(width),
            ))?;
        }
        Ok(())
    }
}

/// A fraction as a percentage with as many digits as it needs.
pub fn percent(y: f64) -> String {
    let pct = y * 100.0;
    if pct >= 1.0 {
        format!("{pct:.0}%")
    } else {
        let digits = (-pct.log10()).ceil().max(1.0) as usize;
        format!("{pct:.digits$}%")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn percentages_keep_their_significant_digit() {
        assert_eq!(super::percent(0.5), "50%");
        assert_eq!(super::percent(0.001), "0.1%");
        assert_eq!(super::percent(0.00001), "0.001%");
    }
}
