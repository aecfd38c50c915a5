//! Time to the first OOM kill per variant as a survival curve: the share of runs still
//! without an OOM kill at each time (Kaplan–Meier; runs that never had one are censored
//! at their end, not counted as failing at zero).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::ReportData;
use super::{
    AXIS, Chart, DrawResult, FAMILY, LABEL, Swatch, TimeAxis, colour, human_secs, legend,
    legend_height, tick,
};
use crate::stats::km_curve;

/// The survival chart of a scenario.
pub struct SurvivalChart<'a> {
    report: &'a ReportData,
    axis: TimeAxis,
    end_s: f64,
}

impl<'a> SurvivalChart<'a> {
    /// The chart of `report`.
    pub fn new(report: &'a ReportData) -> Self {
        // Zoom to where the curves move: a quarter past the last first-OOM, not the whole
        // run (a kill 70 s into a 48 h run would otherwise be a wall at zero).
        let last = report
            .ttfo
            .iter()
            .flat_map(|t| t.times.iter().flatten())
            .fold(0.0f64, |m, &t| m.max(t));
        let end_s = if last > 0.0 {
            (last * 1.25).min(report.duration_s())
        } else {
            report.duration_s()
        };
        SurvivalChart {
            report,
            axis: TimeAxis::for_duration(end_s),
            end_s,
        }
    }
}

const WIDTH: u32 = 1100;

impl SurvivalChart<'_> {
    fn colour(&self, i: usize) -> RGBColor {
        colour(
            self.report
                .meta
                .variant_index(&self.report.ttfo[i].variant)
                .unwrap_or(i),
        )
    }

    fn items(&self) -> Vec<(Swatch, String)> {
        self.report
            .ttfo
            .iter()
            .enumerate()
            .filter(|(_, t)| !t.times.is_empty())
            .map(|(i, t)| {
                let events = t.times.iter().flatten().count();
                let median = crate::stats::km_quantile(&t.times, 0.5);
                let label = format!(
                    "{}: {}/{} runs with OOM{}",
                    t.variant,
                    events,
                    t.times.len(),
                    median.map_or_else(String::new, |m| format!(", median {}", human_secs(m)))
                );
                (Swatch::Line(self.colour(i), 3), label)
            })
            .collect()
    }
}

impl Chart for SurvivalChart<'_> {
    fn stem(&self) -> String {
        "survival".to_string()
    }

    fn title(&self) -> String {
        format!("{}: time to first OOM kill", self.report.meta.scenario)
    }

    fn caption(&self) -> String {
        let since = if self.report.ttfo.iter().any(|t| t.windowed) {
            "over time since the evaluation window's start (each variant judged from when \
             it applies)"
        } else {
            "over simulated time"
        };
        format!(
            "Share of runs without any OOM kill yet, {since} (Kaplan–Meier). A curve that \
             stays at 100 % never had an OOM kill; where a curve crosses 50 % is the median \
             time to first OOM. Runs that end without one are censored, not zero."
        )
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 520 + legend_height(&self.items(), WIDTH))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let root = &legend(root, &self.items())?;
        let ax = self.axis;
        let x_max = ax.at(self.end_s).max(1e-9);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..x_max, -2.0..102.0)?;
        chart
            .configure_mesh()
            .x_desc(if self.end_s < self.report.duration_s() {
                format!(
                    "{} — runs last {}; no first OOM later",
                    ax.desc(),
                    human_secs(self.report.duration_s())
                )
            } else {
                ax.desc()
            })
            .y_desc("runs without an OOM kill (%)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            [(0.0, 50.0), (x_max, 50.0)],
            6,
            4,
            RGBColor(150, 150, 150).stroke_width(1),
        ))?;
        let n = self.report.ttfo.len();
        for (i, t) in self.report.ttfo.iter().enumerate() {
            if t.times.is_empty() {
                continue;
            }
            let c = self.colour(i);
            let curve = km_curve(&t.times);
            let mut pts = Vec::with_capacity(curve.len() * 2 + 1);
            for (k, &(time, s)) in curve.iter().enumerate() {
                if k > 0 {
                    pts.push((ax.at(time), pts.last().map_or(100.0, |p: &(f64, f64)| p.1)));
                }
                pts.push((ax.at(time), 100.0 * s));
            }
            let last = pts.last().map_or(100.0, |p| p.1);
            pts.push((x_max, last));
            // Offset overlapping curves by a hair so each stays visible.
            let lift = (n - 1 - i) as f64 * 0.35;
            chart.draw_series(LineSeries::new(
                pts.into_iter().map(|(x, y)| (x, y + lift)),
                c.stroke_width(3),
            ))?;
        }
        Ok(())
    }
}
