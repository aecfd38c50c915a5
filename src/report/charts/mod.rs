//! Charts of one scenario's outputs, as PNG and SVG, drawn with plotters.
//!
//! Each chart is a [`Chart`]: it draws itself on any plotters backend, and [`render`]
//! draws it twice, into `charts/<stem>.png` and `charts/<stem>.svg`. Text is set in the
//! DejaVu Sans font compiled into the binary (registered once as `sans-serif`), so
//! charts look the same on every machine and need no fontconfig.

use super::OutputDir;
use std::io;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

pub mod data;
mod data_tier;
mod errors;
mod fit;
mod memory;
mod plan;
mod series;
mod survival;
mod sweep;
mod variants;

pub use data::ReportData;
pub use fit::FitChart;

/// DejaVu Sans (Bitstream Vera licence: `assets/fonts/LICENSE-DejaVu.txt`).
static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// The font family every chart uses.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font; plotters' font table is global, so this runs once.
pub fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The font is compiled in and known to parse; a failure here is a build defect.
        plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("embedded DejaVu Sans does not parse"));
    });
}

/// Title size, px.
pub const TITLE: u32 = 24;
/// Panel caption size, px.
pub const CAPTION: u32 = 18;
/// Axis description size, px.
pub const AXIS: u32 = 16;
/// Tick label and legend size, px.
pub const LABEL: u32 = 14;

/// Variant colours: the Tableau 10 palette without its green and red, which the tables
/// and kill marks use for "better" and "killed" (a variant drawn green would read as an
/// improvement whatever it did).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of variant `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// The colour of an OOM kill mark.
pub const KILL: RGBColor = RGBColor(200, 0, 0);
/// The colour of a limit line.
pub const LIMIT: RGBColor = RGBColor(0, 0, 0);

