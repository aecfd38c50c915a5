//! A sweep as a heatmap: the first two swept values on the axes, the probability of an
//! OOM kill in each cell (one heatmap per combination of any further swept values).

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::data::{SweepGrid, SweepPoint};
use super::{AXIS, CAPTION, Chart, DrawResult, FAMILY, LABEL, shorten};

/// Most heatmaps drawn for one sweep.
const MAX_FACETS: usize = 12;

/// The heatmap of one sweep.
pub struct SweepChart<'a> {
    grid: &'a SweepGrid,
    x: Vec<String>,
    y: Vec<String>,
    facets: Vec<Vec<String>>,
}

fn distinct(points: &[SweepPoint], axis: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in points {
        if let Some(v) = p.values.get(axis)
            && !out.contains(v)
        {
            out.push(v.clone());
        }
    }
    out
}

impl<'a> SweepChart<'a> {
    /// The chart of `grid`.
    pub fn new(grid: &'a SweepGrid) -> Self {
        let x = distinct(&grid.points, 0);
        let y = if grid.axes.len() > 1 {
            distinct(&grid.points, 1)
        } else {
            vec![String::new()]
        };
        let mut facets: Vec<Vec<String>> = Vec::new();
        for p in &grid.points {
            let rest: Vec<String> = p.values.iter().skip(2).cloned().collect();
            if !facets.contains(&rest) {
                facets.push(rest);
            }
        }
        facets.truncate(MAX_FACETS);
        SweepChart { grid, x, y, facets }
    }

    fn point(&self, facet: &[String], x: &str, y: &str) -> Option<&SweepPoint> {
        self.grid.points.iter().find(|p| {
            p.values.first().is_some_and(|v| v == x)
                && (self.grid.axes.len() < 2 || p.values[1] == y)
                && p.values.iter().skip(2).eq(facet.iter())
        })
    }
}

impl Chart for SweepChart<'_> {
    fn stem(&self) -> String {
        format!("sweep-{}", self.grid.name)
    }

    fn title(&self) -> String {
        format!("sweep {}: probability of an OOM kill", self.grid.name)
    }

    fn caption(&self) -> String {
        "Each cell is one grid point: the share of runs with at least one OOM kill, with \
         the number of runs; sweep.csv has the Wilson 95 % intervals."
            .to_string()
    }

    fn size(&self) -> (u32, u32) {
        let rows = self.y.len().max(1) as u32;
        (
            1100,
            44 + self.facets.len().max(1) as u32 * (rows * 72 + 150).max(320),
        )
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let areas = root.split_evenly((self.facets.len().max(1), 1));
        for (area, facet) in areas.iter().zip(&self.facets) {
            self.facet(area, facet)?;
        }
        Ok(())
    }
}

/// ColorBrewer's OrRd ramp from `p` = 0 (pale) to 1 (dark red).
fn heat(p: f64) -> RGBColor {
    let (a, b) = ((255.0, 247.0, 236.0), (179.0, 0.0, 0.0));
    let t = p.clamp(0.0, 1.0);
    let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

impl SweepChart<'_> {
    fn facet<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        facet: &[String],
    ) -> DrawResult<DB> {
        let (nx, ny) = (self.x.len() as i32, self.y.len() as i32);
        let caption = if facet.is_empty() {
            String::new()
        } else {
            self.grid.axes[2..]
                .iter()
                .zip(facet)
                .map(|(a, v)| format!("{} = {v}", shorten(a, 40)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let mut builder = ChartBuilder::on(area);
        builder
            .margin(8)
            .margin_right(24)
            .x_label_area_size(52)
            .y_label_area_size(130);
        if !caption.is_empty() {
            builder.caption(caption, (FAMILY, CAPTION));
        }
        let span = |n: i32| 0..(n - 1).max(1);
        let mut chart =
            builder.build_cartesian_2d(span(nx).into_segmented(), span(ny).into_segmented())?;
        let xs = &self.x;
        let ys = &self.y;
        // One value on an axis is named in the axis title, not as a tick.
        let label = |values: &[String], v: &SegmentValue<i32>| match v {
            SegmentValue::CenterOf(i) if values.len() > 1 => {
                values.get(*i as usize).cloned().unwrap_or_default()
            }
            _ => String::new(),
        };
        let x_label = |v: &SegmentValue<i32>| label(xs, v);
        let y_label = |v: &SegmentValue<i32>| label(ys, v);
        let desc = |axis: Option<&String>, values: &[String], max: usize| match axis {
            Some(a) if values.len() == 1 => format!("{} = {}", shorten(a, max), values[0]),
            Some(a) => shorten(a, max),
            None => String::new(),
        };
        let y_desc = desc(self.grid.axes.get(1), ys, 34);
        chart
            .configure_mesh()
            .x_desc(desc(self.grid.axes.first(), xs, 90))
            .y_desc(y_desc)
            .axis_desc_style((FAMILY, AXIS))
            .label_style((FAMILY, LABEL))
            .x_label_formatter(&x_label)
            .y_label_formatter(&y_label)
            .x_labels(self.x.len())
            .y_labels(self.y.len())
            .disable_mesh()
            .draw()?;
        for (i, x) in self.x.iter().enumerate() {
            for (j, y) in self.y.iter().enumerate() {
                let Some(p) = self.point(facet, x, y) else {
                    continue;
                };
                let (i, j) = (i as i32, j as i32);
                let fill = heat(p.p_oom.mean);
                // A one-value axis is one cell wide: plotters maps a one-point range to
                // the middle of the image, not of the plot (the rectangle came out with a
                // negative height), so such an axis spans 0..1 and the cell ends at the edge.
                let end = |k: i32, n: i32| {
                    if n == 1 {
                        SegmentValue::Last
                    } else {
                        SegmentValue::Exact(k + 1)
                    }
                };
                // On a one-value axis (0..1, two segments) the middle is `Exact(1)`.
                let centre = |k: i32, n: i32| {
                    if n == 1 {
                        SegmentValue::Exact(1)
                    } else {
                        SegmentValue::CenterOf(k)
                    }
                };
                let mut cell = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), SegmentValue::Exact(j)),
                        (end(i, nx), end(j, ny)),
                    ],
                    fill.filled(),
                );
                cell.set_margin(1, 1, 1, 1);
                chart.draw_series(std::iter::once(cell))?;
                let ink = if p.p_oom.mean > 0.55 { WHITE } else { BLACK };
                chart.draw_series(std::iter::once(Text::new(
                    format!("{:.0}% of {}", 100.0 * p.p_oom.mean, p.runs),
                    (centre(i, nx), centre(j, ny)),
                    (FAMILY, LABEL)
                        .into_font()
                        .color(&ink)
                        .pos(Pos::new(HPos::Center, VPos::Center)),
                )))?;
            }
        }
        Ok(())
    }
}
