//! The debrief as one self-contained `report.html`: the verdict, the ranking, the
//! transcript, and for the chosen and the best option (replica 0) the working set of
//! every container against its limit and the 503 rate, as inline SVG.

use std::fmt::Write as _;

use super::record::DrillRecorder;
use crate::engine::SimTime;

/// One option's run to chart.
pub struct Charted<'a> {
    /// Heading (`B (best)`).
    pub title: String,
    /// Its records.
    pub rec: &'a DrillRecorder,
    /// The decision instant.
    pub decided_at: Option<SimTime>,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
];

/// A labelled line: (label, points (minutes, value), dashed).
type Series = (String, Vec<(f64, f64)>, bool);

/// A line chart: x in minutes, series of (label, points, dashed).
fn svg(title: &str, unit: &str, series: &[Series], mark: Option<f64>) -> String {
    let (w, h, l, b) = (720.0, 260.0, 60.0, 30.0);
    let xmax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let ymax = series
        .iter()
        .flat_map(|s| s.1.iter().map(|p| p.1))
        .fold(1e-9, f64::max)
        * 1.1;
    let x = |v: f64| l + (w - l - 10.0) * v / xmax;
    let y = |v: f64| (h - b) - (h - b - 20.0) * v / ymax;
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"sans-serif\" font-size=\"11\">"
    );
    let _ = write!(
        s,
        "<text x=\"{l}\" y=\"13\" font-weight=\"bold\">{}</text>",
        esc(title)
    );
    let _ = write!(
        s,
        "<line x1=\"{l}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/>",
        h - b,
        w - 10.0,
        h - b
    );
    let _ = write!(
        s,
        "<line x1=\"{l}\" y1=\"20\" x2=\"{l}\" y2=\"{}\" stroke=\"#888\"/>",
        h - b
    );
    for k in 0..=4 {
        let v = ymax / 1.1 * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v:.0}{unit}</text>",
            l - 4.0,
            y(v) + 4.0
        );
        let t = xmax * f64::from(k) / 4.0;
        let _ = write!(
            s,
            "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\">{t:.0}m</text>",
            x(t),
            h - b + 14.0
        );
    }
    if let Some(m) = mark {
        let _ = write!(
            s,
            "<line x1=\"{0:.1}\" y1=\"20\" x2=\"{0:.1}\" y2=\"{1}\" stroke=\"#000\" stroke-dasharray=\"2,3\"/><text x=\"{0:.1}\" y=\"28\" dx=\"3\">decision</text>",
            x(m),
            h - b
        );
    }
    for (i, (label, pts, dashed)) in series.iter().enumerate() {
        let colour = COLOURS[(i / 2) % COLOURS.len()];
        let path: Vec<String> = pts
            .iter()
            .map(|(a, v)| format!("{:.1},{:.1}", x(*a), y(*v)))
            .collect();
        let dash = if *dashed {
            " stroke-dasharray=\"6,4\""
        } else {
            ""
        };
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"{dash} points=\"{}\"/>",
            path.join(" ")
        );
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" fill=\"{colour}\">{}</text>",
            w - 250.0,
            30.0 + 13.0 * i as f64,
            esc(label)
        );
    }
    s + "</svg>"
}

fn memory_chart(c: &Charted<'_>) -> String {
    let mut keys: Vec<(String, String)> = Vec::new();
    for s in &c.rec.scrapes {
        let k = (s.workload.clone(), s.container.clone());
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut series = Vec::new();
    for (w, name) in &keys {
        let mut ws: Vec<(f64, f64)> = Vec::new();
        let mut lim: Vec<(f64, f64)> = Vec::new();
        for s in c
            .rec
            .scrapes
            .iter()
            .filter(|s| &s.workload == w && &s.container == name)
        {
            let t = s.time.as_secs_f64() / 60.0;
            let mib = s.working_set as f64 / 1_048_576.0;
            match ws.last_mut() {
                Some(last) if last.0 == t => last.1 = last.1.max(mib),
                _ => ws.push((t, mib)),
            }
            if let Some(l) = s.limit {
                let l = l as f64 / 1_048_576.0;
                match lim.last_mut() {
                    Some(last) if last.0 == t => last.1 = last.1.max(l),
                    _ => lim.push((t, l)),
                }
            }
        }
        series.push((format!("{w}/{name} working set (max over pods)"), ws, false));
        series.push((format!("{w}/{name} limit"), lim, true));
    }
    svg(
        &format!("{}: memory", c.title),
        "Mi",
        &series,
        c.decided_at.map(|t| t.as_secs_f64() / 60.0),
    )
}

fn errors_chart(c: &Charted<'_>) -> String {
    let pts: Vec<(f64, f64)> = c
        .rec
        .slo
        .iter()
        .map(|b| {
            (
                b.time.as_secs_f64() / 60.0,
                100.0 * b.errors_503.iter().sum::<f64>() / b.requests.max(1e-9),
            )
        })
        .collect();
    svg(
        &format!("{}: 503s, % of requests", c.title),
        "%",
        &[("503 share".into(), pts, false)],
        c.decided_at.map(|t| t.as_secs_f64() / 60.0),
    )
}

/// The page.
pub fn html(
    title: &str,
    verdict: &str,
    ranking: &str,
    transcript: &str,
    charted: &[Charted<'_>],
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} — debrief</title>\
         <style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}</style>\
         </head><body><h1>{0} — debrief</h1><p><b>{1}</b></p><h2>Options, as the simulation scores them</h2><pre>{2}</pre>",
        esc(title),
        esc(verdict),
        esc(ranking)
    );
    for c in charted {
        let _ = write!(
            s,
            "<h2>{}</h2>{}<br>{}",
            esc(&c.title),
            memory_chart(c),
            errors_chart(c)
        );
    }
    let _ = writeln!(
        s,
        "<h2>Transcript</h2><pre>{}</pre></body></html>",
        esc(transcript)
    );
    s
}
