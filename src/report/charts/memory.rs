//! Memory against the limit over time, one panel per variant: the median and p5–p95 band
//! of the peak working set across replicas, one representative replica, its limit, its
//! OOM kills and restarts.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::data::{ContainerMemory, MemoryPanel, ReportData};
use super::{
    AXIS, CAPTION, Chart, DrawResult, FAMILY, KILL, LABEL, LIMIT, Swatch, TimeAxis, colour, legend,
    legend_height, tick,
};

/// One container's memory chart.
pub struct MemoryChart<'a> {
    data: &'a ContainerMemory,
    axis: TimeAxis,
    duration_s: f64,
    colours: Vec<usize>,
}

impl<'a> MemoryChart<'a> {
    /// The chart of `container` in `report`.
    pub fn new(report: &ReportData, container: &'a ContainerMemory) -> Self {
        let duration_s = report.duration_s();
        let colours = container
            .panels
            .iter()
            .map(|p| report.meta.variant_index(&p.variant).unwrap_or(0))
            .collect();
        MemoryChart {
            data: container,
            axis: TimeAxis::for_duration(duration_s),
            duration_s,
            colours,
        }
    }
}

const PANEL: u32 = 300;
/// The mark of a kill decided by the pod's or node's memory.
const OUTSIDE: RGBColor = RGBColor(230, 120, 0);
/// Most OOM-kill marks drawn in one panel (of each kind).
const MAX_KILL_MARKS: usize = 60;
const WIDTH: u32 = 1100;
const GREY: RGBColor = RGBColor(110, 110, 110);
const DARK: RGBColor = RGBColor(60, 60, 60);

fn items() -> Vec<(Swatch, String)> {
    vec![
        (Swatch::Band(GREY), "p5–p95 of replicas".into()),
        (Swatch::Line(GREY, 3), "median of replicas".into()),
        (Swatch::Line(DARK, 1), "representative replica".into()),
        (Swatch::Dashed(LIMIT, 2), "its container limit".into()),
        (Swatch::Cross(KILL), "its OOM kills at its limit".into()),
        (
            Swatch::Diamond(OUTSIDE),
            "killed as the pod or node ran out".into(),
        ),
        (Swatch::Triangle(DARK), "its restarts".into()),
    ]
}

impl Chart for MemoryChart<'_> {
    fn stem(&self) -> String {
        format!("memory-{}-{}", self.data.workload, self.data.container)
    }

    fn title(&self) -> String {
        format!(
            "{}/{}: working set vs limit",
            self.data.workload, self.data.container
        )
    }

    fn caption(&self) -> String {
        "Peak working set per time bucket (of all the workload's pods). The band is p5–p95 \
         and the thick line the median across every replica; the thin line is one \
         representative replica (the one whose first OOM kill is the median), with its \
         container limit (dashed), its OOM kills where its working set peaked — red × when \
         its own limit ran out, orange ◆ when the pod's or the node's memory ran out (below \
         its limit; events.csv names the cgroup); when kills are dense one mark stands for \
         a run of them — and restarts (▲ on the time axis)."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        let panels = PANEL * self.data.panels.len().max(1) as u32;
        (WIDTH, 44 + legend_height(&items(), WIDTH) + panels)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = legend(root, &items())?;
        let panels = body.split_evenly((self.data.panels.len().max(1), 1));
        for ((area, panel), &c) in panels.iter().zip(&self.data.panels).zip(&self.colours) {
            self.panel(area, panel, colour(c))?;
        }
        Ok(())
    }
}

