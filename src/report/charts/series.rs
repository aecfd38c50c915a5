//! A grid of line panels — one row per variant, a few panels per row — for time series
//! read from the output's CSV files (the data tier's charts).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS, CAPTION, Chart, DrawResult, FAMILY, LABEL, Swatch, TimeAxis, legend, legend_height, tick,
};

/// One line.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Colour.
    pub colour: RGBColor,
    /// Dashed (a limit, a threshold).
    pub dashed: bool,
    /// (seconds, value).
    pub points: Vec<(f64, f64)>,
}

/// One panel: its caption, its y axis, its lines.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Caption above the panel.
    pub caption: String,
    /// Y axis description.
    pub y_desc: String,
    /// Lines.
    pub series: Vec<Series>,
}

/// A chart of rows of panels sharing a time axis.
pub struct SeriesChart {
    /// File stem.
    pub stem: String,
    /// Title.
    pub title: String,
    /// How to read it.
    pub caption: String,
    /// Run length, seconds.
    pub duration_s: f64,
    /// Rows (one per variant), each with the same panels.
    pub rows: Vec<Vec<Panel>>,
}

const ROW: u32 = 260;
const WIDTH: u32 = 1200;

impl SeriesChart {
    fn items(&self) -> Vec<(Swatch, String)> {
        let mut seen: Vec<(Swatch, String)> = Vec::new();
        for s in self.rows.iter().flatten().flat_map(|p| &p.series) {
            if !seen.iter().any(|(_, l)| *l == s.label) {
                let sw = if s.dashed {
                    Swatch::Dashed(s.colour, 2)
                } else {
                    Swatch::Line(s.colour, 2)
                };
                seen.push((sw, s.label.clone()));
            }
        }
        seen
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        p: &Panel,
    ) -> DrawResult<DB> {
        let ax = TimeAxis::for_duration(self.duration_s);
        let x_max = ax.at(self.duration_s).max(1e-9);
        let top = p
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|q| q.1))
            .fold(0.0f64, f64::max);
        let y_max = if top > 0.0 { top * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .caption(&p.caption, (FAMILY, CAPTION))
            .margin(8)
            .margin_right(16)
            .x_label_area_size(44)
            .y_label_area_size(76)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)?;
        chart
            .configure_mesh()
            .x_desc(ax.desc())
            .y_desc(p.y_desc.as_str())
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&|x| tick(*x))
            .y_label_formatter(&|y| short(*y))
            .light_line_style(WHITE.mix(0.0))
            .draw()?;
        for s in &p.series {
            let pts: Vec<(f64, f64)> = s.points.iter().map(|&(t, y)| (ax.at(t), y)).collect();
            if s.dashed {
                chart.draw_series(DashedLineSeries::new(pts, 8, 5, s.colour.stroke_width(2)))?;
            } else {
                chart.draw_series(LineSeries::new(pts, s.colour.stroke_width(2)))?;
            }
        }
        Ok(())
    }
}

/// A number for an axis: 1.2k, 3.4M, 0.05.
fn short(y: f64) -> String {
    let a = y.abs();
    if a >= 1e9 {
        format!("{:.1}G", y / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", y / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", y / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{y:.0}")
    } else if a >= 0.1 {
        format!("{y:.2}")
    } else {
        format!("{y:.3}")
    }
}

impl Chart for SeriesChart {
    fn stem(&self) -> String {
        self.stem.clone()
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn caption(&self) -> String {
        self.caption.clone()
    }

    fn size(&self) -> (u32, u32) {
        let rows = ROW * self.rows.len().max(1) as u32;
        (WIDTH, 44 + legend_height(&self.items(), WIDTH) + rows)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let body = legend(root, &self.items())?;
        let rows = body.split_evenly((self.rows.len().max(1), 1));
        for (area, panels) in rows.iter().zip(&self.rows) {
            let cols = area.split_evenly((1, panels.len().max(1)));
            for (a, p) in cols.iter().zip(panels) {
                self.panel(a, p)?;
            }
        }
        Ok(())
    }
}
