//! The plan curve: each candidate limit against its probability of an OOM kill within
//! the horizon, with the risk line, the chosen limit and the VPA-style recommendation.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::PlanCurve;
use super::errors::percent;
use super::{AXIS, Chart, DrawResult, FAMILY, Swatch, human_secs, legend, legend_height, tick};

/// Smallest probability drawn (0.01 %); a candidate with no OOM kill sits on it.
const FLOOR: f64 = 1e-4;

/// The plan chart of one `plan-*.csv`.
pub struct PlanChart<'a> {
    plan: &'a PlanCurve,
}

impl<'a> PlanChart<'a> {
    /// The chart of `plan`.
    pub fn new(plan: &'a PlanCurve) -> Self {
        PlanChart { plan }
    }
}

const PASS: RGBColor = RGBColor(44, 160, 44);
const FAIL: RGBColor = RGBColor(214, 39, 40);
const UNSURE: RGBColor = RGBColor(127, 127, 127);
const VPA: RGBColor = RGBColor(148, 103, 189);

const WIDTH: u32 = 1100;
const CHOSEN: RGBColor = RGBColor(120, 190, 120);

impl PlanChart<'_> {
    fn items(&self) -> Vec<(Swatch, String)> {
        let mut v = vec![(
            Swatch::Dashed(BLACK, 2),
            format!("risk {}", percent(self.plan.risk)),
        )];
        if let Some(ch) = self.plan.candidates.iter().find(|p| p.chosen) {
            v.push((
                Swatch::Dashed(CHOSEN, 2),
                format!("chosen limit {:.0} MiB", ch.limit_mib),
            ));
        }
        v.push((Swatch::Dot(PASS), "meets the risk".into()));
        v.push((Swatch::Dot(FAIL), "fails it".into()));
        v.push((Swatch::Dot(UNSURE), "undecided".into()));
        if let Some(r) = self.plan.candidates.iter().find(|p| p.vpa) {
            v.push((
                Swatch::Triangle(VPA),
                format!("VPA-style p90 + 15 %: {:.0} MiB", r.limit_mib),
            ));
        }
        v
    }
}

impl Chart for PlanChart<'_> {
    fn stem(&self) -> String {
        format!("plan-{}", self.plan.target)
    }

    fn title(&self) -> String {
        format!(
            "plan {}: P(OOM within {}) by memory limit",
            self.plan.container,
            human_secs(self.plan.within_s as f64)
        )
    }

    fn caption(&self) -> String {
        "Each candidate limit the planner simulated, with the share of runs that had an OOM \
         kill of the container within the horizon and its Wilson 95 % interval (log scale; \
         candidates without any kill sit on the floor). Green meets the risk at 95 % \
         confidence, red fails it, grey could not be told apart; the vertical line is the \
         chosen limit and ▲ the VPA-style recommendation (p90 + 15 %)."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 560 + legend_height(&self.items(), WIDTH))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let root = &legend(root, &self.items())?;
        let c = &self.plan.candidates;
        let lo = c.iter().map(|p| p.limit_mib).fold(f64::INFINITY, f64::min);
        let hi = c.iter().map(|p| p.limit_mib).fold(0.0f64, f64::max);
        let pad = ((hi - lo) * 0.06).max(8.0);
        let (x0, x1) = if lo.is_finite() {
            ((lo - pad).max(0.0), hi + pad)
        } else {
            (0.0, 1.0)
        };
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(48)
            .y_label_area_size(90)
            .build_cartesian_2d(x0..x1, (FLOOR * 0.8..1.2).log_scale())?;
        chart
            .configure_mesh()
            .x_desc("memory limit (MiB)")
            .y_desc("P(OOM kill within horizon)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, super::LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| percent(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        let risk = self.plan.risk.max(FLOOR);
        if let Some(ch) = c.iter().find(|p| p.chosen) {
            chart.draw_series(DashedLineSeries::new(
                [(ch.limit_mib, FLOOR * 0.8), (ch.limit_mib, 1.2)],
                6,
                6,
                CHOSEN.stroke_width(2),
            ))?;
        }
        chart.draw_series(DashedLineSeries::new(
            [(x0, risk), (x1, risk)],
            8,
            5,
            BLACK.stroke_width(2),
        ))?;
        for p in c {
            let colour = if p.vpa {
                VPA
            } else {
                match p.verdict.as_str() {
                    "pass" => PASS,
                    "fail" => FAIL,
                    _ => UNSURE,
                }
            };
            let (lo, hi) = (p.p_oom.lo.max(FLOOR), p.p_oom.hi.max(FLOOR));
            let whisker = colour.stroke_width(3);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(p.limit_mib, lo), (p.limit_mib, hi)],
                whisker,
            )))?;
            let at = (p.limit_mib, p.p_oom.mean.max(FLOOR));
            if p.vpa {
                chart.draw_series(std::iter::once(TriangleMarker::new(at, 9, colour.filled())))?;
            } else if p.p_oom.mean > 0.0 {
                chart.draw_series(std::iter::once(Circle::new(at, 5, colour.filled())))?;
            } else {
                chart.draw_series(std::iter::once(Circle::new(at, 5, colour.stroke_width(2))))?;
            }
        }
        Ok(())
    }
}