impl MemoryChart<'_> {
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &MemoryPanel,
        colour: RGBColor,
    ) -> DrawResult<DB> {
        let ax = self.axis;
        let y_max = p
            .p95
            .iter()
            .chain(p.rep_peak.iter().map(|x| &x.1))
            .chain(p.rep_limit.iter().map(|x| &x.1))
            .fold(1.0f64, |m, &v| m.max(v))
            * 1.12;
        let x_max = ax.at(self.duration_s).max(1e-9);
        let caption = format!(
            "{} — {} OOM kills in {} replicas; representative: replica {}",
            p.variant, p.kills_total, p.replicas, p.representative
        );
        let mut chart = ChartBuilder::on(area)
            .caption(caption, (FAMILY, CAPTION))
            .margin(8)
            .margin_right(24)
            .x_label_area_size(44)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc(ax.desc())
            .y_desc("working set (MiB)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;

        // p5–p95 band.
        let band: Vec<(f64, f64)> = p
            .time_s
            .iter()
            .zip(&p.p95)
            .map(|(&t, &v)| (ax.at(t), v))
            .chain(
                p.time_s
                    .iter()
                    .zip(&p.p5)
                    .rev()
                    .map(|(&t, &v)| (ax.at(t), v)),
            )
            .collect();
        chart.draw_series(std::iter::once(Polygon::new(
            band,
            colour.mix(0.22).filled(),
        )))?;
        chart.draw_series(LineSeries::new(
            p.time_s.iter().zip(&p.p50).map(|(&t, &v)| (ax.at(t), v)),
            colour.stroke_width(3),
        ))?;
        chart.draw_series(LineSeries::new(
            p.rep_peak.iter().map(|&(t, v)| (ax.at(t), v)),
            DARK.stroke_width(1),
        ))?;
        if !p.rep_limit.is_empty() {
            chart.draw_series(DashedLineSeries::new(
                step(&p.rep_limit, self.duration_s)
                    .into_iter()
                    .map(|(t, v)| (ax.at(t), v)),
                8,
                5,
                LIMIT.stroke_width(2),
            ))?;
        }
        // A kill is marked where the replica's working set peaked in that bucket: at its
        // own limit, or below it when a pod or node cgroup ran out instead.
        let peak_at = |t: f64| p.rep_peak.iter().find(|x| x.0 == t).map_or(0.0, |x| x.1);
        // Dense kills (a crash loop) would merge into a red band: one × per group of
        // consecutive kill buckets, at the group's highest peak.
        // Kills decided by the pod's or the node's memory are drawn apart (◆, orange):
        // they happen below the container's limit, which is not what ran out.
        // A bucket may hold both kinds: it gets both marks.
        let outside_in = |t: f64| {
            p.rep_outside_kills
                .iter()
                .find(|x| x.0 == t)
                .map_or(0, |x| x.1)
        };
        let own: Vec<(f64, u32)> = p
            .rep_kills
            .iter()
            .filter(|&&(t, k)| k > outside_in(t))
            .copied()
            .collect();
        let outside = p.rep_outside_kills.clone();
        let marks = |kills: &[(f64, u32)]| -> Vec<(f64, f64)> {
            let group = kills.len().div_ceil(MAX_KILL_MARKS).max(1);
            kills
                .chunks(group)
                .map(|c| {
                    c.iter()
                        .map(|&(t, _)| (t, peak_at(t)))
                        .fold((c[0].0, 0.0f64), |a, b| if b.1 > a.1 { b } else { a })
                })
                .collect()
        };
        chart.draw_series(
            marks(&own)
                .into_iter()
                .map(|(t, peak)| Cross::new((ax.at(t), peak), 6, KILL.stroke_width(2))),
        )?;
        chart.draw_series(marks(&outside).into_iter().map(|(t, peak)| {
            EmptyElement::at((ax.at(t), peak))
                + Polygon::new(vec![(0, -6), (6, 0), (0, 6), (-6, 0)], OUTSIDE.filled())
        }))?;
        chart.draw_series(
            p.rep_restarts
                .iter()
                .map(|&(t, _)| TriangleMarker::new((ax.at(t), 0.0), 6, DARK.filled())),
        )?;
        Ok(())
    }
}

/// A step line through `(t, v)` points held until the next one (and to `end`).
fn step(points: &[(f64, f64)], end: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2 + 1);
    for (i, &(t, v)) in points.iter().enumerate() {
        if i > 0 && out.last().is_some_and(|&(_, last): &(f64, f64)| last != v) {
            out.push((t, out.last().map_or(v, |l: &(f64, f64)| l.1)));
        }
        if i == 0 || out.last().is_some_and(|&(_, last): &(f64, f64)| last != v) {
            out.push((t, v));
        }
    }
    if let Some(&(_, v)) = out.last() {
        out.push((end, v));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_limit_line_steps_at_changes_only() {
        let s = super::step(&[(0.0, 128.0), (10.0, 128.0), (20.0, 256.0)], 30.0);
        assert_eq!(
            s,
            vec![(0.0, 128.0), (20.0, 128.0), (20.0, 256.0), (30.0, 256.0)]
        );
    }
}
