//! Variants side by side: OOM kills, 503s and peak burn per run, each with its 95 %
//! confidence interval, so a mitigation's effect and its uncertainty read at a glance.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{Estimate, ReportData};
use super::{AXIS, CAPTION, Chart, DrawResult, FAMILY, LABEL, colour, shorten};

/// The variant comparison chart.
pub struct VariantsChart<'a> {
    report: &'a ReportData,
    rows: Vec<(usize, String, [Estimate; 3])>,
}

impl<'a> VariantsChart<'a> {
    /// The chart of `report`'s charted variants (scope `run` of `comparison.csv`).
    pub fn new(report: &'a ReportData) -> Self {
        let rows = report
            .charted
            .iter()
            .filter_map(|&v| {
                let name = &report.meta.variants[v].name;
                let r = report.row(name, "run")?;
                Some((
                    v,
                    name.clone(),
                    [
                        r.oom_kills,
                        r.errors_503.unwrap_or_default(),
                        r.peak_burn_1h.unwrap_or_default(),
                    ],
                ))
            })
            .collect();
        VariantsChart { report, rows }
    }
}

const METRICS: [(&str, &str); 3] = [
    ("OOM kills per run", "OOM kills per run"),
    ("503s per run", "503 responses per run"),
    ("peak 1 h burn", "peak 1-hour burn (× budget rate)"),
];

impl Chart for VariantsChart<'_> {
    fn stem(&self) -> String {
        "variants".to_string()
    }

    fn title(&self) -> String {
        format!("{}: variants compared", self.report.meta.scenario)
    }

    fn caption(&self) -> String {
        "Mean per run with its 95 % confidence interval (whiskers), for OOM kills, 503 \
         responses and the peak 1-hour error-budget burn. Variants replay the baseline's \
         random streams; comparison.csv has the paired differences."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        let n = self.rows.len().max(1) as u32;
        (1100, 44 + 3 * (n * 40 + 110))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let panels = root.split_evenly((3, 1));
        for (m, area) in panels.iter().enumerate() {
            self.panel(area, m)?;
        }
        Ok(())
    }
}

impl VariantsChart<'_> {
    fn panel<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>, m: usize) -> DrawResult<DB> {
        let n = self.rows.len();
        let x_max = self
            .rows
            .iter()
            .map(|r| r.2[m].hi.max(r.2[m].mean))
            .fold(0.0f64, f64::max);
        let x_max = if x_max > 0.0 { x_max * 1.25 } else { 1.0 };
        let names: Vec<String> = self.rows.iter().map(|r| shorten(&r.1, 28)).collect();
        let mut chart = ChartBuilder::on(area)
            .caption(METRICS[m].0, (FAMILY, CAPTION))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(230)
            .build_cartesian_2d(0.0..x_max, (0..n.max(1) as i32 - 1).into_segmented())?;
        let label = |v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if (*i as usize) < n => names[n - 1 - *i as usize].clone(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .x_desc(METRICS[m].1)
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| compact(*x))
            .y_label_formatter(&label)
            .y_labels(n.max(1))
            .disable_y_mesh()
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (k, (v, _, est)) in self.rows.iter().enumerate() {
            let y = (n - 1 - k) as i32;
            let e = est[m];
            let c = colour(*v);
            let mut bar = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(y)),
                    (e.mean, SegmentValue::Exact(y + 1)),
                ],
                c.mix(0.75).filled(),
            );
            bar.set_margin(7, 7, 0, 0);
            chart.draw_series(std::iter::once(bar))?;
            let whisker = ShapeStyle::from(&BLACK).stroke_width(2);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![
                    (e.lo, SegmentValue::CenterOf(y)),
                    (e.hi, SegmentValue::CenterOf(y)),
                ],
                whisker,
            )))?;
            for end in [e.lo, e.hi] {
                chart.draw_series(std::iter::once(
                    EmptyElement::at((end, SegmentValue::CenterOf(y)))
                        + PathElement::new(vec![(0, -8), (0, 8)], whisker),
                ))?;
            }
            chart.draw_series(std::iter::once(
                EmptyElement::at((e.hi.max(e.mean), SegmentValue::CenterOf(y)))
                    + Text::new(interval(e.mean, e.lo, e.hi), (8, -7), (FAMILY, LABEL)),
            ))?;
        }
        Ok(())
    }
}

/// A mean and its interval in one format chosen by the largest of the three, as the
/// comparison table does (`9.00 [9.00, 9.00]`, `32.4 [32.0, 32.9]`, `908 [783, 1034]`,
/// `62k [44k, 81k]`), so bars side by side read alike.
pub fn interval(mean: f64, lo: f64, hi: f64) -> String {
    let m = mean.abs().max(lo.abs()).max(hi.abs());
    let f = |x: f64| {
        if m >= 1e6 {
            format!("{:.1}M", x / 1e6)
        } else if m >= 1e4 {
            format!("{:.0}k", x / 1e3)
        } else if m >= 100.0 {
            format!("{x:.0}")
        } else if m >= 10.0 {
            format!("{x:.1}")
        } else {
            format!("{x:.2}")
        }
    };
    format!("{} [{}, {}]", f(mean), f(lo), f(hi))
}

/// `12.3`, `4.5k`, `21.7M`: numbers for tight places.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}