/// A chart's drawing failed.
pub type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A chart that draws itself on any backend.
pub trait Chart {
    /// File name without extension.
    fn stem(&self) -> String;
    /// Title, also the report's heading for it.
    fn title(&self) -> String;
    /// What it shows and how to read it, for the report.
    fn caption(&self) -> String;
    /// Size in px.
    fn size(&self) -> (u32, u32);
    /// Draws on `root` (already white, the title drawn above it).
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// A chart as written.
#[derive(Clone, Debug)]
pub struct Rendered {
    /// File name without extension (`charts/<stem>.png|svg`).
    pub stem: String,
    /// Title.
    pub title: String,
    /// How to read it.
    pub caption: String,
    /// The SVG text, for inlining.
    pub svg: String,
}

fn draw_with_title<DB: DrawingBackend, C: Chart>(
    chart: &C,
    root: DrawingArea<DB, Shift>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    let (top, body) = root.split_vertically(TITLE + 20);
    let (w, _) = top.dim_in_pixel();
    top.draw(&Text::new(
        chart.title(),
        (w as i32 / 2, 10),
        (FAMILY, TITLE)
            .into_font()
            .color(&BLACK)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    chart.draw(&body)?;
    root.present()
}

/// Draws `chart` into `charts/<stem>.png` and `charts/<stem>.svg` of `dir`.
pub fn render<C: Chart>(chart: &C, dir: &OutputDir) -> io::Result<Rendered> {
    register_font();
    let stem = chart.stem();
    let size = chart.size();
    let err = |e: String| io::Error::other(format!("chart {stem}: {e}"));
    let mut svg = String::new();
    draw_with_title(
        chart,
        SVGBackend::with_string(&mut svg, size).into_drawing_area(),
    )
    .map_err(|e| err(e.to_string()))?;
    dir.write(&format!("charts/{stem}.svg"), svg.as_bytes())?;
    let png = dir.file(&format!("charts/{stem}.png"))?;
    draw_with_title(chart, BitMapBackend::new(&png, size).into_drawing_area())
        .map_err(|e| err(e.to_string()))?;
    Ok(Rendered {
        title: chart.title(),
        caption: chart.caption(),
        stem,
        svg,
    })
}

/// Draws every chart `data` supports into `charts/` of `dir`.
pub fn render_all(data: &ReportData, dir: &OutputDir) -> io::Result<Vec<Rendered>> {
    let mut out = Vec::new();
    for c in &data.memory {
        out.push(render(&memory::MemoryChart::new(data, c), dir)?);
    }
    if !data.slo.is_empty() {
        out.push(render(&errors::ErrorsChart::new(data), dir)?);
    }
    if data.ttfo.iter().any(|t| !t.times.is_empty()) {
        out.push(render(&survival::SurvivalChart::new(data), dir)?);
    }
    if data.charted.len() > 1 {
        out.push(render(&variants::VariantsChart::new(data), dir)?);
    }
    for g in &data.sweeps {
        out.push(render(&sweep::SweepChart::new(g), dir)?);
    }
    for p in &data.plans {
        out.push(render(&plan::PlanChart::new(p), dir)?);
    }
    // The data tier's charts read redis.csv and the summary from the staged folder.
    for c in data_tier::charts(data, dir.path())? {
        out.push(render(&c, dir)?);
    }
    Ok(out)
}

/// What a legend entry looks like.
#[derive(Copy, Clone, Debug)]
pub enum Swatch {
    /// A line of this colour and width.
    Line(RGBColor, u32),
    /// A dashed line of this colour and width.
    Dashed(RGBColor, u32),
    /// A translucent band.
    Band(RGBColor),
    /// An × mark.
    Cross(RGBColor),
    /// A ▲ mark.
    Triangle(RGBColor),
    /// A filled dot.
    Dot(RGBColor),
    /// A filled ◆.
    Diamond(RGBColor),
}

/// Height of one legend row, px.
pub const LEGEND_ROW: u32 = 26;

fn legend_width(label: &str) -> i32 {
    // DejaVu Sans at 14 px averages under 8 px a character.
    34 + 8 * label.chars().count() as i32 + 18
}

/// The legend's rows (indices into `items`) within `width` px.
pub fn legend_rows(items: &[(Swatch, String)], width: u32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = Vec::new();
    let mut used = 0;
    for (i, (_, label)) in items.iter().enumerate() {
        let w = legend_width(label);
        if rows.is_empty() || used + w > width as i32 - 40 {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        if let Some(r) = rows.last_mut() {
            r.push(i);
        }
    }
    rows
}

/// The height a legend of `items` needs in a chart `width` px wide.
pub fn legend_height(items: &[(Swatch, String)], width: u32) -> u32 {
    LEGEND_ROW * legend_rows(items, width).len() as u32 + 6
}

/// Draws a legend of `items` in rows across the top of `area`; returns the area below.
pub fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Swatch, String)],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (w, _) = area.dim_in_pixel();
    let (top, rest) = area.split_vertically(legend_height(items, w));
    for (r, row) in legend_rows(items, w).iter().enumerate() {
        let total: i32 = row.iter().map(|&i| legend_width(&items[i].1)).sum();
        let mut x = (w as i32 - total).max(0) / 2;
        let y = r as i32 * LEGEND_ROW as i32 + LEGEND_ROW as i32 / 2;
        for &i in row {
            let (swatch, label) = &items[i];
            match *swatch {
                Swatch::Line(c, width) => top.draw(&PathElement::new(
                    vec![(x, y), (x + 26, y)],
                    c.stroke_width(width),
                ))?,
                Swatch::Dashed(c, width) => {
                    for k in 0..3 {
                        let x0 = x + k * 10;
                        top.draw(&PathElement::new(
                            vec![(x0, y), (x0 + 6, y)],
                            c.stroke_width(width),
                        ))?;
                    }
                }
                Swatch::Band(c) => top.draw(&Rectangle::new(
                    [(x, y - 7), (x + 26, y + 7)],
                    c.mix(0.3).filled(),
                ))?,
                Swatch::Cross(c) => top.draw(&Cross::new((x + 13, y), 6, c.stroke_width(2)))?,
                Swatch::Triangle(c) => {
                    top.draw(&TriangleMarker::new((x + 13, y), 6, c.filled()))?
                }
                Swatch::Dot(c) => top.draw(&Circle::new((x + 13, y), 5, c.filled()))?,
                Swatch::Diamond(c) => top.draw(&Polygon::new(
                    vec![(x + 13, y - 6), (x + 19, y), (x + 13, y + 6), (x + 7, y)],
                    c.filled(),
                ))?,
            }
            top.draw(&Text::new(
                label.clone(),
                (x + 34, y),
                (FAMILY, LABEL)
                    .into_font()
                    .color(&BLACK)
                    .pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += legend_width(label);
        }
    }
    Ok(rest)
}

/// A tick label: whole numbers without decimals.
pub fn tick(x: f64) -> String {
    if (x - x.round()).abs() < 1e-9 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// A time axis: seconds up to five minutes, minutes up to six hours, hours beyond.
#[derive(Copy, Clone, Debug)]
pub struct TimeAxis {
    /// Seconds per unit.
    pub per: f64,
    /// Unit name for the axis description.
    pub unit: &'static str,
}

impl TimeAxis {
    /// The axis for runs of `duration_s`.
    pub fn for_duration(duration_s: f64) -> Self {
        if duration_s <= 300.0 {
            TimeAxis {
                per: 1.0,
                unit: "seconds",
            }
        } else if duration_s <= 6.0 * 3600.0 {
            TimeAxis {
                per: 60.0,
                unit: "minutes",
            }
        } else {
            TimeAxis {
                per: 3600.0,
                unit: "hours",
            }
        }
    }

    /// Seconds in this axis' unit.
    pub fn at(&self, seconds: f64) -> f64 {
        seconds / self.per
    }

    /// The axis description.
    pub fn desc(&self) -> String {
        format!("simulated time ({})", self.unit)
    }
}

/// `1h58m`, `4m12s`: seconds for people.
pub fn human_secs(s: f64) -> String {
    crate::report::human_time(crate::engine::SimTime::from_nanos(
        (s.max(0.0) * 1e9) as u64,
    ))
}

/// A short form of a long name for tight places (`B-sidecar-memory-and-flush` stays,
/// `a/very/long/value/path` keeps its tail).
pub fn shorten(s: &str, max: usize) -> String {
    let n = s.chars().count();
    if n <= max {
        s.to_string()
    } else {
        let tail: String = s.chars().skip(n - (max - 1)).collect();
        format!("…{tail}")
    }
}
