//! A calibration drawn against its data: each pod's working set as `meshmem import` read
//! it (dots) and the fitted laws (lines), over the data's time, so a person sees where
//! the laws follow the data and where they do not.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS, Chart, DrawResult, FAMILY, LABEL, Swatch, TimeAxis, colour, legend, legend_height, tick,
};

/// One pod's (seconds, data bytes, fitted bytes).
pub type PodPoints = Vec<(f64, f64, f64)>;

/// What a fit chart draws.
#[derive(Clone, Debug)]
pub struct FitChart {
    /// `workload/container`.
    pub container: String,
    /// The fit's quality and laws, one line.
    pub summary: String,
    /// Per pod: its name and (seconds, data bytes, fitted bytes).
    pub pods: Vec<(String, PodPoints)>,
}

const WIDTH: u32 = 1100;
const MIB: f64 = 1048576.0;
/// Pods drawn one by one; more are folded into the last colour.
const MAX_PODS: usize = 10;

impl FitChart {
    fn items(&self) -> Vec<(Swatch, String)> {
        let mut items = vec![
            (
                Swatch::Dot(RGBColor(90, 90, 90)),
                "data (one colour per pod)".to_string(),
            ),
            (
                Swatch::Line(RGBColor(90, 90, 90), 2),
                "fitted laws".to_string(),
            ),
        ];
        items.extend(
            self.pods
                .iter()
                .take(MAX_PODS)
                .enumerate()
                .map(|(i, (p, _))| (Swatch::Line(colour(i), 3), p.clone())),
        );
        items
    }

    fn extent(&self) -> (f64, f64) {
        let all = self.pods.iter().flat_map(|p| &p.1);
        let t = all.clone().fold(0.0f64, |m, p| m.max(p.0));
        let y = all.fold(0.0f64, |m, p| m.max(p.1).max(p.2));
        (t.max(1.0), (y / MIB * 1.08).max(1.0))
    }
}

impl Chart for FitChart {
    fn stem(&self) -> String {
        format!("fit-{}", self.container.replace('/', "-"))
    }

    fn title(&self) -> String {
        format!("{}: working set, data and fitted laws", self.container)
    }

    fn caption(&self) -> String {
        format!(
            "Each pod's working set as the metrics hold it (dots) and as the fitted laws give \
             it (lines). {}",
            self.summary
        )
    }

    fn size(&self) -> (u32, u32) {
        (WIDTH, 540 + legend_height(&self.items(), WIDTH))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let root = &legend(root, &self.items())?;
        let (t_max, y_max) = self.extent();
        let ax = TimeAxis::for_duration(t_max);
        let mut chart = ChartBuilder::on(root)
            .margin(12)
            .margin_right(28)
            .x_label_area_size(48)
            .y_label_area_size(84)
            .build_cartesian_2d(0.0..ax.at(t_max), 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc(format!(
                "{} from the data's first sample",
                ax.desc().replace("simulated ", "")
            ))
            .y_desc("working set (MiB)")
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| tick(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for (i, (_, pts)) in self.pods.iter().enumerate() {
            let c = colour(i.min(MAX_PODS - 1));
            chart.draw_series(
                pts.iter()
                    .map(|p| Circle::new((ax.at(p.0), p.1 / MIB), 2, c.mix(0.45).filled())),
            )?;
        }
        for (i, (_, pts)) in self.pods.iter().enumerate() {
            let c = colour(i.min(MAX_PODS - 1));
            chart.draw_series(LineSeries::new(
                pts.iter().map(|p| (ax.at(p.0), p.2 / MIB)),
                c.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}
