//! Number and time formats shared by the outputs.

use crate::engine::SimTime;

/// `1h58m`, `4m12s`, `37s`: simulated time for people.
pub fn human_time(t: SimTime) -> String {
    let s = t.as_nanos() / 1_000_000_000;
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, _) => format!("{h}h{m:02}m"),
    }
}

/// An optional instant as seconds with millisecond precision, empty when absent.
pub fn opt_secs(t: Option<SimTime>) -> String {
    t.map_or_else(String::new, |t| t.secs_millis().to_string())
}

/// A count that is an expected value in the fluid fidelity, rounded for CSV.
pub fn count(x: f64) -> String {
    format!("{:.0}", x.max(0.0))
}

/// A burn rate with two decimals.
pub fn burn(x: f64) -> String {
    format!("{x:.2}")
}

/// Rows as text columns padded to their widest cell: the first `left` columns (names)
/// left-aligned, the rest (numbers) right-aligned, two spaces between.
pub fn columns<const N: usize>(rows: &[[String; N]], left: usize) -> String {
    use std::fmt::Write;
    let widths: Vec<usize> = (0..N)
        .map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let pad = " ".repeat(widths[i] - cell.chars().count());
            let _ = if i < left {
                write!(line, "{cell}{pad}  ")
            } else {
                write!(line, "{pad}{cell}  ")
            };
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
